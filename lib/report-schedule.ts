// The install's one monthly-report Schedule (issue 15 item 2), made at every worker start (lib/install-schedule.ts):
// the workflow walks the active companies each month.
import type { Client } from '@temporalio/client';
import { ensureInstallSchedule } from './install-schedule.ts';

export const REPORT_WORKFLOW_TYPE = 'monthlyReportWorkflow';

export const reportScheduleId = (taskQueue: string): string => `monthly-report-${taskQueue}`;

export async function ensureReportSchedule(client: Client, opts: { taskQueue: string }): Promise<void> {
  await ensureInstallSchedule(client, {
    scheduleId: reportScheduleId(opts.taskQueue),
    workflowType: REPORT_WORKFLOW_TYPE,
    taskQueue: opts.taskQueue,
    // 01:00 UTC on the 1st: an hour after the month closed, so late alerts and resolutions of its last hour are in.
    spec: { calendars: [{ comment: 'monthly client reports', dayOfMonth: 1, hour: 1, minute: 0 }], timezone: 'UTC' },
    // A worker that was down on the 1st still mails that month when it is back within two days (the ledger keeps it
    // to once); a month's run still retrying a relay when the next is due is left to finish.
    catchupWindow: '2 days',
  });
}
