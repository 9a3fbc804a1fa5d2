// Every remediation timeout, derived from the AWS SDK's retry settings, SSM's own limits and the runbook's
// execution timeout, so the activity policies (workflows/incident.ts) and the SSM client (activities/ssm-aws.ts)
// cannot drift apart: an activity timed out by Temporal while its SDK call may still land is how a runbook runs twice.

/** The SDK's tries per call (the first and two retries) for throttling, 5xx and network errors. */
export const SDK_MAX_ATTEMPTS = 3;
export const SDK_CONNECTION_TIMEOUT_MS = 3_000;
/** A request with no response for this long is abandoned by the SDK (and retried if attempts remain). */
export const SDK_REQUEST_TIMEOUT_MS = 10_000;
/**
 * The SDK's standard retry strategy waits a random delay under base × 2^attempt between tries (base 100 ms, or
 * 500 ms when throttled): at most 1 s + 2 s for three attempts. Rounded up.
 */
export const SDK_BACKOFF_BUDGET_MS = 5_000;
/** The longest one SSM call can take, every retry included. */
export const SDK_CALL_BUDGET_MS =
  SDK_MAX_ATTEMPTS * (SDK_CONNECTION_TIMEOUT_MS + SDK_REQUEST_TIMEOUT_MS) + SDK_BACKOFF_BUDGET_MS;

/**
 * After a try marked the claim 'Sending', its SendCommand may still land at SSM until its SDK budget is spent
 * (Temporal timing the activity out does not stop the call). A retry that does not find the command by then may send;
 * before then it waits. The margin covers a request SSM accepted as the client gave up, and ListCommands' lag.
 */
export const SEND_IN_FLIGHT_MS = SDK_CALL_BUDGET_MS + 15_000;

/**
 * A try that finds another's mark with no command yet waits this long within itself, reading the claim every
 * SEND_OVERLAP_POLL_MS, for the other (an overlapping retry, usually mid-call) to record it; then it hands the rest of
 * the in-flight window to Temporal as the retry's delay.
 */
export const SEND_OVERLAP_WAIT_MS = 15_000;
export const SEND_OVERLAP_POLL_MS = 500;

/**
 * The send activity does at most a ListCommands look-up and a SendCommand (and a look-up after another try's mark),
 * each within the SDK budget, waits at most SEND_OVERLAP_WAIT_MS for an overlapping try, and runs a few statements.
 */
export const SEND_START_TO_CLOSE_MS = 3 * SDK_CALL_BUDGET_MS + SEND_OVERLAP_WAIT_MS + 15_000;
/** The send heartbeats every SEND_HEARTBEAT_EVERY_MS: a worker that died mid-send is noticed within this. */
export const SEND_HEARTBEAT_TIMEOUT_MS = 10_000;
export const SEND_HEARTBEAT_EVERY_MS = 2_000;

/** SendCommand's TimeoutSeconds: how long SSM tries to deliver the command before DeliveryTimedOut (30 s minimum). */
export const DELIVERY_TIMEOUT_SECONDS = 600;
/** A runbook's run on the instance, unless the runbook says otherwise (SSM's own default is 3,600 s). */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 600;
/** AWS-RunShellScript and AWS-RunPowerShellScript accept at most 172,800 s (48 h). */
export const MAX_EXECUTION_TIMEOUT_SECONDS = 172_800;
/** The poll interval is install configuration; above this the heartbeat timeout would have to grow with it. */
export const MAX_POLL_INTERVAL_MS = 10_000;

/** The documents whose `executionTimeout` parameter we know; a named document defines its own parameters. */
export const EXECUTION_TIMEOUT_DOCUMENTS = new Set(['AWS-RunShellScript', 'AWS-RunPowerShellScript']);

/**
 * The runbook's execution timeout: the runbook library's `timeoutSeconds` (domain/types.ts), else the default.
 * `executionTimeoutSeconds` is read too, for callers that name it so.
 */
export function executionTimeoutSeconds(runbook: {
  timeoutSeconds?: number | null;
  executionTimeoutSeconds?: number | null;
}): number {
  const t = runbook.timeoutSeconds ?? runbook.executionTimeoutSeconds;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 1) return DEFAULT_EXECUTION_TIMEOUT_SECONDS;
  return Math.min(Math.round(t), MAX_EXECUTION_TIMEOUT_SECONDS);
}

/**
 * The wait activity polls GetCommandInvocation until SSM ends the command, which it does by itself after delivery
 * plus execution timeouts (DeliveryTimedOut, ExecutionTimedOut): polling past that is pointless. Between heartbeats
 * lie one poll interval and one SDK call.
 */
export function waitTimeouts(execSeconds: number): { startToCloseMs: number; heartbeatTimeoutMs: number } {
  return {
    startToCloseMs: (DELIVERY_TIMEOUT_SECONDS + execSeconds) * 1000 + 2 * SDK_CALL_BUDGET_MS,
    heartbeatTimeoutMs: MAX_POLL_INTERVAL_MS + SDK_CALL_BUDGET_MS + 5_000,
  };
}

/** A run that started longer ago than this has ended at SSM whatever the database says (counted as concurrent until). */
export function runDeadlineMs(execSeconds: number): number {
  return waitTimeouts(execSeconds).startToCloseMs;
}
