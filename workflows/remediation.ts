// Remediation of one incident: send its decided runbook through SSM (or the dry-run executor), wait for the
// command to end, then resolve or escalate. Split from incidentWorkflow so the workflow body reads as its phases;
// the activity proxies and their policies live here with the only code that calls them.
import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { createSsmActivities } from '../activities/ssm.ts';
import { BLAST_RADIUS_EXCEEDED } from '../domain/blast-radius.ts';
import { runbookOutcomeText } from '../domain/failure-text.ts';
import {
  SEND_HEARTBEAT_TIMEOUT_MS,
  SEND_START_TO_CLOSE_MS,
  executionTimeoutSeconds,
  waitTimeouts,
} from '../domain/ssm-timing.ts';
import { cutText } from '../domain/text.ts';
import type { AlertInbox } from './alert-inbox.ts';
import { describeFailure } from './failures.ts';
import * as T from './incident-state.ts';
import type { IncidentState } from './types.ts';

type SsmActivities = ReturnType<typeof createSsmActivities>;

// Timeouts follow from the SDK's retry budget, SSM's delivery timeout and the runbook's execution timeout
// (domain/ssm-timing.ts), so Temporal never gives up on a call that may still land.
const ssmSend = proxyActivities<Pick<SsmActivities, 'sendSsmCommand'>>({
  // A look-up and a send, each within the SDK's retries (maxAttempts × (connect + request timeout) + backoff).
  startToCloseTimeout: SEND_START_TO_CLOSE_MS,
  // The send heartbeats every 2 s: a worker killed mid-send is retried within seconds, and the retry finds the
  // committed claim and looks the command up before any new send.
  heartbeatTimeout: SEND_HEARTBEAT_TIMEOUT_MS,
  retry: {
    // Throttling and 5xx the SDK could not get past: back off before trying again. An earlier try whose command
    // may still land asks for its own delay (SsmSendInFlight's nextRetryDelay).
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
    // Refusals a retry cannot change: no target, the blast-radius guard, a bad request, access denied, an
    // instance SSM does not manage (activities/ssm-aws.ts marks these non-retryable too).
    nonRetryableErrorTypes: [
      'NoSsmTarget',
      BLAST_RADIUS_EXCEEDED,
      'InvalidSsmRequest',
      'AccessDeniedException',
      'InvalidInstanceId',
    ],
  },
});

/** Polls GetCommandInvocation until SSM ends the command, which it does by itself after delivery + execution. */
const ssmWaitFor = (executionSeconds: number) => {
  const t = waitTimeouts(executionSeconds);
  return proxyActivities<Pick<SsmActivities, 'waitForSsmCommand'>>({
    startToCloseTimeout: t.startToCloseMs,
    // One poll interval and one SDK call lie between heartbeats.
    heartbeatTimeout: t.heartbeatTimeoutMs,
    retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 4 },
  });
};

export interface RemediationDeps {
  journal: T.Journal;
  now: () => string;
  save: () => Promise<void>;
  /** `detail` is the raw error behind the reason, for MSP admins only. */
  escalate: (reason: string, detail?: string) => Promise<void>;
  resolve: (message: string, actor: string | null, autoRemediated: boolean) => Promise<void>;
  inbox: Pick<AlertInbox, 'hasPending'>;
  flushAlerts: () => Promise<void>;
}

/** The remediation step of an incident run, bound to that run's journal, saves and outcomes. */
export function createRemediation(d: RemediationDeps): (s: IncidentState) => Promise<void> {
  return async function remediate(s: IncidentState): Promise<void> {
    const runbook = s.decision?.runbook;
    if (!runbook) {
      await d.escalate('No runbook to run');
      return;
    }
    const attempt = (s.execution?.attempt ?? 0) + 1;
    let sent = false;
    try {
      const ref = await ssmSend.sendSsmCommand({
        companyId: s.companyId,
        incidentId: s.incidentId,
        attempt,
        assetName: s.assetName,
        runbook,
      });
      T.startRemediation(s, d.journal, d.now(), ref);
      sent = true;
      await d.save();
      const wait = ssmWaitFor(executionTimeoutSeconds(runbook));
      const result = await wait.waitForSsmCommand({ companyId: s.companyId, incidentId: s.incidentId, ref });
      T.finishRemediation(s, d.journal, d.now(), result);
      // Alerts that came in while the runbook ran belong to the problem it just fixed.
      if (d.inbox.hasPending()) await d.flushAlerts();
      if (result.status === 'Success') {
        // Self-healed means no person asked for or approved it and something really ran: a dry run, a run by hand
        // or an approved run is not.
        const selfHealed = ref.executor !== 'dry_run' && s.approval?.status !== 'approved' && !s.runRequestedBy;
        const how =
          ref.executor === 'dry_run'
            ? 'Resolved by dry-run runbook'
            : s.runRequestedBy
              ? 'Resolved by runbook'
              : 'Auto-remediated by runbook';
        const byHand = s.runRequestedBy ? ` run at the request of ${s.runRequestedBy}` : '';
        await d.resolve(`${how} "${runbook.name}"${byHand}`, null, selfHealed);
      } else {
        // The instance's own output (the runbook's stderr, else stdout) is the tenant's: it may follow.
        const output = cutText(result.error || result.output, 500);
        await d.escalate(`${runbookOutcomeText(runbook.name, result.status)}${output ? `: ${output}` : ''}`);
      }
    } catch (err) {
      const guard = blastRadiusRefusal(err);
      if (guard) {
        // The blast-radius guard held the run back: its sentence is ours and names no other incident.
        await d.escalate(guard);
        return;
      }
      // An AWS, database or Temporal failure: the tenant reads a sentence, MSP admins and the log the raw error.
      const { text, detail } = describeFailure(sent ? 'await_runbook' : 'send_runbook', err);
      log.warn('Remediation failed', { incidentId: s.incidentId, cause: detail });
      if (sent && s.execution) {
        s.execution = { ...s.execution, status: 'Failed', error: text, internalDetail: detail, finishedAt: d.now() };
      }
      await d.escalate(text, detail);
    }
  };
}

/** The reason the blast-radius guard refused the send, when that is what failed. */
function blastRadiusRefusal(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === BLAST_RADIUS_EXCEEDED ? cause.message : null;
}
