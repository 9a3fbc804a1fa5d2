// Opening the incident from the alerts that started the run: look up the company's context, leave out alerts an
// earlier incident already handled (a redelivery), and open with the rest. Split from incidentWorkflow so the
// workflow body reads as its phases; the context look-up's proxy and policy live here.
import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  uuid4,
} from '@temporalio/workflow';
import type { createIncidentStoreActivities, IncidentContext } from '../activities/incident-store.ts';
import type { AlertInbox } from './alert-inbox.ts';
import { runsStepsLocally, type LocalSteps } from './local-steps.ts';
import * as T from './incident-state.ts';
import type { AlertSignal, IncidentState, IncidentWorkflowInput } from './types.ts';

type StoreActivities = ReturnType<typeof createIncidentStoreActivities>;

// A read of PostgreSQL: retried for as long as the database is away. Saves have their own bounded policy
// (incident-save.ts).
const store = proxyActivities<Pick<StoreActivities, 'loadIncidentContext'>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// The same read as a local activity (local-steps.ts), with the same retries: a few milliseconds when the database is
// there. While it is away, each retry after the first waits on a durable timer rather than in the worker, so the
// workflow task is not held open for minutes (people's Updates would wait behind it).
const localStore = proxyLocalActivities<Pick<StoreActivities, 'loadIncidentContext' | 'storedVersion'>>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

type ContextQuery = Parameters<StoreActivities['loadIncidentContext']>[0];

const loadContext = (steps: LocalSteps, q: ContextQuery): Promise<IncidentContext> =>
  runsStepsLocally() ? steps.run(() => localStore.loadIncidentContext(q)) : store.loadIncidentContext(q);

/** Runs recorded before a reopening run read the stored version numbered their lines from the state they were given. */
export const REOPEN_ABOVE_STORED = 'reopen-above-stored';

/**
 * Before a reopen changes anything: the state the caller gave this run is the incident's final state as it read it,
 * and the resolved run may have saved once more before it closed (a page's outcome, say). Lines numbered from the
 * older state would take numbers already stored, and be dropped with the save that carried them (timeline lines are
 * unique by number, and a save never overwrites a newer version). This run starts above what is stored instead; the
 * run it resumes has closed (its workflow ID starts no second run while one is open), so nothing is saved after.
 */
export async function startAboveStored(s: IncidentState, steps: LocalSteps): Promise<void> {
  if (!patched(REOPEN_ABOVE_STORED)) return;
  const stored = await steps.run(() => localStore.storedVersion({ companyId: s.companyId, incidentId: s.incidentId }));
  if (stored > s.version) s.version = stored;
}

/** The context of a run that resumes an incident (continued, or reopened): no alerts to check. */
export function loadResumedContext(input: IncidentWorkflowInput, steps: LocalSteps): Promise<IncidentContext> {
  return loadContext(steps, { companyId: input.companyId, assetName: input.assetName, alertIds: [] });
}

export type Opening =
  /** Opened; the caller saves it. `firstAlertMs`: when its first alert arrived (group-wait.ts). */
  | { kind: 'opened'; state: IncidentState; firstAlertMs: number }
  /** Every alert had been handled by an earlier incident; some came after the run stopped taking them. */
  | { kind: 'late'; alerts: AlertSignal[]; repeatIds: string[] }
  /** Every alert had been handled by an earlier incident, and nothing else came. */
  | { kind: 'nothing' };

export async function openFromAlerts(deps: {
  input: IncidentWorkflowInput;
  run: { workflowId: string; runId: string };
  inbox: AlertInbox;
  journal: T.Journal;
  now: () => string;
  /** The run's queue of local activities (local-steps.ts). */
  steps: LocalSteps;
  /** Each context as soon as it is loaded: the run's handlers read it (a runRunbook validator, the saver). */
  setContext: (ctx: IncidentContext) => void;
}): Promise<Opening> {
  const { input, inbox } = deps;
  // Drawn before the look-up, so the look-up can tell this incident's alerts from an earlier one's: a workflow task
  // that timed out after its save linked the opening alerts is run again from the same history, draws the same id
  // (the run's only uuid4, from its seeded generator), and must count those alerts as its own, not as redeliveries.
  const incidentId = uuid4();
  let ctx: IncidentContext;
  let opening: AlertSignal[] = [];
  let openingRepeats: string[] = [];
  for (;;) {
    const { alerts: candidates, repeatIds: candidateRepeats } = inbox.take();
    ctx = await loadContext(deps.steps, {
      companyId: input.companyId,
      assetName: input.assetName,
      alertIds: [...candidates.map((a) => a.alertId), ...candidateRepeats],
      incidentId,
    });
    deps.setContext(ctx);
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
      return late.alerts.length > 0 ? { kind: 'late', ...late } : { kind: 'nothing' };
    }
  }
  const opened = T.openIncident(
    {
      incidentId,
      companyId: input.companyId,
      workflowId: deps.run.workflowId,
      runId: deps.run.runId,
      aggregationKey: input.aggregationKey,
      assetName: input.assetName,
      signature: input.signature,
      assetCritical: ctx.assetCritical,
      sla: ctx.sla,
      category: ctx.category ?? null,
      first: opening[0]!,
    },
    deps.now(),
  );
  T.absorb(opened, deps.journal, opening, openingRepeats, Date.now());
  const n = opening.length + openingRepeats.length;
  const message = `Incident opened on ${input.assetName} for "${input.signature}" from ${n} alert(s)`;
  T.record(opened, deps.journal, deps.now(), 'created', message, null, T.alertBatchData(opening, openingRepeats));
  return { kind: 'opened', state: opened, firstAlertMs: Math.min(...opening.map((a) => Date.parse(a.receivedAt))) };
}
