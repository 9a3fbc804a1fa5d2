// An install-wide Temporal Schedule, created or brought up to date at every worker start: one for the install, not
// one per company (its workflow walks the companies each run), its id carrying the task queue so installs and test
// stacks sharing a Temporal namespace each keep their own. A run still going when the next is due makes the next
// one pointless, so overlapping runs are skipped.
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';

export async function ensureInstallSchedule(
  client: Client,
  opts: {
    scheduleId: string;
    workflowType: string;
    taskQueue: string;
    spec: ScheduleOptions['spec'];
    /** How long after a missed time (the workers were down) the run is still made. */
    catchupWindow: `${number} ${'minutes' | 'days'}`;
  },
): Promise<void> {
  const { scheduleId, spec } = opts;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: opts.workflowType,
    workflowId: `${scheduleId}-run`,
    taskQueue: opts.taskQueue,
    args: [{}],
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: opts.catchupWindow },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Another start made it (a restart, a second worker): keep it, with this start's spec and queue.
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
  }
}
