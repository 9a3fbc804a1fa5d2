// The incident's state transitions, apart from Temporal: open, absorb alerts, decide, request and record an
// approval, escalate, breach an SLA, resolve (people's commands are in incident-lifecycle.ts). Each changes the
// state it is given, appends its timeline event to the journal, and takes the time as an argument, so the
// workflow stays deterministic and these stay plainly unit-testable. Validators return the refusal instead of throwing, for the workflow to raise.
import type { Decision } from '../domain/rules.ts';
import { canApprove } from '../domain/rules.ts';
import { priorityScore } from '../domain/priority.ts';
import { maxSeverity } from '../domain/severity.ts';
import type { SlaPolicy } from '../domain/sla.ts';
import { responded as respondedTo, slaDeadlines } from '../domain/sla.ts';
import type {
  AlertSignal,
  IncidentCommand,
  IncidentState,
  SsmCommandRef,
  SsmCommandResult,
  TimelineEvent,
} from './types.ts';

/** Redelivered alert ids are recognised among this many recent ones; older redeliveries are caught in PostgreSQL. */
export const RECENT_ALERT_IDS = 200;
/** Distinct tools kept on the incident; a bound on state, far above any real stack. */
export const MAX_TOOL_SOURCES = 20;
/** Alert ids a timeline event lists; the count says the rest. */
export const EVENT_ALERT_IDS = 20;

const HOUR = 3_600_000;

/** Timeline events not yet saved, and the alert ids absorbed since the last save (each save links only these). */
export interface Journal {
  events: TimelineEvent[];
  alertIds: string[];
}

export function emptyJournal(): Journal {
  return { events: [], alertIds: [] };
}

/** A refusal of a command: the workflow raises it as a non-retryable failure of this type. */
export interface Refusal {
  type: string;
  message: string;
}

export function record(
  s: IncidentState,
  j: Journal,
  now: string,
  kind: string,
  message: string,
  actor: string | null = null,
  data: Record<string, unknown> | null = null,
): void {
  s.version += 1;
  s.updatedAt = now;
  j.events.push({ seq: s.version, kind, message, actor, data, createdAt: now });
}

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

/** The event data holding a failure's raw error: only MSP admins read it (incidentFailureDetails). */
export function failureData(detail: string | undefined): Record<string, unknown> | null {
  return detail === undefined ? null : { internalDetail: detail };
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

/** The runbook waits for a person until now + timeout; `by` is the person who asked for the run, if one did. */
export function requestApproval(
  s: IncidentState,
  j: Journal,
  now: string,
  timeoutSeconds: number,
  by?: { requestedBy: { userId: string; email: string }; fourEyes: boolean },
): void {
  const runbook = s.decision!.runbook!;
  s.status = 'awaiting_approval';
  s.approval = {
    status: 'pending',
    riskLevel: runbook.riskLevel,
    requestedAt: now,
    deadline: new Date(Date.parse(now) + timeoutSeconds * 1000).toISOString(),
    decidedBy: null,
    decidedAt: null,
    comment: null,
    ...by,
  };
  record(
    s,
    j,
    now,
    'approval_requested',
    `Approval requested for ${runbook.riskLevel}-risk runbook "${runbook.name}" (expires ${s.approval.deadline})`,
  );
}

export function expireApproval(s: IncidentState, j: Journal, now: string, timeoutSeconds: number): void {
  s.approval!.status = 'expired';
  record(
    s,
    j,
    now,
    'approval_expired',
    `No decision within the approval timeout (${Math.round(timeoutSeconds / 60)} min)`,
  );
}

export function withComment(text: string, cmd: IncidentCommand): string {
  return `${text}${cmd.comment ? `: ${cmd.comment}` : ''}`;
}

export function decideApproval(
  s: IncidentState,
  j: Journal,
  now: string,
  status: 'approved' | 'rejected',
  cmd: IncidentCommand,
): void {
  const approval = s.approval!;
  approval.status = status;
  approval.decidedBy = cmd.actor.email;
  approval.decidedAt = now;
  approval.comment = cmd.comment ?? null;
  record(s, j, now, status, withComment(`Runbook ${status} by ${cmd.actor.email}`, cmd), cmd.actor.email);
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

export function startRemediation(s: IncidentState, j: Journal, now: string, ref: SsmCommandRef): void {
  s.execution = { ...ref, status: 'InProgress', output: null, error: null, finishedAt: null };
  const verb = ref.executor === 'dry_run' ? 'DRY RUN: would send' : 'Sent';
  const count = `(${ref.commands.length} command(s))`;
  // Only the incident's company's registered instance is ever a target (activities/ssm.ts): without one, say so.
  const target =
    ref.instanceIds.length > 0
      ? `to ${ref.instanceIds.join(', ')} ${count}`
      : `${count} with no target (the asset has no registered instance id)`;
  record(s, j, now, 'remediation_started', `${verb} ${ref.documentName} ${target}`, null, {
    commandId: ref.commandId,
    executor: ref.executor,
    commands: ref.commands,
  });
}

export function finishRemediation(s: IncidentState, j: Journal, now: string, result: SsmCommandResult): void {
  s.execution = {
    ...s.execution!,
    status: result.status,
    output: result.output,
    error: result.error,
    finishedAt: result.finishedAt,
    // Per-instance endings without a second copy of the output (the state is saved on every change).
    ...(result.instances ? { instances: result.instances.map(({ output: _o, error: _e, ...rest }) => rest) } : {}),
  };
  record(s, j, now, 'remediation_finished', `Runbook "${s.decision!.runbook!.name}" finished: ${result.status}`, null, {
    status: result.status,
  });
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

// ---- validators ------------------------------------------------------------------------------

export function refuseActor(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  if (cmd.incidentId !== s.incidentId) {
    return { type: 'IncidentClosed', message: 'That incident is closed; a newer incident of the same alert is open' };
  }
  if (cmd.actor.role !== 'msp_admin' && !cmd.actor.companyIds.includes(s.companyId)) {
    return { type: 'Forbidden', message: 'You do not have access to this incident' };
  }
  return null;
}

export function refuseApprovalDecision(
  s: IncidentState,
  cmd: IncidentCommand,
  nowMs: number,
  decision: 'approved' | 'rejected' = 'approved',
): Refusal | null {
  const actor = refuseActor(s, cmd);
  if (actor) return actor;
  if (!s.approval || s.status !== 'awaiting_approval') {
    return { type: 'NoPendingApproval', message: `Incident is ${s.status}; there is no approval pending` };
  }
  if (s.approval.status !== 'pending') {
    return {
      type: 'AlreadyDecided',
      message: `Approval was already ${s.approval.status} by ${s.approval.decidedBy ?? 'the timeout'}`,
    };
  }
  // The timer may not have fired yet (a worker outage, a busy activation): the deadline itself decides.
  if (nowMs >= Date.parse(s.approval.deadline)) {
    return { type: 'ApprovalExpired', message: `The approval deadline (${s.approval.deadline}) has passed` };
  }
  if (!canApprove(cmd.actor.role, s.approval.riskLevel)) {
    return {
      type: 'InsufficientRole',
      message: `A ${cmd.actor.role} may not approve a ${s.approval.riskLevel}-risk runbook`,
    };
  }
  // Four-eyes: whoever asked for the run may withdraw it (reject) but never be the second pair of eyes.
  if (decision === 'approved' && s.approval.fourEyes && s.approval.requestedBy?.userId === cmd.actor.userId) {
    return {
      type: 'FourEyes',
      message: 'Four-eyes approval is on for this company: another person must approve the run you requested',
    };
  }
  return null;
}
