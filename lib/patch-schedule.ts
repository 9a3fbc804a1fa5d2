// The install's one patch-compliance Schedule (issue 14 item 8), made at every worker start (lib/install-schedule.ts):
// the workflow walks the companies with registered instances each time, so onboarding, offboarding or a company's
// first asset needs no schedule to be made or deleted, and the refresh interval is install configuration.
import type { Client } from '@temporalio/client';
import { ensureInstallSchedule } from './install-schedule.ts';

export const PATCH_WORKFLOW_TYPE = 'patchComplianceWorkflow';

export const patchScheduleId = (taskQueue: string): string => `patch-compliance-${taskQueue}`;

/** The workflow id a person's "refresh now" for one company runs under: one refresh per company at a time. */
export const patchRefreshWorkflowId = (taskQueue: string, companyId: string): string =>
  `patch-compliance-${taskQueue}-${companyId}`;

export async function ensurePatchSchedule(
  client: Client,
  opts: { taskQueue: string; intervalMinutes: number },
): Promise<void> {
  await ensureInstallSchedule(client, {
    scheduleId: patchScheduleId(opts.taskQueue),
    workflowType: PATCH_WORKFLOW_TYPE,
    taskQueue: opts.taskQueue,
    spec: { intervals: [{ every: `${opts.intervalMinutes} minutes` }] },
    // A worker that was down for a day needs one refresh, not every missed one.
    catchupWindow: '10 minutes',
  });
}
