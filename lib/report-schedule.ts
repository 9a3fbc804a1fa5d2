// The install's one monthly-report Schedule (issue 15 item 2), created or brought up to date at every worker start,
// as the patch-compliance Schedule is (lib/patch-schedule.ts): one for the install, not one per company (the workflow
// walks the active companies each month), its id carrying the task queue so installs and test stacks sharing a
// Temporal namespace each keep their own.
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';

export const REPORT_WORKFLOW_TYPE = 'monthlyReportWorkflow';

export const reportScheduleId = (taskQueue: string): string => `monthly-report-${taskQueue}`;

export async function ensureReportSchedule(client: Client, opts: { taskQueue: string }): Promise<void> {
  const scheduleId = reportScheduleId(opts.taskQueue);
  // 01:00 UTC on the 1st: an hour after the month closed, so late alerts and resolutions of its last hour are in.
  const spec = {
    calendars: [{ comment: 'monthly client reports', dayOfMonth: 1, hour: 1, minute: 0 }],
    timezone: 'UTC',
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: REPORT_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-run`,
    taskQueue: opts.taskQueue,
    args: [{}],
  };
  const options: ScheduleOptions = {
    scheduleId,
    spec,
    action,
    // A month's run still retrying a relay when the next is due is left to finish; a worker that was down on the 1st
    // still mails that month when it is back within two days (the ledger keeps it to once).
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '2 days' },
  };
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Another start made it (a restart, a second worker): keep it, with this start's spec and queue.
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
  }
}
