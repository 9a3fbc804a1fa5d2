// Inputs, outputs and state of incidentWorkflow. Kept apart from the workflow body so the API
// and the activities can use them without importing workflow code.
import type { IncidentStatus, RiskLevel, Role, Runbook, Severity } from '../domain/types.ts';
import type { Decision } from '../domain/rules.ts';

export const TASK_QUEUE = 'alert-whisperer';

export interface AlertSignal {
  alertId: string;
  severity: Severity;
  message: string;
  toolSource: string;
  /** ISO timestamp of when the webhook stored the alert. */
  receivedAt: string;
}

/** What the alert router sends in one signal: the alerts that change the incident, and plain repeats by id. */
export interface AlertBatch {
  alerts: AlertSignal[];
  /** Repeats of the same key that change nothing; the incident links and counts them on its next save. */
  repeatIds: string[];
}

/** Every alert of the incident has resolved at its source (Alertmanager resolved, CloudWatch OK, ...). */
export interface SourceResolution {
  incidentId: string;
  resolvedAt: string;
}

export interface IncidentWorkflowInput {
  companyId: string;
  assetName: string;
  signature: string;
  aggregationKey: string;
  /** Alerts that arrived after the previous incident of this key resolved: they open this one. */
  carriedAlerts?: AlertSignal[];
  /** Repeat alert ids carried the same way. */
  carriedRepeatIds?: string[];
  /**
   * Set when the workflow continued-as-new to keep its history short; or, holding a resolved state, when a
   * reopenIncident Update started a run of a closed incident (the run ends unless the Update reopens it).
   */
  resume?: IncidentState;
}

export interface Actor {
  userId: string;
  email: string;
  role: Role;
  /** Companies the actor may act on; empty for an MSP admin, who may act on every company. */
  companyIds: string[];
}

export interface IncidentCommand {
  /** The incident the caller saw: a later incident of the same key (a new run) must not take a stale command. */
  incidentId: string;
  actor: Actor;
  comment?: string;
}

export interface Approval {
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  riskLevel: RiskLevel;
  requestedAt: string;
  deadline: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  /** The person who asked for this run (runRunbook); absent when the automation's decision asked. */
  requestedBy?: { userId: string; email: string } | null;
  /** The company's four-eyes setting when the run was requested: the requester may not approve it. */
  fourEyes?: boolean;
}

export type ExecutorKind = 'ssm' | 'dry_run';

export interface SsmCommandRef {
  executor: ExecutorKind;
  attempt: number;
  commandId: string;
  documentName: string;
  instanceIds: string[];
  commands: string[];
  startedAt: string;
}

export interface SsmCommandResult {
  /** SSM's terminal status: Success, Failed, TimedOut, Cancelled, Undeliverable... */
  status: string;
  output: string;
  error: string;
  finishedAt: string;
  /** Each instance's own ending (absent for a dry run and in runs recorded before it existed). */
  instances?: InstanceResult[];
}

/** One instance's invocation as SSM ended it; output and error say "[output truncated by SSM]" when cut. */
export interface InstanceResult {
  instanceId: string;
  status: string;
  output: string;
  error: string;
  /** SSM returned only the first 24,000 characters of a stream. */
  truncated: boolean;
  /** The script's exit code, when SSM reports one. */
  exitCode?: number;
}

export interface Execution extends SsmCommandRef {
  status: string;
  output: string | null;
  /** The instance's stderr, or the tenant's sentence for a failure around the run (domain/failure-text.ts). */
  error: string | null;
  /** The raw error behind that sentence (AWS, Temporal): MSP admins only. Absent before it existed. */
  internalDetail?: string | null;
  finishedAt: string | null;
  /** Each instance's ending; its output is in `output`/`error` (labelled by instance) and the executions row. */
  instances?: Array<Omit<InstanceResult, 'output' | 'error'>>;
}

export interface Acknowledgement {
  by: string;
  at: string;
}

/** Who owns the incident now, and who gave it to them (null: the on-call rotation or the escalation chain). */
export interface Assignment {
  userId: string;
  email: string;
  at: string;
  by: string | null;
}

/** mergeIncident: this incident ends, merged into another (its alerts move there in PostgreSQL). */
export interface MergeCommand extends IncidentCommand {
  into: { incidentId: string; label: string };
  /** Merged by the correlation, not a person (a host fault took its symptoms): only while nobody took it up. */
  byCorrelation?: boolean;
}

/** absorbIncident: the incident takes in a merged one's alerts (counted; they were moved in PostgreSQL). */
export interface AbsorbCommand extends IncidentCommand {
  source: { incidentId: string; label: string; alertCount: number; severity: Severity; toolSources: string[] };
  byCorrelation?: boolean;
}

/** detachAlerts: alerts split off into a new incident of their own. */
export interface DetachCommand extends IncidentCommand {
  alertCount: number;
}

/**
 * runRunbook: a person asks for a runbook on this incident. The API looks the runbook up by id (unscoped) and sends
 * what it found; the workflow's validator decides whether it may run here.
 */
export interface RunRunbookCommand extends IncidentCommand {
  runbookId: string;
  /** The runbook's current version, or null when no live runbook has that id. */
  runbook: Runbook | null;
  /** The company the runbook belongs to, or null when unknown. */
  runbookCompanyId: string | null;
  /** The company's approval.fourEyes setting, read by the API when the run is requested. */
  fourEyes: boolean;
}

/** The person an assignIncident command hands the incident to; the API checks they belong to the company. */
export interface AssignCommand extends IncidentCommand {
  assignee: { userId: string; email: string };
}

export interface IncidentState {
  incidentId: string;
  companyId: string;
  workflowId: string;
  runId: string;
  aggregationKey: string;
  assetName: string;
  signature: string;
  severity: Severity;
  status: IncidentStatus;
  priorityScore: number;
  assetCritical: boolean;
  alertCount: number;
  /** The latest alert ids, to recognise redeliveries; the full list lives in PostgreSQL (alerts.incident_id). */
  recentAlertIds: string[];
  toolSources: string[];
  decision: Decision | null;
  approval: Approval | null;
  execution: Execution | null;
  acknowledgement: Acknowledgement | null;
  /** Absent in runs recorded before assignment existed. */
  assignee?: Assignment | null;
  /** What the person who resolved it wrote; absent in runs recorded before it existed. */
  resolutionNote?: string | null;
  /** Which rotation it pages (domain/on-call.ts); absent in runs recorded before categories. */
  category?: string | null;
  /** People it was given to who did not acknowledge in time: the next in line skips them. */
  passedOver?: string[];
  /** The incident this one was merged into, if it was. */
  mergedInto?: string | null;
  /** Incidents merged into this one: taking one in again (a retried command) changes nothing. */
  absorbed?: string[];
  /** Who asked for the runbook now decided by hand (runRunbook): such a run is never counted as self-healed. */
  runRequestedBy?: string | null;
  /** Times a person reopened the incident after it resolved. */
  reopenCount?: number;
  autoRemediated: boolean;
  escalated: boolean;
  escalationLevel: number;
  escalationReason: string | null;
  slaResponseDeadline: string;
  slaResolutionDeadline: string;
  slaBreached: boolean;
  slaResponseBreached: boolean;
  slaResolutionBreached: boolean;
  /** When every alert had resolved at source; cleared by a new firing alert. Absent in runs before it existed. */
  sourceResolvedAt?: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  /** Number of timeline events so far; doubles as the row version in PostgreSQL. */
  version: number;
}

export interface TimelineEvent {
  seq: number;
  kind: string;
  message: string;
  actor: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}
