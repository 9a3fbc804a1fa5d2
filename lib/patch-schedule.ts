// The install's one patch-compliance Schedule (issue 14 item 8), created or brought up to date at every worker start.
// One schedule for the install, not one per company: the workflow walks the companies with registered instances
// each time, so onboarding, offboarding or a company's first asset needs no schedule to be made or deleted, and the
// refresh interval is install configuration. Its id carries the task queue: installs (and test stacks) sharing a
// Temporal namespace each keep their own.
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';

export const PATCH_WORKFLOW_TYPE = 'patchComplianceWorkflow';

export const patchScheduleId = (taskQueue: string): string => `patch-compliance-${taskQueue}`;

/** The workflow id a person's "refresh now" for one company runs under: one refresh per company at a time. */
export const patchRefreshWorkflowId = (taskQueue: string, companyId: string): string =>
  `patch-compliance-${taskQueue}-${companyId}`;

export async function ensurePatchSchedule(
  client: Client,
  opts: { taskQueue: string; intervalMinutes: number },
): Promise<void> {
  const scheduleId = patchScheduleId(opts.taskQueue);
  const spec = { intervals: [{ every: `${opts.intervalMinutes} minutes` as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: PATCH_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-run`,
    taskQueue: opts.taskQueue,
    args: [{}],
  };
  const options: ScheduleOptions = {
    scheduleId,
    spec,
    action,
    // A refresh still running when the next is due makes the next one pointless; a worker that was down for a day
    // needs one refresh, not every missed one.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
  };
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Another start made it (a restart, a second worker): keep it, with this start's interval and queue.
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
  }
}
