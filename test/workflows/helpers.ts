import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { aggregationKey, incidentWorkflowId } from '../../domain/correlation.ts';
import type { Role, Severity } from '../../domain/types.ts';
import { alertsReceived, stateQuery } from '../../workflows/messages.ts';
import { TASK_QUEUE, type Actor, type AlertSignal, type IncidentState } from '../../workflows/types.ts';
import { eventually } from '../helpers/stack.ts';

export function alert(severity: Severity = 'critical', toolSource = 'Prometheus', message = 'it broke'): AlertSignal {
  return { alertId: randomUUID(), severity, message, toolSource, receivedAt: new Date().toISOString() };
}

/** Sends an alert the way the router does: signal-with-start on the business-key workflow id. */
export async function sendAlert(
  temporal: Client,
  companyId: string,
  assetName: string,
  signature: string,
  a: AlertSignal = alert(),
  taskQueue = TASK_QUEUE,
): Promise<WorkflowHandle> {
  return sendAlerts(temporal, companyId, assetName, signature, [a], [], taskQueue);
}

/** A coalesced lane as the router sends it: alerts that change the incident, and repeats by id. */
export async function sendAlerts(
  temporal: Client,
  companyId: string,
  assetName: string,
  signature: string,
  alerts: AlertSignal[],
  repeatIds: string[] = [],
  taskQueue = TASK_QUEUE,
): Promise<WorkflowHandle> {
  const key = aggregationKey(assetName, signature);
  return temporal.workflow.signalWithStart('incidentWorkflow', {
    workflowId: incidentWorkflowId(companyId, key),
    taskQueue,
    args: [{ companyId, assetName, signature, aggregationKey: key }],
    signal: alertsReceived,
    signalArgs: [{ alerts, repeatIds }],
  });
}

export function actor(role: Role, companyIds: string[], email = `${role}@example.test`): Actor {
  return { userId: `u-${role}`, email, role, companyIds };
}

export async function stateWhen(
  handle: WorkflowHandle,
  done: (s: IncidentState) => boolean,
  what: string,
): Promise<IncidentState> {
  return eventually(async () => {
    const s = await handle.query(stateQuery);
    return done(s) ? s : undefined;
  }, what);
}
