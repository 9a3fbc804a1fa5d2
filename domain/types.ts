// Vocabulary shared by the webhook, the workflows, the GraphQL API and the dashboard.

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** firing: the condition is active. resolved: the source says it recovered (Alertmanager resolved, OK, Recovered). */
export type AlertStatus = 'firing' | 'resolved';

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const ROLES = ['msp_admin', 'company_admin', 'technician'] as const;
export type Role = (typeof ROLES)[number];

// new → acknowledged → in_progress → resolved is the path people walk; awaiting_approval and remediating are the
// automation's; escalated is where a failed automation or a breached SLA hands the incident to the next person;
// reopened is a resolved incident someone found was not.
export const INCIDENT_STATUSES = [
  'new',
  'acknowledged',
  'in_progress',
  'awaiting_approval',
  'remediating',
  'escalated',
  'reopened',
  'resolved',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface Runbook {
  id: string;
  name: string;
  /** The first of `signatures` (kept for histories and callers from before versions). */
  signature: string;
  riskLevel: RiskLevel;
  documentName: string;
  /** Command templates (domain/runbook-template.ts); rendered per incident before they are sent. */
  actions: string[];
  // Optional, so workflow histories recorded before runbook versions still replay.
  /** The immutable version this is: an incident's decision records the version it ran. */
  version?: number;
  /** Exact signatures or globs the runbook handles (domain/glob.ts). */
  signatures?: string[];
  /** Values for {{param.<name>}}. */
  parameters?: Record<string, string>;
  /** SSM executionTimeout for the commands. */
  timeoutSeconds?: number;
  /** Check templates gating the run (domain/runbook-checks.ts); absent = none. */
  preCheck?: string[];
  postCheck?: string[];
  /** Run on the company's assets with this tag instead of the incident's asset (domain/runbook-targets.ts). */
  targetTag?: string;
  /**
   * Whether it runs without a person under its company's approval policy (approval.autoApproveUpTo), set when the
   * company has one (db/runbooks.ts loadRunbooks); absent = low risk only (domain/rules.ts runsUnattended).
   */
  autoApprove?: boolean;
}
