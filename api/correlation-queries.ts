// "Why are these alerts together": an incident's correlation group, its recurrence link and the rules that
// brought its alerts in. Called with an incident the caller may already see (its scope was checked).
import type { Sql } from '../db/sql.ts';

export interface CorrelationReason {
  rule: string;
  matched: string[];
  alertCount: number;
}

export interface IncidentCorrelationRecord {
  key: string;
  /** How the group began: opened (a new key), recurrence, or alone (correlation off). */
  rule: string;
  /** The previous incident of the key, when this one is its recurrence. */
  recurrenceOf: string | null;
  firstAlertAt: string;
  lastAlertAt: string;
  reasons: CorrelationReason[];
}

export async function incidentCorrelation(
  sql: Sql,
  incident: { id: string; workflowId: string },
): Promise<IncidentCorrelationRecord | null> {
  const [group] = await sql<(Omit<IncidentCorrelationRecord, 'reasons'> & { id: string })[]>`
    SELECT g.id, g.correlation_key AS key, g.rule, g.first_at AS "firstAlertAt", g.last_at AS "lastAlertAt",
      (SELECT p.id FROM incidents p JOIN correlation_groups pg ON pg.workflow_id = p.workflow_id
       WHERE pg.id = g.recurrence_of AND p.company_id = g.company_id
       ORDER BY p.created_at DESC LIMIT 1) AS "recurrenceOf"
    FROM correlation_groups g WHERE g.workflow_id = ${incident.workflowId}`;
  // Incidents opened before correlation groups existed have none.
  if (!group) return null;
  const reasons = await sql<CorrelationReason[]>`
    SELECT correlation->>'rule' AS rule,
      ARRAY(SELECT jsonb_array_elements_text(correlation->'matched')) AS matched, count(*)::int AS "alertCount"
    FROM alerts WHERE incident_id = ${incident.id} AND correlation IS NOT NULL
    GROUP BY correlation ORDER BY min(received_at)`;
  const { id: _id, ...rest } = group;
  return { ...rest, reasons };
}
