// What a storm left in the application database, for one company: the figures the cluster test asserts exactly and
// the bench prints. Read in one statement each, so a check never mixes two moments.
import type { Sql } from '../../db/sql.ts';

export interface StormCounts {
  alerts: number;
  /** Delivery ids stored more than once (the unique key forbids it: a broken migration would show here). */
  duplicateDeliveries: number;
  unrouted: number;
  unlinked: number;
  deadLettered: number;
  incidents: number;
  /** Keys with more than one incident. */
  splitKeys: number;
  /** Σ alert_count over the incidents: above `alerts` if any alert were counted in two. */
  counted: number;
  /** Incidents whose alert_count is not the number of alerts linked to them. */
  miscounted: number;
  /** Alerts linked to an incident of another key (or of no incident row at all). */
  misplaced: number;
  /** Decided auto_remediate and ran to Success (a dry run: auto_remediated stays false, nothing self-healed). */
  remediated: number;
  resolved: number;
  executions: number;
  /** Incidents with more than one executions row (attempt): a remediation run twice. */
  executedTwice: number;
  /** executions rows not finished with Success. */
  executionsUnfinished: number;
}

export async function stormCounts(sql: Sql, companyId: string, distinctSignature: string): Promise<StormCounts> {
  const [a] = await sql<Omit<StormCounts, 'incidents' | 'splitKeys' | 'counted' | 'miscounted'>[]>`
    SELECT count(*)::int AS alerts,
      (count(*) - count(DISTINCT delivery_id))::int AS "duplicateDeliveries",
      count(*) FILTER (WHERE routed_at IS NULL)::int AS unrouted,
      count(*) FILTER (WHERE incident_id IS NULL)::int AS unlinked,
      count(*) FILTER (WHERE dead_lettered_at IS NOT NULL)::int AS "deadLettered",
      count(*) FILTER (WHERE incident_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM incidents i WHERE i.id = a.incident_id AND i.aggregation_key = a.aggregation_key))::int
        AS misplaced,
      0 AS remediated, 0 AS resolved, 0 AS executions, 0 AS "executedTwice", 0 AS "executionsUnfinished"
    FROM alerts a WHERE company_id = ${companyId}`;
  const [i] = await sql<Pick<StormCounts, 'incidents' | 'splitKeys' | 'counted' | 'miscounted'>[]>`
    SELECT count(*)::int AS incidents,
      (count(*) - count(DISTINCT aggregation_key))::int AS "splitKeys",
      coalesce(sum(alert_count), 0)::int AS counted,
      count(*) FILTER (WHERE alert_count <> (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id))::int
        AS miscounted
    FROM incidents i WHERE company_id = ${companyId}`;
  const [r] = await sql<Pick<StormCounts, 'remediated' | 'resolved'>[]>`
    SELECT count(*) FILTER (WHERE decision->>'action' = 'auto_remediate' AND execution->>'status' = 'Success')::int
        AS remediated,
      count(*) FILTER (WHERE status = 'resolved')::int AS resolved
    FROM incidents WHERE company_id = ${companyId} AND signature = ${distinctSignature}`;
  // executions: one row per (incident, attempt), claimed before the run is sent (activities/ssm-claim.ts).
  const [e] = await sql<Pick<StormCounts, 'executions' | 'executedTwice' | 'executionsUnfinished'>[]>`
    SELECT count(*)::int AS executions,
      (count(*) - count(DISTINCT incident_id))::int AS "executedTwice",
      count(*) FILTER (WHERE finished_at IS NULL OR status <> 'Success')::int AS "executionsUnfinished"
    FROM executions WHERE company_id = ${companyId}`;
  return { ...a!, ...i!, ...r!, ...e! };
}
