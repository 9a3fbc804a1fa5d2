// The shapes the dashboard's components are written against; DateTime arrives as an ISO-8601 string. Enums come
// from generated.ts (`npm run web:types`, from schema.graphql); conformance.ts checks every answer fits these.
import type { IncidentStatus, Role, Severity, SlaStatus } from './generated'
export type { IncidentStatus, Role, Severity, SlaStatus }

/** Who owns an incident; `by` is null when the rotation or the escalation chain gave it to them. */
export interface Assignment {
  userId: string
  email: string
  at: string
  by: string | null
}

export interface User {
  id: string
  email: string
  name: string
  role: Role
  companyIds: string[]
}

export interface AuthPayload {
  accessToken: string
  user: User
}

export interface Alert {
  id: string
  assetName: string
  signature: string
  message: string
  severity: Severity
  toolSource: string
  /** firing, or resolved: the source's recovery notification */
  status: 'firing' | 'resolved'
  /** when the source reported this firing alert recovered */
  resolvedAt: string | null
  receivedAt: string
  /** the rule that placed it in its incident: opened, same_key, host_fault, recurrence, alone */
  correlationRule: string | null
  correlationMatched: string[]
  /** Held by an inhibition rule while its source alert fired; null when never inhibited. */
  inhibition: AlertInhibition | null
}

/** Which rule held an alert and which alert of the incident it waited on; releasedAt once the source resolved. */
export interface AlertInhibition {
  ruleId: string
  ruleName: string
  sourceAlertId: string
  releasedAt: string | null
}

/** Why an incident's alerts are together (api/graphql/types/correlation.ts). */
export interface IncidentCorrelation {
  key: string
  rule: string
  recurrenceOf: string | null
  firstAlertAt: string
  lastAlertAt: string
  reasons: Array<{ rule: string; matched: string[]; alertCount: number }>
}

export interface Decision {
  action: string
  runbookName: string | null
  riskLevel: string | null
  reasoning: string
  source: string
  confidence: number
}

export interface Approval {
  status: string
  riskLevel: string
  requestedAt: string
  deadline: string
  decidedBy: string | null
  decidedAt: string | null
  comment: string | null
}

export interface Execution {
  executor: string
  dryRun: boolean
  commandId: string
  documentName: string
  instanceIds: string[]
  commands: string[]
  status: string
  output: string | null
  error: string | null
  /** The raw AWS or Temporal error behind `error`: MSP admins only, null for everyone else. */
  internalDetail: string | null
  startedAt: string
  finishedAt: string | null
}

export interface IncidentEvent {
  seq: number
  kind: string
  message: string
  actor: string | null
  createdAt: string
}

/** Fields fetched for list rows (no alerts/timeline, to keep the list light). */
export interface IncidentSummary {
  id: string
  companyId: string
  companyName: string
  status: IncidentStatus
  severity: Severity
  signature: string
  assetName: string
  alertCount: number
  priorityScore: number
  toolSources: string[]
  escalated: boolean
  slaBreached: boolean
  acknowledgedBy: string | null
  assignee: Assignment | null
  slaStatus: SlaStatus
  /** the deadline that counts now (response, then resolution); null once resolved */
  slaDeadline: string | null
  category: string | null
  createdAt: string
  updatedAt: string
}

/** The detail page's header: what a live event carries (the SSM output, alerts, timeline and correlation are read by
 * query; the server refuses the last three inside a subscription). */
export interface IncidentHeader extends IncidentSummary {
  aggregationKey: string
  autoRemediated: boolean
  escalationReason: string | null
  slaResponseDeadline: string
  slaResolutionDeadline: string
  approvalDeadline: string | null
  resolvedAt: string | null
  /** what the person who resolved it wrote */
  resolutionNote: string | null
  reopenCount: number
  acknowledgedAt: string | null
  /** when every alert had recovered at its source */
  sourceResolvedAt: string | null
  workflowId: string
  runId: string
  temporalUrl: string
  decision: Decision | null
  approval: Approval | null
  execution: Omit<Execution, 'output'> | null
  viewerCanApprove: boolean
}

/** The header with what the detail page reads by query beyond it; alerts and timeline come by page. */
export interface Incident extends IncidentHeader {
  execution: Execution | null
  correlation: IncidentCorrelation | null
  /** Alerts attached by an inhibition rule and not released (a count query: never sent live). */
  inhibitedCount: number
}

/** One page of a cursor connection, newest first. */
export interface Connection<T> {
  edges: Array<{ node: T }>
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}
