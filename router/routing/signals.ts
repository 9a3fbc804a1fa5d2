// The router's Temporal side: one signalWithStart per lane with the alerts that change its incident, and the
// "recovered at source" signal. Each call has its own deadline, so one slow lane cannot hold up a pass for long, and
// the router's stop cancels it.
import { setMaxListeners } from 'node:events';
import type { Client } from '@temporalio/client';
import { runDetails, runSummary } from '../../domain/run-summary.ts';
import { alertsReceived, sourceResolved } from '../../workflows/messages.ts';
import type { AlertBatch, AlertSignal, IncidentWorkflowInput } from '../../workflows/types.ts';
import type { PlacedAlert } from './placement.ts';
import type { ClaimedAlert } from './queue.ts';

const SIGNAL_DEADLINE_MS = 10_000;

/** How a call to Temporal ends early: the router's stop, and the call's deadline (tests shorten it). */
export interface CallLimits {
  stop?: AbortSignal | undefined;
  deadlineMs?: number | undefined;
}
/** Listeners an abort signal may hold before Node warns of a leak: a lane's call attempts, or a pass's lanes. */
export const CALL_LISTENERS = 64;

export async function signalLane(
  temporal: Client,
  taskQueue: string,
  lane: { workflowId: string; first: PlacedAlert; batch: AlertBatch },
  limits: CallLimits = {},
): Promise<void> {
  const { first } = lane;
  const input: IncidentWorkflowInput = {
    companyId: first.companyId,
    assetName: first.assetName,
    signature: first.signature,
    aggregationKey: first.groupKey,
  };
  await callTemporal(temporal, limits, () =>
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
  limits: CallLimits = {},
): Promise<void> {
  await callTemporal(temporal, limits, () =>
    temporal.workflow
      .getHandle(rec.workflowId)
      .signal(sourceResolved, { incidentId: rec.incidentId, resolvedAt: rec.resolvedAt }),
  );
}

/** A call with its deadline, cancelled at once when the router stops. */
export async function callTemporal<T>(temporal: Client, limits: CallLimits, call: () => Promise<T>): Promise<T> {
  const { stop, deadlineMs = SIGNAL_DEADLINE_MS } = limits;
  const withDeadline = () => temporal.connection.withDeadline(Date.now() + deadlineMs, call);
  if (!stop) return withDeadline();
  // A signal of the call's own: the client adds a listener to it per gRPC call and never removes it, which on the
  // router's lifelong stop signal would grow by one every lane.
  const own = new AbortController();
  // One listener per attempt of the call: the client retries an unreachable server until the deadline.
  setMaxListeners(CALL_LISTENERS, own.signal);
  const cancel = () => own.abort();
  stop.addEventListener('abort', cancel, { once: true });
  try {
    return await temporal.connection.withAbortSignal(own.signal, withDeadline);
  } finally {
    stop.removeEventListener('abort', cancel);
  }
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
