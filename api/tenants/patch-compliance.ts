// Patch compliance for the dashboard (issue 14 item 8): the stored states summarised now (never an AWS call on a
// read), and a person's "refresh now", which runs the same workflow the install's schedule runs, for one company.
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { instanceAssetNames, readPatchCompliance } from '../../db/patch-compliance.ts';
import type { Sql } from '../../db/sql.ts';
import {
  STALE_SCAN_HOURS,
  summarisePatchStates,
  type InstancePatchView,
  type PatchSummary,
} from '../../domain/patch-compliance.ts';
import { PATCH_WORKFLOW_TYPE, patchRefreshWorkflowId } from '../../lib/patch-schedule.ts';

export interface PatchInstanceView extends InstancePatchView {
  assetName: string | null;
}

export interface PatchComplianceView extends Omit<PatchSummary, 'instances'> {
  companyId: string;
  /** The last successful refresh; null before the first. */
  refreshedAt: string | null;
  /** The latest attempt, successful or not. */
  attemptedAt: string | null;
  /** Our sentence when the latest attempt failed (the figures are then the last good ones). */
  failure: string | null;
  staleAfterHours: number;
  instances: PatchInstanceView[];
}

export async function getPatchCompliance(sql: Sql, companyId: string, now = new Date()): Promise<PatchComplianceView> {
  const { refresh, states } = await readPatchCompliance(sql, companyId);
  const names = await instanceAssetNames(sql, companyId);
  const summary = summarisePatchStates(refresh?.asked ?? [], states, now);
  return {
    ...summary,
    companyId,
    refreshedAt: refresh?.refreshedAt ?? null,
    attemptedAt: refresh?.attemptedAt ?? null,
    failure: refresh?.failure ?? null,
    staleAfterHours: STALE_SCAN_HOURS,
    instances: summary.instances.map((i) => ({ ...i, assetName: names.get(i.instanceId) ?? null })),
  };
}

/** Runs the company's refresh now (joining one already running for it) and waits for it to be stored. */
export async function refreshPatchCompliance(temporal: Client, taskQueue: string, companyId: string): Promise<void> {
  const handle = await temporal.workflow.start(PATCH_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: patchRefreshWorkflowId(taskQueue, companyId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ companyId }],
  });
  await handle.result();
}
