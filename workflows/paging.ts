// Paging people from the incident workflow: give an unowned incident to whoever is on call, tell the escalation
// step of its level (bell, email, chat), and pass it on when its assignee does not acknowledge in time. A page that
// stays in the app is a local activity; one with email or chat is an activity with retries. Either way the timeline
// records it.
import { log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createNotifyActivities, EscalationInput, EscalationResult } from '../activities/notify.ts';
import type { createOnCallActivities } from '../activities/on-call.ts';
import { ESCALATION_CHAIN, STEP_LABELS } from '../domain/escalation.ts';
import { describeFailure, rethrowCancellation } from './failures.ts';
import * as L from './incident-lifecycle.ts';
import * as T from './incident-state.ts';
import { since, takesBaseline } from './patches.ts';
import { runsStepsLocally, type LocalSteps } from './local-steps.ts';
import type { IncidentState } from './types.ts';

type NotifyActivities = ReturnType<typeof createNotifyActivities>;
type OnCallActivities = ReturnType<typeof createOnCallActivities>;

const notify = proxyActivities<NotifyActivities>({
  // Relays and chat webhooks hiccup: each retry resends only what did not go out (deliveries are claimed rows).
  // After about an hour of trying the timeline says what failed; the bell, written first, still has the page.
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 9 },
});

const onCall = proxyActivities<OnCallActivities>({
  // A read of PostgreSQL: retried for as long as the database is away, like the incident store.
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// The same read as a local activity (local-steps.ts), with the same retries: one marker event, no workflow task.
// Each retry after the first waits on a durable timer, so an outage does not hold the workflow task open.
const localOnCall = proxyLocalActivities<OnCallActivities>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// A page that goes no further than the app (activities/notify.ts pageInApp) as a local activity, in the workflow task
// that pages: a new incident that escalates at once then needs no activity task and no second workflow task (issue
// 16 item 3). A few quick tries only: past them the activity task pages, with its own retries.
const localNotify = proxyLocalActivities<NotifyActivities>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

type PickQuery = Parameters<OnCallActivities['pickAssignee']>[0];

const pickAssignee = (p: Pager, q: PickQuery): ReturnType<OnCallActivities['pickAssignee']> =>
  runsStepsLocally() ? p.steps.run(() => localOnCall.pickAssignee(q)) : onCall.pickAssignee(q);

/** Runs recorded before paging existed replay without it. */
export const PAGING_PATCH = 'page-people';

export function pagesPeople(): boolean {
  return since(PAGING_PATCH);
}

export interface Pager {
  state: () => IncidentState;
  journal: () => T.Journal;
  now: () => string;
  save: () => Promise<void>;
  /** The run's queue of local activities (local-steps.ts). */
  steps: LocalSteps;
}

/** Gives an unowned incident to the person on call, then tells the escalation step of its level. */
export async function page(p: Pager, reason: string): Promise<void> {
  const s = p.state();
  // Resolved meanwhile (a recovery at source, a person): nobody needs paging any more.
  if (s.status === 'resolved') return;
  if (!s.assignee) {
    const pick = await pickAssignee(p, {
      companyId: s.companyId,
      category: s.category ?? null,
      exclude: s.passedOver ?? [],
    });
    if (pick) {
      L.assignFromRotation(s, p.journal(), p.now(), pick);
      await p.save();
    }
  }
  await tell(p, reason);
}

/** The assignee did not acknowledge in time: the next in line gets it, or the chain goes a level up. */
export async function passOn(p: Pager, ackTimeoutMinutes: number): Promise<void> {
  const s = p.state();
  const next = await pickAssignee(p, {
    companyId: s.companyId,
    category: s.category ?? null,
    exclude: [...(s.passedOver ?? []), ...(s.assignee ? [s.assignee.userId] : [])],
  });
  L.passOver(s, p.journal(), p.now(), next, ackTimeoutMinutes);
  if (next) {
    await p.save();
    await tell(p, `Not acknowledged in ${ackTimeoutMinutes} min; handed to ${next.email}`);
  } else {
    T.escalate(s, p.journal(), p.now(), `Nobody acknowledged within ${ackTimeoutMinutes} min`);
    await p.save();
    await tell(p, s.escalationReason!);
  }
}

/** Whether another ack timeout may still move the incident: once the chain's last step was paged, it waits. */
export function mayPassOn(s: IncidentState): boolean {
  return s.escalationLevel <= ESCALATION_CHAIN.length;
}

async function tell(p: Pager, reason: string): Promise<void> {
  const s = p.state();
  if (s.status === 'resolved') return;
  const input = {
    companyId: s.companyId,
    incidentId: s.incidentId,
    eventSeq: s.version,
    level: Math.max(s.escalationLevel, 1),
    reason,
    severity: s.severity,
    status: s.status,
    assetName: s.assetName,
    signature: s.signature,
    assigneeId: s.assignee?.userId ?? null,
    category: s.category ?? null,
  };
  try {
    const r = (takesBaseline() && (await inAppOnly(p, input))) || (await notify.notifyEscalation(input));
    T.record(s, p.journal(), p.now(), 'notified', pagedText(r), null, { ...r });
  } catch (err) {
    // The relay's or the chat service's own words name hosts and addresses: MSP admins and the log read them.
    const { text, detail } = describeFailure('page', err);
    log.warn('Paging failed', { incidentId: s.incidentId, cause: detail });
    T.record(s, p.journal(), p.now(), 'notification_failed', text, null, T.failureData(detail));
  }
  await p.save();
}

/** The page as a local activity when it stays in the app; null when it goes further or the local tries failed. */
async function inAppOnly(p: Pager, input: EscalationInput): Promise<EscalationResult | null> {
  try {
    return await p.steps.run(() => localNotify.pageInApp(input));
  } catch (err) {
    rethrowCancellation(err);
    // The activity task pages from the start (the bell rows are unique per person and event) and its failure, if
    // any, is the one the timeline shows.
    log.warn('Paging in the workflow task failed; paging through an activity', {
      incidentId: input.incidentId,
      cause: describeFailure('page', err).detail,
    });
    return null;
  }
}

/**
 * Who was paged and how, as the tenant's timeline reads it: the company's own people by address; MSP staff, who
 * serve every tenant, only by their count ("Paged the MSP admins (2 people; in app 2, email 2, chat 1)"), or by
 * label when one is the assignee or on the rotation ("Paged the assignee: Dana (MSP)"; activities/notify.ts).
 */
export function pagedText(r: EscalationResult): string {
  const how = `in app ${r.inApp}, email ${r.emails}, chat ${r.webhooks}`;
  const n = r.people.length;
  const who = n === 0 ? ' (nobody there)' : r.step === 'msp_admins' ? '' : `: ${r.people.join(', ')}`;
  const count = n > 0 && r.step === 'msp_admins' ? `${n} ${n === 1 ? 'person' : 'people'}; ` : '';
  return `Paged the ${STEP_LABELS[r.step]}${who} (${count}${how})`;
}
