// The incident's state transitions, apart from Temporal: open, absorb alerts, decide, escalate, breach an SLA,
// recover at source, resolve. Each changes the state it is given, appends its timeline event to the journal, and takes
// the time as an argument, so the workflow stays deterministic and these stay plainly unit-testable. The approval's
// transitions and validators are in approval-state.ts, a runbook's run in remediation-state.ts, the journal in
// journal.ts, people's commands in incident-lifecycle.ts; this module re-exports the first three, so the workflow
// imports one module for every transition (as `T`).
import { priorityScore } from '../domain/priority.ts';
import type { Decision } from '../domain/rules.ts';
import { maxSeverity } from '../domain/severity.ts';
import type { SlaPolicy } from '../domain/sla.ts';
import { responded as respondedTo, slaDeadlines } from '../domain/sla.ts';
import { failureData, record, type Journal } from './journal.ts';
import type { AlertSignal, IncidentState } from './types.ts';

export * from './approval-state.ts';
export * from './journal.ts';
export * from './remediation-state.ts';

/** Redelivered alert ids are recognised among this many recent ones; older redeliveries are caught in PostgreSQL. */
export const RECENT_ALERT_IDS = 200;
/** Distinct tools kept on the incident; a bound on state, far above any real stack. */
export const MAX_TOOL_SOURCES = 20;
/** Alert ids a timeline event lists; the count says the rest. */
export const EVENT_ALERT_IDS = 20;

const HOUR = 3_600_000;

export interface OpenParams {
  incidentId: string;
  companyId: string;
  workflowId: string;
  runId: string;
  aggregationKey: string;
  assetName: string;
  signature: string;
  assetCritical: boolean;
  sla: SlaPolicy;
  /** Which rotation it pages; null when neither a label nor the signature says. */
  category?: string | null;
  /** The alert whose severity sets the SLA; it joins with the rest through absorb. */
  first: AlertSignal;
}

export function openIncident(p: OpenParams, now: string): IncidentState {
  const deadlines = slaDeadlines(Date.parse(now), p.first.severity, p.sla);
  return {
    incidentId: p.incidentId,
    companyId: p.companyId,
    workflowId: p.workflowId,
    runId: p.runId,
    aggregationKey: p.aggregationKey,
    assetName: p.assetName,
    signature: p.signature,
    severity: p.first.severity,
    status: 'new',
    priorityScore: 0,
    assetCritical: p.assetCritical,
    category: p.category ?? null,
    alertCount: 0,
    recentAlertIds: [],
    toolSources: [],
    decision: null,
    approval: null,
    execution: null,
    acknowledgement: null,
    assignee: null,
    resolutionNote: null,
    reopenCount: 0,
    autoRemediated: false,
    escalated: false,
    escalationLevel: 0,
    escalationReason: null,
    slaResponseDeadline: new Date(deadlines.responseDeadline).toISOString(),
    slaResolutionDeadline: new Date(deadlines.resolutionDeadline).toISOString(),
    slaBreached: false,
    slaResponseBreached: false,
    slaResolutionBreached: false,
    createdAt: now,
    updatedAt: now,
    resolvedAt: null,
    version: 0,
  };
}

/** Alerts (and plain repeats by id) join: count, severity, tools, priority. Records no event by itself. */
export function absorb(s: IncidentState, j: Journal, alerts: AlertSignal[], repeatIds: string[], nowMs: number): void {
  for (const a of alerts) {
    s.alertCount += 1;
    s.recentAlertIds.push(a.alertId);
    j.alertIds.push(a.alertId);
    s.severity = maxSeverity(s.severity, a.severity);
    if (!s.toolSources.includes(a.toolSource) && s.toolSources.length < MAX_TOOL_SOURCES)
      s.toolSources.push(a.toolSource);
  }
  s.alertCount += repeatIds.length;
  j.alertIds.push(...repeatIds);
  // A firing alert after the source said everything recovered: the problem is back.
  if (alerts.length > 0 && s.sourceResolvedAt) s.sourceResolvedAt = null;
  s.recentAlertIds.splice(0, Math.max(s.recentAlertIds.length - RECENT_ALERT_IDS, 0));
  s.priorityScore = priorityScore({
    severity: s.severity,
    assetCritical: s.assetCritical,
    alertCount: s.alertCount,
    toolSourceCount: s.toolSources.length,
    ageHours: (nowMs - Date.parse(s.createdAt)) / HOUR,
  });
}

/** The event data naming the alerts of a batch: at most EVENT_ALERT_IDS ids, and the count when there are more. */
export function alertBatchData(alerts: AlertSignal[], repeatIds: string[]): Record<string, unknown> {
  const n = alerts.length + repeatIds.length;
  return {
    alertIds: [...alerts.map((a) => a.alertId), ...repeatIds].slice(0, EVENT_ALERT_IDS),
    ...(n > EVENT_ALERT_IDS ? { alertCount: n } : {}),
  };
}

/** `reason` is what the tenant reads; `detail`, the raw error behind it, if a failure caused it. */
export function escalate(s: IncidentState, j: Journal, now: string, reason: string, detail?: string): void {
  s.status = 'escalated';
  s.escalated = true;
  s.escalationLevel += 1;
  s.escalationReason = reason;
  record(s, j, now, 'escalated', `Escalated to level ${s.escalationLevel}: ${reason}`, null, failureData(detail));
}

export function resolve(
  s: IncidentState,
  j: Journal,
  now: string,
  message: string,
  actor: string | null,
  autoRemediated: boolean,
): void {
  s.status = 'resolved';
  s.autoRemediated = autoRemediated;
  s.resolvedAt = now;
  record(s, j, now, 'resolved', message, actor);
}

export function recordDecision(s: IncidentState, j: Journal, now: string, d: Decision, detail?: string): void {
  s.decision = d;
  record(s, j, now, 'decided', d.reasoning, null, {
    action: d.action,
    source: d.source,
    runbook: d.runbook?.name ?? null,
    ...failureData(detail),
  });
}

/** Whether someone has responded, which stops the response SLA clock. */
export function responded(s: IncidentState): boolean {
  return respondedTo({
    acknowledged: s.acknowledgement !== null,
    status: s.status,
    approvalStatus: s.approval?.status ?? null,
  });
}

export function breachSla(s: IncidentState, j: Journal, now: string, which: 'Response' | 'Resolution'): void {
  const deadline = which === 'Response' ? s.slaResponseDeadline : s.slaResolutionDeadline;
  if (which === 'Response') s.slaResponseBreached = true;
  else s.slaResolutionBreached = true;
  s.slaBreached = true;
  s.escalated = true;
  s.escalationLevel += 1;
  s.escalationReason = `${which} SLA breached`;
  record(
    s,
    j,
    now,
    'sla_breached',
    `${which} SLA breached (deadline ${deadline}); escalated to level ${s.escalationLevel}`,
  );
}

/**
 * Records that every alert recovered at source. Returns whether the incident should now resolve: only when the
 * company lets it and no runbook is in flight; otherwise the timeline says why it stays open.
 */
export function recoverAtSource(
  s: IncidentState,
  j: Journal,
  now: string,
  resolvedAt: string,
  autoResolve: boolean,
): boolean {
  s.sourceResolvedAt = resolvedAt;
  if (autoResolve && s.status !== 'remediating') return true;
  const why =
    s.status === 'remediating'
      ? 'the runbook in flight finishes first'
      : 'this company resolves such incidents by hand';
  record(s, j, now, 'resolved_at_source', `Every alert recovered at its source; ${why}`);
  return false;
}
