// Releasing inhibited alerts (db/migrations/027_inhibition_rules.sql): a target whose source resolved at source, or
// whose rule was deleted, goes back on the routing queue to be judged again; its inhibited_by stays as history. The
// third way, its incident resolving, is the migration's trigger. Shared by the router and the API.
import { ALERT_CHANNEL } from './channels.ts';
import type { Sql, TransactionSql } from './sql.ts';

export type ReleaseBy = { sourceAlertIds: string[] } | { ruleId: string; companyId: string };

/**
 * Releases the still-firing, unresolved targets the sources or the rule inhibit; returns how many. One statement,
 * and a NOTIFY (at commit) only when something was released.
 */
export async function releaseInhibited(sql: Sql | TransactionSql, by: ReleaseBy): Promise<number> {
  const which =
    'sourceAlertIds' in by
      ? sql`inhibited_by->>'sourceAlertId' = ANY(${by.sourceAlertIds})`
      : sql`inhibited_by->>'ruleId' = ${by.ruleId} AND company_id = ${by.companyId}`;
  if ('sourceAlertIds' in by && by.sourceAlertIds.length === 0) return 0;
  const [r] = await sql<{ n: number }[]>`
    WITH released AS (
      UPDATE alerts SET inhibition_released_at = now(), incident_id = NULL, routed_at = NULL, route_next_at = now(),
        route_attempts = 0, route_error = NULL
      WHERE ${which} AND inhibited_by IS NOT NULL AND inhibition_released_at IS NULL
        AND status = 'firing' AND resolved_at IS NULL AND dead_lettered_at IS NULL
      RETURNING 1
    )
    SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify(${ALERT_CHANNEL}, '') END AS woke FROM released`;
  return r!.n;
}
