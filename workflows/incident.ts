// incidentWorkflow: one durable run per open incident, keyed by company + aggregation key.
// Deterministic only: every side effect goes through an activity.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentContext } from '../activities/incident-store.ts';
import { AlertInbox } from './alert-inbox.ts';
import { createAlertWaiter } from './alert-wait.ts';
import { registerApprovalCommands } from './approval-commands.ts';
import { pageApprovers, pagesApprovers } from './approval-paging.ts';
import { groupWaitFor } from './group-wait.ts';
import { decideIncident, decidesAtOpening, decidesLocally } from './incident-decide.ts';
import { loadResumedContext, openFromAlerts, startAboveStored } from './incident-open.ts';
import { upsertIncidentAttributes } from './search-attributes.ts';
import { currentDetails } from '../domain/run-summary.ts';
import { createSaver } from './incident-save.ts';
import { continueWithAlerts, continueWithFreshHistory, endApart } from './incident-continue.ts';
import { createLocalSteps } from './local-steps.ts';
import { takesBaseline } from './patches.ts';
import { mayPassOn, page, pagesPeople, passOn, type Pager } from './paging.ts';
import { refuseIf, registerPeopleCommands } from './people-commands.ts';
import { createRemediation } from './remediation.ts';
import { registerRedecide } from './redecide.ts';
import { watchSla } from './sla-watch.ts';
import * as L from './incident-lifecycle.ts';
import * as T from './incident-state.ts';
import { alertReceived, alertsReceived, reopenIncident, sourceResolved, stateQuery } from './messages.ts';
import type { IncidentState, IncidentWorkflowInput, SourceResolution } from './types.ts';

/** How long a run started by a reopen waits for that Update; a refused reopen leaves it nothing else to do. */
const REOPEN_WAIT = '1 minute';

/**
 * Returns the incident's final state, or null when every alert that started the run had already been
 * handled by an earlier incident (a redelivery after that incident closed).
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState | null> {
  // First, before any command: a new run records the baseline's one marker for every earlier patch (patches.ts).
  takesBaseline();
  const info = workflowInfo();
  const inbox = new AlertInbox(input.resume?.recentAlertIds);
  let ctx: IncidentContext | undefined;
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
  // Local activities one at a time (local-steps.ts): the run's context read, saves and on-call picks.
  const steps = createLocalSteps();
  const saver = createSaver(current, journal, now, steps, (s) => {
    if (ctx?.searchAttributes) upsertIncidentAttributes(s);
    setCurrentDetails(currentDetails(s));
  });
  const save = saver.save;

  const { flushAlerts, waitFor } = createAlertWaiter({ inbox, state: current, journal, now, save });

  // Pages run one at a time: an SLA breach and an escalation at once must not both hand the incident out.
  const pager: Pager = { state: current, journal: () => journal, now, save, steps };
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
  registerApprovalCommands({
    state: current,
    journal: () => journal,
    now,
    save,
    approvalTimeoutSeconds: () => ctx?.approvalTimeoutSeconds,
    pageApproversBeside,
  });
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
      if (reopening) await startAboveStored(current(), steps);
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
    const opening = await openFromAlerts({
      input,
      run: info,
      inbox,
      journal,
      now,
      steps,
      setContext: (c) => (ctx = c),
    });
    if (opening.kind === 'nothing') return null;
    if (opening.kind === 'late') return await continueWithAlerts(input, opening);
    state = opening.state;
    firstAlertMs = opening.firstAlertMs;
    // Decided at once by the rules (incident-decide.ts): the decision's save stores the opening with it.
    if (!decidesAtOpening(ctx!)) await save();
  } else {
    ctx = await loadResumedContext(input, steps);
    if (!reopening) {
      // The row learns the new run id, so "Open in Temporal Web" leads to the live run.
      T.record(current(), journal, now(), 'continued', 'Continued in a fresh workflow run to keep the history short');
      await save();
    }
  }

  // Loaded by now, whichever way the run started.
  const context: IncidentContext = ctx!;

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
  const sla = watchSla(pager, serially);

  // ---- gather, decide, approve, remediate ----------------------------------------------
  // Undecided and not with the automation: a person acknowledging or starting work early does not stop the
  // decision (a safe runbook still runs), only a resolution does.
  const undecided = (): boolean => !current().decision && (current().status === 'new' || L.takenByPerson(current()));
  if (undecided()) {
    // Like Alertmanager's group_wait: let a burst settle so the decision sees the whole incident (group-wait.ts).
    const wait = groupWaitFor(context.groupWaitSeconds, firstAlertMs, Date.now());
    if (wait !== null) await waitFor(() => current().status === 'resolved', wait);
  }
  if (undecided()) {
    await decideIncident({
      state: current,
      journal: () => journal,
      now,
      save,
      escalate,
      approvalTimeoutSeconds: context.approvalTimeoutSeconds,
      requestedApproval: () => {
        if (pagesApprovers()) pageApproversBeside();
      },
      ...(decidesLocally(context) ? { locally: steps } : {}),
    });
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
        T.expireApproval(s, journal, now(), context.approvalTimeoutSeconds);
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
    const ackTimeoutMinutes = context.ackTimeoutMinutes ?? 30;
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
  await endApart();
  await condition(() => allHandlersFinished() && saver.settled());
  // The same key fired again after resolution: that is a new incident, in a new run of this workflow ID.
  if (inbox.hasCarried()) return await continueWithAlerts(input, inbox.carried());
  return current();
}
