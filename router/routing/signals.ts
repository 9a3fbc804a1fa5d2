// The router's Temporal side: one signalWithStart per lane with the alerts that change its incident, and the
// "recovered at source" signal. Each call has its own deadline, so one slow lane cannot hold up a pass for long.
import type { Client } from '@temporalio/client';
import { runDetails, runSummary } from '../../domain/run-summary.ts';
import { alertsReceived, sourceResolved } from '../../workflows/messages.ts';
import type { AlertBatch, AlertSignal, IncidentWorkflowInput } from '../../workflows/types.ts';
import type { PlacedAlert } from './placement.ts';
import type { ClaimedAlert } from './queue.ts';

const SIGNAL_DEADLINE_MS = 10_000;

export async function signalLane(
  temporal: Client,
  taskQueue: string,
  lane: { workflowId: string; first: PlacedAlert; batch: AlertBatch },
): Promise<void> {
  const { first } = lane;
  const input: IncidentWorkflowInput = {
    companyId: first.companyId,
    assetName: first.assetName,
    signature: first.signature,
    aggregationKey: first.groupKey,
  };
  await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
    temporal.workflow.signalWithStart('incidentWorkflow', {
      workflowId: lane.workflowId,
      taskQueue,
      args: [input],
      signal: alertsReceived,
      signalArgs: [lane.batch],
      // Read in Temporal Web's list and run page; set only when this call starts the run.
      staticSummary: runSummary(first),
      staticDetails: runDetails({ ...first, first: toSignal(first) }),
    }),
  );
}

export async function signalRecovery(
  temporal: Client,
  rec: { workflowId: string; incidentId: string; resolvedAt: string },
): Promise<void> {
  await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
    temporal.workflow
      .getHandle(rec.workflowId)
      .signal(sourceResolved, { incidentId: rec.incidentId, resolvedAt: rec.resolvedAt }),
  );
}

export function toSignal(a: ClaimedAlert): AlertSignal {
  return {
    alertId: a.id,
    severity: a.severity,
    message: a.message.slice(0, 2000),
    toolSource: a.toolSource,
    receivedAt: a.receivedAt,
  };
}
