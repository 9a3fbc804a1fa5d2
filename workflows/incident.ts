// incidentWorkflow: one durable run per open incident, keyed by company + aggregation key.
// Deterministic only: every side effect goes through an activity.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createIncidentStoreActivities } from '../activities/incident-store.ts';
import type { createDecisionActivities } from '../activities/decision.ts';
import { AlertInbox } from './alert-inbox.ts';
import { pageApprovers, pagesApprovers } from './approval-paging.ts';
import { describeFailure } from './failures.ts';
import { groupWaitFor } from './group-wait.ts';
import { upsertIncidentAttributes } from './search-attributes.ts';
import { createSaver } from './incident-save.ts';
import { mayPassOn, page, pagesPeople, passOn, type Pager } from './paging.ts';
import { refuseIf, registerPeopleCommands } from './people-commands.ts';
import { createRemediation } from './remediation.ts';
import { refuseRun, requestRun } from './manual-run.ts';
import { registerRedecide } from './redecide.ts';
import * as L from './incident-lifecycle.ts';
import * as T from './incident-state.ts';
import {
  alertReceived,
  alertsReceived,
  approveIncident,
  rejectIncident,
  reopenIncident,
  runRunbook,
  sourceResolved,
  stateQuery,
} from './messages.ts';
import type { AlertSignal, IncidentCommand, IncidentState, IncidentWorkflowInput, SourceResolution } from './types.ts';

type StoreActivities = ReturnType<typeof createIncidentStoreActivities>;
type DecisionActivities = ReturnType<typeof createDecisionActivities>;

/** Histories that took a runbook run by hand (runRunbook) carry this marker. */
const RUN_RUNBOOK_PATCH = 'run-runbook';

/** How long a run started by a reopen waits for that Update; a refused reopen leaves it nothing else to do. */
const REOPEN_WAIT = '1 minute';

// A read of PostgreSQL: retried for as long as the database is away. Saves have their own bounded policy
// (incident-save.ts).
const store = proxyActivities<Pick<StoreActivities, 'loadIncidentContext'>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const decision = proxyActivities<DecisionActivities>({
  // An LLM provider may be slow; the activity falls back to rules on its own well before this.
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/**
 * Returns the incident's final state, or null when every alert that started the run had already been
 * handled by an earlier incident (a redelivery after that incident closed).
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState | null> {
  const info = workflowInfo();
  const inbox = new AlertInbox(input.resume?.recentAlertIds);
  let ctx: Awaited<ReturnType<StoreActivities['loadIncidentContext']>> | undefined;
  // Timeline events and alert ids since the last save: each save writes and links only these.
  const journal = T.emptyJournal();

  for (const alert of input.carriedAlerts ?? []) inbox.accept(alert);
  for (const id of input.carriedRepeatIds ?? []) inbox.acceptRepeat(id);
  setHandler(alertReceived, (alert) => inbox.accept(alert));
  setHandler(alertsReceived, (batch) => {
    for (const a of batch.alerts) inbox.accept(a);
    for (const id of batch.repeatIds) inbox.acceptRepeat(id);
  });

  let state: IncidentState | undefined = input.resume ? { ...input.resume, runId: info.runId } : undefined;
  const current = (): IncidentState => {
    if (!state) throw ApplicationFailure.nonRetryable('Incident has no alert yet', 'IncidentNotReady');
    return state;
  };
  setHandler(stateQuery, () => current());

  const now = (): string => new Date(Date.now()).toISOString();

  // Persists the state, the new timeline events and the newly joined alerts in one transaction; a continue-as-new
  // and the end wait until it has nothing in flight or waiting.
  // Each save first upserts the search attributes that changed, when the worker registered them (ctx says so).
  const saver = createSaver(current, journal, now, (s) => {
    if (ctx?.searchAttributes) upsertIncidentAttributes(s);
  });
  const save = saver.save;

  const flushAlerts = async (): Promise<void> => {
    if (!inbox.hasPending()) return;
    const { alerts: batch, repeatIds: repeats } = inbox.take();
    const s = current();
    T.absorb(s, journal, batch, repeats, Date.now());
    const n = batch.length + repeats.length;
    const message = `${n} more alert(s) correlated (${s.alertCount} in total)`;
    T.record(s, journal, now(), 'alerts_correlated', message, null, T.alertBatchData(batch, repeats));
    await save();
  };

  /**
   * Wait until `done()` or the timeout, folding in alerts as they arrive. Returns whether `done()`
   * became true, or 'continue' when Temporal suggests a fresh history and it is safe to take one.
   */
  const waitFor = async (
    done: () => boolean,
    timeoutMs?: number,
    mayContinue = false,
  ): Promise<boolean | 'continue'> => {
    const until = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const remaining = until === undefined ? undefined : Math.max(until - Date.now(), 0);
      const wake = (): boolean =>
        done() || inbox.hasPending() || (mayContinue && workflowInfo().continueAsNewSuggested);
      if (remaining === undefined) await condition(wake);
      else await condition(wake, remaining);
      if (inbox.hasPending()) await flushAlerts();
      if (done()) return true;
      if (mayContinue && workflowInfo().continueAsNewSuggested) return 'continue';
      // A steady stream of alerts must not hold the deadline off: it ends the wait even if the last wake was an alert.
      if (until !== undefined && Date.now() >= until) return false;
    }
  };

  // Pages run one at a time: an SLA breach and an escalation at once must not both hand the incident out.
  const pager: Pager = { state: current, journal: () => journal, now, save };
  let paging: Promise<void> = Promise.resolve();
  const serially = (fn: () => Promise<void>): Promise<void> => (paging = paging.then(fn));

  /** `detail` is the raw error behind the reason, kept for MSP admins (incidentFailureDetails). */
  const escalate = async (reason: string, detail?: string): Promise<void> => {
    T.escalate(current(), journal, now(), reason, detail);
    await save();
    if (pagesPeople()) await serially(() => page(pager, reason));
  };

  // The first save the database refused escalated the incident (incident-save.ts): the people are paged here.
  saver
    .keep(async (reason) => {
      if (pagesPeople()) await serially(() => page(pager, reason));
    })
    .catch((err: unknown) => {
      if (!isCancellation(err)) log.error('Incident saver stopped', { incidentId: state?.incidentId, cause: `${err}` });
    });

  const resolve = async (message: string, actor: string | null, autoRemediated: boolean): Promise<void> => {
    T.resolve(current(), journal, now(), message, actor, autoRemediated);
    await save();
  };

  const remediate = createRemediation({ journal, now, save, escalate, resolve, inbox, flushAlerts });

  // Approvers are paged beside the approval wait: a decision may come before the page has gone out.
  const pageApproversBeside = (): void => {
    pageApprovers(pager).catch((err: unknown) => {
      if (!isCancellation(err))
        log.error('Approver paging stopped', { incidentId: state?.incidentId, cause: `${err}` });
    });
  };

  // Runs recorded before the setting existed have no such field in their context: the default applies.
  const autoResolvesAtSource = (): boolean => ctx?.autoResolveAtSource ?? true;

  // ---- commands from people -------------------------------------------------------------
  // Registered before the first await: an Update that reaches a continued run while it loads its context would
  // otherwise be rejected for want of a handler. Before the incident opens, their validators refuse (not ready).
  const decide =
    (status: 'approved' | 'rejected') =>
    (cmd: IncidentCommand): IncidentState => {
      T.decideApproval(current(), journal, now(), status, cmd);
      return current();
    };
  const validateApprovalDecision =
    (status: 'approved' | 'rejected') =>
    (cmd: IncidentCommand): void =>
      refuseIf(T.refuseApprovalDecision(current(), cmd, Date.now(), status));
  setHandler(approveIncident, decide('approved'), { validator: validateApprovalDecision('approved') });
  setHandler(rejectIncident, decide('rejected'), { validator: validateApprovalDecision('rejected') });
  // A person runs a runbook on the incident: through the approval gate, then the same remediation step. The main
  // loop wakes from its wait on the new status.
  setHandler(
    runRunbook,
    async (cmd) => {
      patched(RUN_RUNBOOK_PATCH);
      requestRun(current(), journal, now(), cmd, ctx!.approvalTimeoutSeconds);
      await save();
      if (current().status === 'awaiting_approval' && pagesApprovers()) pageApproversBeside();
      return current();
    },
    { validator: (cmd) => refuseIf(refuseRun(current(), cmd, ctx !== undefined)) },
  );
  registerPeopleCommands({ state: current, journal: () => journal, now, save });
  // A person asks for a fresh decision (redecide.ts): the decision activity again, then the same approval gate.
  registerRedecide({
    state: current,
    journal: () => journal,
    now,
    save,
    ready: () => ctx !== undefined,
    approvalTimeoutSeconds: () => ctx!.approvalTimeoutSeconds,
    pageApprovers: () => pageApproversBeside(),
  });

  // Only a run started to reopen a closed incident takes reopenIncident: a run that has just resolved is closing,
  // and the caller's retry starts the run that can.
  const reopening = state?.status === 'resolved';
  // When the first alert of an incident this run opened arrived; null when it resumed one (group-wait.ts).
  let firstAlertMs: number | null = null;
  setHandler(
    reopenIncident,
    async (cmd) => {
      L.reopen(current(), journal, now(), cmd);
      await save();
      return current();
    },
    {
      validator: (cmd) =>
        refuseIf(
          reopening || current().status !== 'resolved'
            ? L.refuseReopen(current(), cmd)
            : { type: 'IncidentClosing', message: 'The incident is closing; reopen it again in a moment' },
        ),
    },
  );
  if (reopening && !(await condition(() => current().status !== 'resolved', REOPEN_WAIT))) return current();

  // ---- open the incident ---------------------------------------------------------------
  await condition(() => state !== undefined || inbox.hasPendingAlerts());
  if (!state) {
    let opening: AlertSignal[] = [];
    let openingRepeats: string[] = [];
    for (;;) {
      const { alerts: candidates, repeatIds: candidateRepeats } = inbox.take();
      ctx = await store.loadIncidentContext({
        companyId: input.companyId,
        assetName: input.assetName,
        alertIds: [...candidates.map((a) => a.alertId), ...candidateRepeats],
      });
      // A redelivery of an alert an earlier incident already handled must not open a second incident.
      const linked = new Set(ctx.linkedAlertIds);
      const fresh = candidates.filter((a) => !linked.has(a.alertId));
      if (fresh.length > 0) {
        // Alerts that arrived during the look-up open the incident too (saveIncident still refuses to take
        // an alert another incident owns); runs recorded before this check was added did exactly this.
        const arrived = inbox.take();
        opening = [...fresh, ...arrived.alerts];
        openingRepeats = [...candidateRepeats.filter((id) => !linked.has(id)), ...arrived.repeatIds];
        break;
      }
      if (!inbox.hasPendingAlerts()) {
        inbox.close();
        await condition(allHandlersFinished);
        const late = inbox.carried();
        if (late.alerts.length > 0) {
          return await continueAsNew<typeof incidentWorkflow>({
            ...input,
            carriedAlerts: late.alerts,
            carriedRepeatIds: late.repeatIds,
            resume: undefined,
          });
        }
        return null;
      }
    }
    const opened = T.openIncident(
      {
        incidentId: uuid4(),
        companyId: input.companyId,
        workflowId: info.workflowId,
        runId: info.runId,
        aggregationKey: input.aggregationKey,
        assetName: input.assetName,
        signature: input.signature,
        assetCritical: ctx.assetCritical,
        sla: ctx.sla,
        category: ctx.category ?? null,
        first: opening[0]!,
      },
      now(),
    );
    state = opened;
    firstAlertMs = Math.min(...opening.map((a) => Date.parse(a.receivedAt)));
    T.absorb(opened, journal, opening, openingRepeats, Date.now());
    const n = opening.length + openingRepeats.length;
    const message = `Incident opened on ${input.assetName} for "${input.signature}" from ${n} alert(s)`;
    T.record(opened, journal, now(), 'created', message, null, T.alertBatchData(opening, openingRepeats));
    await save();
  } else {
    ctx = await store.loadIncidentContext({ companyId: input.companyId, assetName: input.assetName, alertIds: [] });
    if (!reopening) {
      // The row learns the new run id, so "Open in Temporal Web" leads to the live run.
      T.record(current(), journal, now(), 'continued', 'Continued in a fresh workflow run to keep the history short');
      await save();
    }
  }

  // Signals wait in Temporal's buffer until this handler exists, so it comes once the incident is open.
  setHandler(sourceResolved, async (r: SourceResolution) => {
    const s = current();
    // A resolution meant for an earlier incident of this key, or one already recorded, changes nothing.
    if (r.incidentId !== s.incidentId || s.status === 'resolved' || s.sourceResolvedAt) return;
    if (T.recoverAtSource(s, journal, now(), r.resolvedAt, autoResolvesAtSource())) {
      await resolve('Resolved: every alert recovered at its source', null, false);
    } else {
      await save();
    }
  });

  // ---- SLA clock, alongside everything else ---------------------------------------------
  const watchSla = async (): Promise<void> => {
    const s = current();
    const untilMs = (iso: string): number => Math.max(Date.parse(iso) - Date.now(), 0);
    if (!s.slaResponseBreached && !(await condition(() => T.responded(s), untilMs(s.slaResponseDeadline)))) {
      T.breachSla(s, journal, now(), 'Response');
      await save();
      if (pagesPeople()) await serially(() => page(pager, 'Response SLA breached'));
    }
    if (
      !s.slaResolutionBreached &&
      !(await condition(() => s.status === 'resolved', untilMs(s.slaResolutionDeadline)))
    ) {
      T.breachSla(s, journal, now(), 'Resolution');
      await save();
      if (pagesPeople()) await serially(() => page(pager, 'Resolution SLA breached'));
    }
  };
  const sla = watchSla();

  // ---- gather, decide, approve, remediate ----------------------------------------------
  // Undecided and not with the automation: a person acknowledging or starting work early does not stop the
  // decision (a safe runbook still runs), only a resolution does.
  const undecided = (): boolean => !current().decision && (current().status === 'new' || L.takenByPerson(current()));
  if (undecided()) {
    // Like Alertmanager's group_wait: let a burst settle so the decision sees the whole incident (group-wait.ts).
    const wait = groupWaitFor(ctx.groupWaitSeconds, firstAlertMs, Date.now());
    if (wait !== null) await waitFor(() => current().status === 'resolved', wait);
  }
  if (undecided()) {
    const s = current();
    let d: Awaited<ReturnType<DecisionActivities['decideIncident']>>;
    let failure: string | undefined;
    try {
      d = await decision.decideIncident({
        companyId: s.companyId,
        incidentId: s.incidentId,
        assetName: s.assetName,
        signature: s.signature,
        severity: s.severity,
        alertCount: s.alertCount,
      });
    } catch (err) {
      // Without a decision a person must take over; an incident must never sit in "new" unseen.
      const { text, detail } = describeFailure('decide', err);
      log.warn('No decision could be made', { incidentId: s.incidentId, cause: detail });
      failure = detail;
      d = {
        action: 'escalate',
        runbook: null,
        reasoning: `${text}; a technician must investigate.`,
        source: 'rules',
        confidence: 0,
      };
    }
    T.recordDecision(s, journal, now(), d, failure);
    if (s.status === 'resolved' || ((d.action === 'escalate' || !d.runbook) && L.takenByPerson(s))) {
      // A person resolved the incident while the decision was being made, or already has it in hand:
      // record the decision, act on nothing.
      await save();
    } else if (d.action === 'escalate' || !d.runbook) {
      await escalate(d.reasoning, failure);
    } else if (d.action === 'request_approval') {
      T.requestApproval(s, journal, now(), ctx.approvalTimeoutSeconds);
      await save();
      if (pagesApprovers()) pageApproversBeside();
    } else {
      s.status = 'remediating';
      await save();
    }
  }

  for (;;) {
    const s = current();
    if (s.status === 'resolved') break;
    if (s.status === 'escalated' && s.sourceResolvedAt && autoResolvesAtSource()) {
      // The source recovered while a runbook ran and the runbook then failed: nothing is left to fix.
      await resolve('Resolved: every alert had recovered at its source', null, false);
      continue;
    }
    if (s.status === 'awaiting_approval') {
      const approval = s.approval!;
      const outcome = await waitFor(
        () => approval.status !== 'pending' || current().status !== 'awaiting_approval',
        Math.max(Date.parse(approval.deadline) - Date.now(), 0),
        true,
      );
      if (outcome === 'continue') return await continueWithFreshHistory(input, current(), inbox, saver.settled);
      if (current().status !== 'awaiting_approval') continue; // resolved by hand meanwhile
      if (outcome === false) {
        T.expireApproval(s, journal, now(), ctx.approvalTimeoutSeconds);
        await escalate('Approval timed out');
      } else if (approval.status === 'rejected') {
        await escalate(`Runbook rejected by ${approval.decidedBy ?? 'an approver'}`);
      } else {
        s.status = 'remediating';
        await save();
      }
      continue;
    }
    if (s.status === 'remediating') {
      await remediate(s);
      continue;
    }
    // Escalated (or new after a resume): a person owns it now; wait for resolveIncident. Whoever was given it
    // has the ack timeout to acknowledge before the next in line gets it.
    const ackTimeoutMinutes = ctx.ackTimeoutMinutes ?? 30;
    const waitsOnAck = L.awaitingAcknowledgement(s) && mayPassOn(s) && pagesPeople();
    const assignee = s.assignee?.userId;
    const outcome = await waitFor(
      () =>
        current().status === 'resolved' ||
        // A run by hand (runRunbook) hands the incident back to the automation.
        current().status === 'awaiting_approval' ||
        current().status === 'remediating' ||
        (waitsOnAck && (current().acknowledgement !== null || current().assignee?.userId !== assignee)),
      waitsOnAck ? ackTimeoutMinutes * 60_000 : undefined,
      true,
    );
    if (outcome === 'continue') return await continueWithFreshHistory(input, current(), inbox, saver.settled);
    if (outcome === false) await serially(() => passOn(pager, ackTimeoutMinutes));
  }

  // ---- close -------------------------------------------------------------------------------
  inbox.close();
  await sla;
  await condition(() => allHandlersFinished() && saver.settled());
  if (inbox.hasCarried()) {
    // The same key fired again after resolution: that is a new incident, in a new run of this workflow ID.
    const next = inbox.carried();
    return await continueAsNew<typeof incidentWorkflow>({
      ...input,
      carriedAlerts: next.alerts,
      carriedRepeatIds: next.repeatIds,
      resume: undefined,
    });
  }
  return current();
}

async function continueWithFreshHistory(
  input: IncidentWorkflowInput,
  state: IncidentState,
  inbox: AlertInbox,
  savesDone: () => boolean,
): Promise<never> {
  await condition(() => allHandlersFinished() && savesDone());
  // Still open: nothing came late, and whatever is pending moves to the fresh run.
  const pending = inbox.take();
  return await continueAsNew<typeof incidentWorkflow>({
    ...input,
    carriedAlerts: pending.alerts,
    carriedRepeatIds: pending.repeatIds,
    resume: state,
  });
}
