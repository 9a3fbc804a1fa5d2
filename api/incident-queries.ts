// Reads of the incident projection, always scoped to the caller's companies.
import type { Sql } from '../db/sql.ts';
import type { Decision } from '../domain/rules.ts';
import type { IncidentStatus, Severity } from '../domain/types.ts';
import type { Approval, Assignment, Execution, IncidentState } from '../workflows/types.ts';

export interface IncidentRecord {
  id: string;
  companyId: string;
  companyName: string;
  workflowId: string;
  runId: string;
  aggregationKey: string;
  assetName: string;
  signature: string;
  severity: Severity;
  status: IncidentStatus;
  priorityScore: number;
  alertCount: number;
  toolSources: string[];
  decision: Decision | null;
  approval: Approval | null;
  execution: Execution | null;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  assignee: Assignment | null;
  resolutionNote: string | null;
  reopenCount: number;
  category: string | null;
  autoRemediated: boolean;
  escalated: boolean;
  escalationLevel: number;
  escalationReason: string | null;
  approvalDeadline: string | null;
  slaResponseDeadline: string;
  slaResolutionDeadline: string;
  slaBreached: boolean;
  /** When every alert of the incident had recovered at its source. */
  sourceResolvedAt: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

export interface AlertRecord {
  id: string;
  assetName: string;
  signature: string;
  message: string;
  severity: Severity;
  toolSource: string;
  status: 'firing' | 'resolved';
  receiver: string;
  resolvedAt: string | null;
  receivedAt: string;
  companyId: string;
  companyName: string;
  /** Null until the router has handed it to an incident, or when it joined none. */
  incidentId: string | null;
  /** A silence or maintenance window muted it: it paged nobody. */
  muted: boolean;
  /** Why it joined its incident: the rule and the fields that matched. */
  correlation: { rule: string; matched: string[] } | null;
  /** The inhibition rule and source alert that held it (kept once released); null when never inhibited. */
  inhibitedBy?: { ruleId: string; ruleName: string; sourceAlertId: string } | null;
  inhibitionReleasedAt?: string | null;
}

export interface TimelineRecord {
  seq: number;
  kind: string;
  message: string;
  actor: string | null;
  createdAt: string;
}

export interface IncidentRow {
  id: string;
  company_id: string;
  company_name: string;
  workflow_id: string;
  run_id: string;
  aggregation_key: string;
  asset_name: string;
  signature: string;
  severity: Severity;
  status: IncidentStatus;
  priority_score: number;
  alert_count: number;
  tool_sources: string[];
  decision: Decision | null;
  approval: Approval | null;
  execution: Execution | null;
  acknowledgement: { by: string; at: string } | null;
  assignee: Assignment | null;
  resolution_note: string | null;
  reopen_count: number;
  category: string | null;
  escalation_level: number;
  auto_remediated: boolean;
  escalated: boolean;
  escalation_reason: string | null;
  approval_deadline: string | null;
  sla_response_deadline: string;
  sla_resolution_deadline: string;
  sla_breached: boolean;
  source_resolved_at: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export function fromRow(r: IncidentRow): IncidentRecord {
  return {
    id: r.id,
    companyId: r.company_id,
    companyName: r.company_name,
    workflowId: r.workflow_id,
    runId: r.run_id,
    aggregationKey: r.aggregation_key,
    assetName: r.asset_name,
    signature: r.signature,
    severity: r.severity,
    status: r.status,
    priorityScore: r.priority_score,
    alertCount: r.alert_count,
    toolSources: r.tool_sources,
    decision: r.decision,
    approval: r.approval,
    execution: r.execution,
    acknowledgedBy: r.acknowledgement?.by ?? null,
    acknowledgedAt: r.acknowledgement?.at ?? null,
    assignee: r.assignee,
    resolutionNote: r.resolution_note,
    reopenCount: r.reopen_count,
    category: r.category,
    autoRemediated: r.auto_remediated,
    escalated: r.escalated,
    escalationLevel: r.escalation_level,
    escalationReason: r.escalation_reason,
    approvalDeadline: r.approval_deadline,
    slaResponseDeadline: r.sla_response_deadline,
    slaResolutionDeadline: r.sla_resolution_deadline,
    slaBreached: r.sla_breached,
    sourceResolvedAt: r.source_resolved_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
  };
}

/** The workflow's answer to an Update, in the shape GraphQL serves (fresher than the row, which follows a moment later). */
export function fromState(s: IncidentState, companyName: string): IncidentRecord {
  return {
    id: s.incidentId,
    companyId: s.companyId,
    companyName,
    workflowId: s.workflowId,
    runId: s.runId,
    aggregationKey: s.aggregationKey,
    assetName: s.assetName,
    signature: s.signature,
    severity: s.severity,
    status: s.status,
    priorityScore: s.priorityScore,
    alertCount: s.alertCount,
    toolSources: s.toolSources,
    decision: s.decision,
    approval: s.approval,
    execution: s.execution,
    acknowledgedBy: s.acknowledgement?.by ?? null,
    acknowledgedAt: s.acknowledgement?.at ?? null,
    assignee: s.assignee ?? null,
    resolutionNote: s.resolutionNote ?? null,
    reopenCount: s.reopenCount ?? 0,
    category: s.category ?? null,
    autoRemediated: s.autoRemediated,
    escalated: s.escalated,
    escalationLevel: s.escalationLevel,
    escalationReason: s.escalationReason,
    approvalDeadline: s.approval?.deadline ?? null,
    slaResponseDeadline: s.slaResponseDeadline,
    slaResolutionDeadline: s.slaResolutionDeadline,
    slaBreached: s.slaBreached,
    sourceResolvedAt: s.sourceResolvedAt ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    resolvedAt: s.resolvedAt,
  };
}

export interface IncidentFilter {
  status?: IncidentStatus | null;
  /** Only incidents assigned to this user. */
  assigneeId?: string | null;
  severity?: Severity | null;
  limit?: number | null;
}

// The incident row as GraphQL serves it, with its company's name; final_state stays out (a reopen reads it).
export function selectIncidents(sql: Sql) {
  return sql`
    SELECT i.id, i.company_id, i.workflow_id, i.run_id, i.aggregation_key, i.asset_name, i.signature, i.severity,
      i.status, i.priority_score, i.alert_count, i.tool_sources, i.decision, i.approval, i.execution,
      i.acknowledgement, i.assignee, i.resolution_note, i.reopen_count, i.escalation_level, i.auto_remediated, i.category,
      i.escalated, i.escalation_reason, i.approval_deadline, i.sla_response_deadline, i.sla_resolution_deadline,
      i.sla_breached, i.source_resolved_at, i.created_at, i.updated_at, i.resolved_at, c.name AS company_name
    FROM incidents i JOIN companies c ON c.id = i.company_id`;
}

/** `scope` null means every company (MSP admin); an empty list means none. */
export function inScope(sql: Sql, scope: string[] | null) {
  return scope === null ? sql`true` : sql`i.company_id = ANY(${scope})`;
}

export async function listIncidents(
  sql: Sql,
  scope: string[] | null,
  filter: IncidentFilter = {},
): Promise<IncidentRecord[]> {
  const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
  const rows = await sql<IncidentRow[]>`
    ${selectIncidents(sql)}
    WHERE ${inScope(sql, scope)}
      ${filter.status ? sql`AND i.status = ${filter.status}` : sql``}
      ${filter.severity ? sql`AND i.severity = ${filter.severity}` : sql``}
      ${filter.assigneeId ? sql`AND i.assignee_id = ${filter.assigneeId}` : sql``}
    ORDER BY (i.status = 'resolved'), i.priority_score DESC, i.created_at DESC
    LIMIT ${limit}`;
  return rows.map(fromRow);
}

/** How many waiting approvals one read of the queue returns. */
export const PENDING_APPROVALS_LIMIT = { default: 100, max: 500 } as const;

/** Incidents whose runbook waits for a person, soonest deadline first (the approvals queue). */
export async function listPendingApprovals(
  sql: Sql,
  scope: string[] | null,
  limit: number = PENDING_APPROVALS_LIMIT.default,
): Promise<IncidentRecord[]> {
  const rows = await sql<IncidentRow[]>`
    ${selectIncidents(sql)}
    WHERE ${inScope(sql, scope)} AND i.status = 'awaiting_approval' AND i.approval->>'status' = 'pending'
    ORDER BY i.approval_deadline, i.id
    LIMIT ${Math.min(Math.max(Math.floor(limit), 1), PENDING_APPROVALS_LIMIT.max)}`;
  return rows.map(fromRow);
}

export async function getIncident(sql: Sql, scope: string[] | null, id: string): Promise<IncidentRecord | null> {
  const rows = await sql<IncidentRow[]>`${selectIncidents(sql)} WHERE i.id = ${id} AND ${inScope(sql, scope)}`;
  return rows[0] ? fromRow(rows[0]) : null;
}

/** An alert as GraphQL serves it, with its company's name: `SELECT ${alertColumns(sql)} WHERE …`. */
export function alertColumns(sql: Sql) {
  return sql`
    a.id, a.asset_name AS "assetName", a.signature, a.message, a.severity, a.tool_source AS "toolSource", a.status,
    a.receiver, a.resolved_at AS "resolvedAt", a.received_at AS "receivedAt", a.correlation,
    a.company_id AS "companyId", c.name AS "companyName", a.incident_id AS "incidentId",
    a.muted_by IS NOT NULL AS muted, a.inhibited_by AS "inhibitedBy", a.inhibition_released_at AS "inhibitionReleasedAt"
    FROM alerts a JOIN companies c ON c.id = a.company_id`;
}

/** The incident's latest alerts, oldest first: a storm's incident holds thousands, a page shows the newest. */
export async function incidentAlerts(sql: Sql, incidentId: string, limit = 100): Promise<AlertRecord[]> {
  const rows = await sql<AlertRecord[]>`
    SELECT ${alertColumns(sql)} WHERE a.incident_id = ${incidentId} ORDER BY a.received_at DESC, a.id DESC
    LIMIT ${Math.min(Math.max(limit, 1), 500)}`;
  return rows.reverse();
}

/** How many timeline events one read returns: a storm's incident records thousands, a page shows the latest. */
export const TIMELINE_LIMIT = { default: 200, max: 1000 } as const;

/** The incident's latest `limit` events (1–TIMELINE_LIMIT.max), oldest first, as the timeline always came. */
export async function incidentTimeline(
  sql: Sql,
  incidentId: string,
  limit: number = TIMELINE_LIMIT.default,
): Promise<TimelineRecord[]> {
  const rows = await sql<TimelineRecord[]>`
    SELECT seq, kind, message, actor, created_at AS "createdAt" FROM incident_events WHERE incident_id = ${incidentId}
    ORDER BY seq DESC LIMIT ${Math.min(Math.max(Math.floor(limit), 1), TIMELINE_LIMIT.max)}`;
  return rows.reverse();
}

/** The state a closed incident resolved with, for a reopen to start from; null while it is open or unknown. */
export async function finalIncidentState(sql: Sql, scope: string[] | null, id: string): Promise<IncidentState | null> {
  const [r] = await sql<{ finalState: IncidentState | null }[]>`
    SELECT i.final_state AS "finalState" FROM incidents i WHERE i.id = ${id} AND ${inScope(sql, scope)}`;
  return r?.finalState ?? null;
}
