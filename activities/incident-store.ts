// Reads and writes the incident's PostgreSQL projection. Every write is idempotent so that
// Temporal may retry it freely; what PostgreSQL refuses as data fails at once, since no retry can change it.
import { ApplicationFailure } from '@temporalio/common';
import postgres from 'postgres';
import type { Sql } from '../db/sql.ts';
import { INCIDENT_CHANNEL } from '../db/channels.ts';
import { UNSTORABLE } from '../domain/failure-text.ts';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../domain/sla.ts';
import type { IncidentState, TimelineEvent } from '../workflows/types.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import { categoryOf } from '../domain/on-call.ts';

/** PagerDuty's default for an unacknowledged incident before it moves on. */
export const DEFAULT_ACK_TIMEOUT_MINUTES = 30;

export interface IncidentStoreDeps {
  sql: Sql;
  defaultGroupWaitSeconds: number;
  defaultApprovalTimeoutSeconds: number;
  /** Whether the worker registered the incident search attributes (lib/search-attributes.ts) in its namespace. */
  searchAttributes?: boolean;
}

export interface IncidentContext {
  /** Of the alert ids asked about, those already part of an incident. */
  linkedAlertIds: string[];
  groupWaitSeconds: number;
  approvalTimeoutSeconds: number;
  sla: SlaPolicy;
  assetCritical: boolean;
  /** Whether an incident whose alerts all recovered at source resolves itself (unless a runbook is running). */
  autoResolveAtSource: boolean;
  /** Which rotation the incident pages (domain/on-call.ts categoryOf); absent in runs recorded before it. */
  category?: string | null;
  /** Minutes the person an incident was given has to acknowledge it before the next in line gets it. */
  ackTimeoutMinutes?: number;
  /** Whether the run may upsert its search attributes (registered by the worker); absent in older runs. */
  searchAttributes?: boolean;
  /** Whether the company decides by its rules (no LLM provider): the run then decides locally; absent in older runs. */
  decidesByRules?: boolean;
}

export function createIncidentStoreActivities(deps: IncidentStoreDeps) {
  const { sql } = deps;
  return {
    async loadIncidentContext(input: {
      companyId: string;
      assetName: string;
      alertIds?: string[];
      /**
       * The incident the run opens: its own alerts are not another's. A save that linked them in a workflow task
       * that then timed out is run again by the retried task, which must count them (absent in older runs).
       */
      incidentId?: string;
    }): Promise<IncidentContext> {
      // One statement (one round trip): the company's settings, whether the asset is critical, which of the alerts
      // another incident already took, and the earliest alert's labels and signature (for the rotation's category).
      const ids = input.alertIds ?? [];
      const [row] = await sql<
        {
          settings: CompanySettings;
          critical: boolean | null;
          linked: string[];
          labels: Record<string, string> | null;
          signature: string | null;
        }[]
      >`
        SELECT c.settings,
          (SELECT critical FROM assets WHERE company_id = c.id AND name = ${input.assetName}) AS critical,
          ARRAY(SELECT id FROM alerts
                WHERE company_id = c.id AND id = ANY(${ids}::text[]) AND incident_id IS NOT NULL
                  AND incident_id IS DISTINCT FROM ${input.incidentId ?? null}) AS linked,
          f.labels, f.signature
        FROM companies c
        LEFT JOIN LATERAL (
          SELECT labels, signature FROM alerts WHERE company_id = c.id AND id = ANY(${ids}::text[])
          ORDER BY received_at LIMIT 1
        ) f ON true
        WHERE c.id = ${input.companyId}`;
      if (!row) throw new Error(`Company ${input.companyId} not found`);
      const s = row.settings ?? {};
      const first = row.signature === null ? undefined : { signature: row.signature, labels: row.labels };
      return {
        category: first ? categoryOf(first.signature, first.labels) : null,
        ackTimeoutMinutes: s.onCall?.ackTimeoutMinutes ?? DEFAULT_ACK_TIMEOUT_MINUTES,
        ...(deps.searchAttributes ? { searchAttributes: true } : {}),
        linkedAlertIds: row.linked,
        groupWaitSeconds: s.groupWaitSeconds ?? deps.defaultGroupWaitSeconds,
        approvalTimeoutSeconds: s.approvalTimeoutSeconds ?? deps.defaultApprovalTimeoutSeconds,
        sla: {
          responseMinutes: { ...DEFAULT_SLA_POLICY.responseMinutes, ...s.sla?.responseMinutes },
          resolutionMinutes: { ...DEFAULT_SLA_POLICY.resolutionMinutes, ...s.sla?.resolutionMinutes },
          ...(s.sla?.businessHours ? { businessHours: s.sla.businessHours, timeZone: s.timeZone ?? 'UTC' } : {}),
        },
        assetCritical: row.critical ?? false,
        autoResolveAtSource: s.autoResolveAtSource ?? true,
        decidesByRules: (s.decision?.provider ?? 'rules') === 'rules',
      };
    },

    /** The version of the incident's stored row (0 when there is none): a reopening run numbers its lines above it. */
    async storedVersion(input: { companyId: string; incidentId: string }): Promise<number> {
      const [row] = await sql<{ version: number }[]>`
        SELECT version FROM incidents WHERE id = ${input.incidentId} AND company_id = ${input.companyId}`;
      return row?.version ?? 0;
    },

    async saveIncident(input: { state: IncidentState; events: TimelineEvent[]; newAlertIds: string[] }): Promise<void> {
      const s = input.state;
      const ev = input.events;
      // One statement, so one round trip and one commit: its parts see one snapshot, and the foreign keys of the
      // alerts and timeline lines it writes are checked at its end, after the incident row it upserts.
      // `version` only grows: a retry carrying an older snapshot leaves the newer row alone. At one version the save
      // with more alerts is the newer: a save is a local activity, and when its workflow task times out the retried
      // task runs it again with the signals that arrived meanwhile, under the same version. Repeats of an open
      // incident are counted by the router (routed_repeats) and never reach the workflow, so the row's alert_count and
      // the score's alert-count term add those to the workflow's own count.
      await sql`
        WITH saved AS (
            INSERT INTO incidents (
              id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity, status,
              priority_score, alert_count, tool_sources, decision, approval, execution, auto_remediated,
              escalated, escalation_reason, approval_deadline, sla_response_deadline, sla_resolution_deadline,
              sla_breached, version, created_at, updated_at, resolved_at, source_resolved_at,
              acknowledgement, assignee, resolution_note, reopen_count, escalation_level, final_state, category,
              merged_into
            ) VALUES (
              ${s.incidentId}, ${s.companyId}, ${s.workflowId}, ${s.runId}, ${s.aggregationKey}, ${s.assetName},
              ${s.signature}, ${s.severity}, ${s.status},
              ${s.priorityScore}, ${s.alertCount}, ${s.toolSources},
              ${s.decision ? sql.json(s.decision as never) : null}, ${s.approval ? sql.json(s.approval as never) : null},
              ${s.execution ? sql.json(s.execution as never) : null}, ${s.autoRemediated}, ${s.escalated},
              ${s.escalationReason}, ${s.approval?.deadline ?? null}, ${s.slaResponseDeadline}, ${s.slaResolutionDeadline},
              ${s.slaBreached}, ${s.version}, ${s.createdAt}, ${s.updatedAt}, ${s.resolvedAt}, ${s.sourceResolvedAt ?? null},
              ${s.acknowledgement ? sql.json(s.acknowledgement as never) : null},
              ${s.assignee ? sql.json(s.assignee as never) : null}, ${s.resolutionNote ?? null}, ${s.reopenCount ?? 0},
              ${s.escalationLevel}, ${s.status === 'resolved' ? sql.json(finalState(s) as never) : null},
              ${s.category ?? null}, ${s.mergedInto ?? null}
            )
            ON CONFLICT (id) DO UPDATE SET
              run_id = EXCLUDED.run_id, severity = EXCLUDED.severity, status = EXCLUDED.status,
              priority_score = EXCLUDED.priority_score - alert_count_bonus(EXCLUDED.alert_count)
                + alert_count_bonus(EXCLUDED.alert_count + incidents.routed_repeats),
              alert_count = EXCLUDED.alert_count + incidents.routed_repeats,
              source_resolved_at = EXCLUDED.source_resolved_at, tool_sources = EXCLUDED.tool_sources, decision = EXCLUDED.decision, approval = EXCLUDED.approval,
              execution = EXCLUDED.execution, auto_remediated = EXCLUDED.auto_remediated, escalated = EXCLUDED.escalated,
              escalation_reason = EXCLUDED.escalation_reason, approval_deadline = EXCLUDED.approval_deadline,
              sla_breached = EXCLUDED.sla_breached, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
              resolved_at = EXCLUDED.resolved_at, acknowledgement = EXCLUDED.acknowledgement,
              assignee = EXCLUDED.assignee, resolution_note = EXCLUDED.resolution_note,
              reopen_count = EXCLUDED.reopen_count, escalation_level = EXCLUDED.escalation_level,
              final_state = COALESCE(EXCLUDED.final_state, incidents.final_state), merged_into = EXCLUDED.merged_into
            WHERE (incidents.version, incidents.alert_count - incidents.routed_repeats)
              < (EXCLUDED.version, EXCLUDED.alert_count)
          ),
          -- Only the alerts that joined since the last save, and never one that another incident already owns.
          linked AS (
            UPDATE alerts SET incident_id = ${s.incidentId}
            WHERE company_id = ${s.companyId} AND id = ANY(${input.newAlertIds}::text[]) AND incident_id IS NULL
            RETURNING 1
          ),
          -- The save's new timeline lines, however many (a new incident brings several).
          lines AS (
            INSERT INTO incident_events (incident_id, seq, kind, message, actor, data, created_at)
            SELECT ${s.incidentId}, seq, kind, message, actor, data::jsonb, created_at
            FROM unnest(${ev.map((e) => e.seq)}::int[], ${ev.map((e) => e.kind)}::text[],
              ${ev.map((e) => e.message)}::text[], ${ev.map((e) => e.actor)}::text[],
              ${ev.map((e) => (e.data ? JSON.stringify(e.data) : null))}::text[],
              ${ev.map((e) => e.createdAt)}::timestamptz[]) AS v(seq, kind, message, actor, data, created_at)
            ORDER BY seq
            ON CONFLICT (incident_id, seq) DO NOTHING
            RETURNING 1
          )
          -- Listeners get only the id and re-read the row, so a notification can never carry stale data.
          SELECT pg_notify(${INCIDENT_CHANNEL}, ${s.incidentId})`.catch((err: unknown) => {
        throw refusal(err, s.incidentId) ?? err;
      });
    },
  };
}

/**
 * SQLSTATE codes that are the data's fault: class 22 (data exceptions: 22021 a NUL in text, 22P05 one in JSON,
 * 22P02 an unpaired surrogate in JSON) and the integrity violations no retry changes (not null, foreign key, check).
 */
export function refusesData(code: string): boolean {
  return code.startsWith('22') || code === '23502' || code === '23503' || code === '23514';
}

/** A refusal of the incident's data as the non-retryable failure the workflow recognises; null for anything else. */
function refusal(err: unknown, incidentId: string): ApplicationFailure | null {
  if (!(err instanceof postgres.PostgresError) || !refusesData(err.code)) return null;
  // The workflow logs this with the incident id and saves what it can without the refused text.
  return ApplicationFailure.nonRetryable(
    `PostgreSQL refused incident ${incidentId} (SQLSTATE ${err.code}): ${err.message}`,
    UNSTORABLE,
  );
}

/** The state a reopen starts from: written only as the incident resolves, without the redelivery memory. */
function finalState(s: IncidentState): IncidentState {
  return { ...s, recentAlertIds: [] };
}
