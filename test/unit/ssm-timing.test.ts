// A runbook version's execution timeout drives every remediation clock: SSM's executionTimeout, the wait activity's
// start-to-close, and how long a claimed run counts as running for the blast-radius guard (domain/ssm-timing.ts).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXECUTION_TIMEOUT_SECONDS,
  DELIVERY_TIMEOUT_SECONDS,
  MAX_EXECUTION_TIMEOUT_SECONDS,
  SDK_CALL_BUDGET_MS,
  executionTimeoutSeconds,
  runDeadlineMs,
  waitTimeouts,
} from '../../domain/ssm-timing.ts';

describe('execution timeout per runbook version', () => {
  it("takes the version's timeoutSeconds, the default without one, and SSM's ceiling above it", () => {
    expect(executionTimeoutSeconds({ timeoutSeconds: 120 })).toBe(120);
    expect(executionTimeoutSeconds({})).toBe(DEFAULT_EXECUTION_TIMEOUT_SECONDS);
    expect(executionTimeoutSeconds({ timeoutSeconds: 0 })).toBe(DEFAULT_EXECUTION_TIMEOUT_SECONDS);
    expect(executionTimeoutSeconds({ timeoutSeconds: 999_999 })).toBe(MAX_EXECUTION_TIMEOUT_SECONDS);
  });

  it('sets the wait and the run deadline from delivery plus execution plus two SDK calls', () => {
    const expected = (DELIVERY_TIMEOUT_SECONDS + 120) * 1000 + 2 * SDK_CALL_BUDGET_MS;
    expect(waitTimeouts(120).startToCloseMs).toBe(expected);
    expect(runDeadlineMs(120)).toBe(expected);
    expect(runDeadlineMs(3600) - runDeadlineMs(120)).toBe((3600 - 120) * 1000);
  });
});
