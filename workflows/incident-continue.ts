// How an incident run hands over to a fresh run of its workflow ID (continue-as-new): with its open state when its
// history grows long, or with the alerts that came after it resolved, which are a new incident of the same key.
// Split from incidentWorkflow so the workflow body reads as its phases.
import { allHandlersFinished, condition, continueAsNew, sleep } from '@temporalio/workflow';
import { since } from './patches.ts';
import type { AlertInbox } from './alert-inbox.ts';
import type { incidentWorkflow } from './incident.ts';
import type { AlertSignal, IncidentState, IncidentWorkflowInput } from './types.ts';

/** Runs recorded before this ended in the workflow task that resolved them. */
export const END_APART_PATCH = 'end-in-own-task';

/**
 * Lets a resolved run end in a workflow task of its own (a 1 ms timer), not in the one that resolved it. A page's
 * activity that finishes while that task also completes the run makes the server refuse the completion
 * (UnhandledCommand) and abort the Update the task carried: a person's resolve failed although it took. Since the
 * rules decide in the opening task, an escalation's pages are often still in flight when people answer.
 */
export async function endApart(): Promise<void> {
  if (since(END_APART_PATCH)) await sleep(1);
}

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
