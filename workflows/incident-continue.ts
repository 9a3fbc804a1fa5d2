// How an incident run hands over to a fresh run of its workflow ID (continue-as-new): with its open state when its
// history grows long, or with the alerts that came after it resolved, which are a new incident of the same key.
// Split from incidentWorkflow so the workflow body reads as its phases.
import { allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import type { AlertInbox } from './alert-inbox.ts';
import type { incidentWorkflow } from './incident.ts';
import type { AlertSignal, IncidentState, IncidentWorkflowInput } from './types.ts';

/** Continues the open incident in a fresh run, once handlers and saves are done; pending alerts move along. */
export async function continueWithFreshHistory(
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

/** Starts the next incident of the key in a new run with `alerts`: ones that came late or after the resolution. */
export async function continueWithAlerts(
  input: IncidentWorkflowInput,
  alerts: { alerts: AlertSignal[]; repeatIds: string[] },
): Promise<never> {
  return await continueAsNew<typeof incidentWorkflow>({
    ...input,
    carriedAlerts: alerts.alerts,
    carriedRepeatIds: alerts.repeatIds,
    resume: undefined,
  });
}
