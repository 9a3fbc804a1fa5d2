// The router's PostgreSQL side. A claim writes nothing: the router holds the partitions of the companies it claims
// (partitions.ts), so no other router reads the same alerts until it lets go. Nothing is locked or held open across a
// call to Temporal but those advisory locks; an alert's row is written again only when its routing records an
// outcome (placed, routed, failed). A pass is marked in route_passes while it runs (passes.ts).
import type { Sql } from '../../db/sql.ts';
import type { Muting } from '../../domain/silences.ts';
import type { AlertStatus, Severity } from '../../domain/types.ts';
import { INCIDENT_CHANNEL } from '../../db/channels.ts';
import { PARTITION_OF } from './partitions.ts';
import type { RoutePlacement } from './passes.ts';

export interface ClaimedAlert {
  id: string;
  companyId: string;
  assetName: string;
  signature: string;
  aggregationKey: string;
  severity: Severity;
  message: string;
  toolSource: string;
  status: AlertStatus;
  sourceKey: string | null;
  receivedAt: string;
  routeAttempts: number;
  labels: Record<string, string>;
  /** Set once the alert was placed in a correlation group (a claim that died after placing it leaves it set). */
  groupId: string | null;
  /** Set when an earlier delivery already joined it to an incident (a redelivery after a crash). */
  incidentId: string | null;
  /** The router's muting verdict, judged before placement (routing/muting.ts); undefined until judged. */
  muting?: Muting | null;
}

/** The columns of a ClaimedAlert, for every statement that hands alerts to the router. */
export const CLAIMED_COLUMNS = `alerts.id, company_id AS "companyId", asset_name AS "assetName", signature,
  aggregation_key AS "aggregationKey", severity, message, tool_source AS "toolSource", status,
  source_key AS "sourceKey", received_at AS "receivedAt", route_attempts AS "routeAttempts",
  labels, group_id AS "groupId", incident_id AS "incidentId"`;

export interface OpenIncidentRow {
  id: string;
  workflowId: string;
  severity: Severity;
  toolSources: string[];
  sourceResolvedAt: string | null;
}

export interface ClaimOptions {
  /**
   * Alerts a company may have in one claim while others wait too: a storm in one company leaves room for the others.
   * Fewer companies waiting share the whole claim (claimAlerts).
   */
  perCompany: number;
  total: number;
  /** Only the companies of these partitions: the ones this router holds (partitions.ts). */
  partitions: readonly number[];
  /** Companies after this id go first, so the companies served last time go last this time. */
  afterCompanyId: string;
  /** Only these companies' alerts (a router a test starts beside others on one database); unset: every company. */
  companyIds?: string[];
  /** Only the companies of this scope (see CompanyScope); unset: every company. */
  companyScope?: CompanyScope;
}

/**
 * Companies claimed by id prefix, for routers sharing one database with others that must not take each other's
 * alerts (each test file's stack). Ids starting with `idPrefix` are this router's; when `sharedUnlessPrefix` is set,
 * so is every company whose id does not start with it (companies outside the partitioned family, which any router
 * may take as without a scope).
 */
export interface CompanyScope {
  idPrefix: string;
  sharedUnlessPrefix?: string;
}

export type ScopeOptions = Pick<ClaimOptions, 'companyIds' | 'companyScope'>;

/** The companies of a router's scope, as a WHERE clause on `companies` (a small table, read whole anyway). */
function scoped(sql: Sql, o: ScopeOptions) {
  const only = o.companyIds ?? null;
  const prefix = o.companyScope?.idPrefix ?? null;
  const shared = o.companyScope?.sharedUnlessPrefix ?? null;
  // starts_with has no LIKE wildcards to escape.
  return sql`(${only}::text[] IS NULL OR id = ANY(${only}::text[]))
    AND (${prefix}::text IS NULL OR starts_with(id, ${prefix}::text)
      OR (${shared}::text IS NOT NULL AND NOT starts_with(id, ${shared}::text)))`;
}

/** The ids of the scope's companies, as a subquery (every company for a production router's empty scope). */
export function companiesInScope(sql: Sql, o: ScopeOptions) {
  return sql`SELECT id FROM companies WHERE ${scoped(sql, o)}`;
}

/** The partitions of the scope's companies with alerts due for routing, as a query of `p` (partitions.ts takes). */
export function duePartitions(sql: Sql, o: ScopeOptions) {
  return sql`
    SELECT DISTINCT ${sql.unsafe(PARTITION_OF('c.id'))} AS p FROM companies c
    WHERE ${scoped(sql, o)} AND EXISTS (
      SELECT 1 FROM alerts a WHERE a.company_id = c.id AND a.routed_at IS NULL AND a.dead_lettered_at IS NULL
        AND a.route_next_at <= now())`;
}

/**
 * Reads the alerts due for routing in the held partitions, a fair share per company. `routeAttempts` is this claim's
 * number: the alert's recorded failures and unfinished passes, plus this one.
 *
 * The share is work-conserving: `perCompany` when enough companies wait to fill the claim, else the claim divided
 * among those that wait. A storm in one company alone then routes in claims of `total` rather than `perCompany` (each
 * lane's signal carries more of its alerts, and a pass's fixed costs are paid less often), while two companies in a
 * storm still get half each, and many get `perCompany` each in turn (the cursor moves on). The pass may still leave
 * some of a claim for the next one (domain/lane-budget.ts).
 */
export async function claimAlerts(sql: Sql, o: ClaimOptions): Promise<ClaimedAlert[]> {
  if (o.partitions.length === 0) return [];
  // Each company's alerts are found through their own index (alerts_route_queue), once to see that it waits and once
  // to read its share.
  const rows = await sql<ClaimedAlert[]>`
    WITH waiting AS (
      SELECT id FROM companies
      WHERE ${scoped(sql, o)} AND ${sql.unsafe(PARTITION_OF('id'))} = ANY(${o.partitions as number[]}::int[])
        AND EXISTS (
          SELECT 1 FROM alerts a WHERE a.company_id = companies.id AND a.routed_at IS NULL
            AND a.dead_lettered_at IS NULL AND a.route_next_at <= now())
    ), share AS (
      SELECT greatest(${o.perCompany}::int, ceil(${o.total}::float8 / greatest(count(*), 1))::int) AS n FROM waiting
    )
    SELECT a.* FROM (SELECT id FROM waiting ORDER BY id <= ${o.afterCompanyId}, id) c
    CROSS JOIN LATERAL (
      SELECT ${sql.unsafe(CLAIMED_COLUMNS)} FROM alerts
      WHERE company_id = c.id AND routed_at IS NULL AND dead_lettered_at IS NULL AND route_next_at <= now()
      ORDER BY route_next_at
      LIMIT (SELECT n FROM share)
    ) a
    LIMIT ${o.total}`;
  for (const a of rows) a.routeAttempts += 1;
  return rows;
}

export async function openIncidents(sql: Sql, workflowIds: string[]): Promise<Map<string, OpenIncidentRow>> {
  if (workflowIds.length === 0) return new Map();
  const rows = await sql<OpenIncidentRow[]>`
    SELECT id, workflow_id AS "workflowId", severity, tool_sources AS "toolSources", source_resolved_at AS "sourceResolvedAt"
    FROM incidents WHERE workflow_id = ANY(${workflowIds}) AND status <> 'resolved'
    ORDER BY created_at`;
  // Should two rows of one key be open, the newest is the live run's.
  return new Map(rows.map((r) => [r.workflowId, r]));
}

/**
 * Repeats of open incidents: linked and counted in PostgreSQL, with one NOTIFY per incident; returns how many were
 * linked. An incident
 * that resolved since it was read takes none: those alerts stay unrouted and go to the next incident of
 * their key in a later pass.
 */
export async function linkRepeats(
  sql: Sql,
  links: Array<{ alertId: string; incidentId: string; placement?: RoutePlacement }>,
): Promise<number> {
  if (links.length === 0) return 0;
  // With the placement of this pass (passes.ts): the alert's one write after its insert.
  const rows = await sql<{ n: number }[]>`
    WITH v AS (
      SELECT * FROM unnest(${links.map((l) => l.alertId)}::text[], ${links.map((l) => l.incidentId)}::text[],
        ${links.map((l) => l.placement?.groupId ?? null)}::text[],
        ${links.map((l) => (l.placement ? JSON.stringify(l.placement.why) : null))}::text[])
        AS v(id, incident_id, group_id, why)
    ), linked AS (
      UPDATE alerts a SET incident_id = v.incident_id, routed_at = now(), route_error = NULL,
        group_id = COALESCE(v.group_id, a.group_id), correlation = COALESCE(v.why::jsonb, a.correlation)
      FROM v JOIN incidents i ON i.id = v.incident_id AND i.status <> 'resolved'
      WHERE a.id = v.id AND a.incident_id IS NULL
      RETURNING a.incident_id
    ), counts AS (
      SELECT incident_id, count(*)::int AS n FROM linked GROUP BY incident_id
    )
    UPDATE incidents i SET
      priority_score = i.priority_score - alert_count_bonus(i.alert_count) + alert_count_bonus(i.alert_count + c.n),
      alert_count = i.alert_count + c.n,
      routed_repeats = i.routed_repeats + c.n
    FROM counts c WHERE i.id = c.incident_id
    RETURNING pg_notify(${INCIDENT_CHANNEL}, i.id), c.n`;
  return rows.reduce((sum, r) => sum + r.n, 0);
}

/** Routed, with where this pass placed them (passes.ts): for most alerts their one write after the insert. */
export async function markRouted(
  sql: Sql,
  ids: string[],
  placements: ReadonlyMap<string, RoutePlacement> = new Map(),
): Promise<void> {
  if (ids.length === 0) return;
  if (![...ids].some((id) => placements.has(id))) {
    await sql`UPDATE alerts SET routed_at = now(), route_error = NULL WHERE id = ANY(${ids}) AND routed_at IS NULL`;
    return;
  }
  const placed = ids.map((id) => placements.get(id));
  await sql`
    UPDATE alerts a SET routed_at = now(), route_error = NULL,
      group_id = COALESCE(v.group_id, a.group_id), correlation = COALESCE(v.why::jsonb, a.correlation)
    FROM unnest(${ids}::text[], ${placed.map((p) => p?.groupId ?? null)}::text[],
      ${placed.map((p) => (p ? JSON.stringify(p.why) : null))}::text[]) AS v(id, group_id, why)
    WHERE a.id = v.id AND a.routed_at IS NULL`;
}

export interface RouteFailure {
  id: string;
  error: string;
  /** The alert's own fault (counts toward the dead letter) rather than an outage (does not). */
  counts: boolean;
  retryInMs: number;
  deadLetter: boolean;
}

export async function markFailed(sql: Sql, failures: RouteFailure[]): Promise<void> {
  if (failures.length === 0) return;
  await sql`
    UPDATE alerts a SET
      route_error = v.error,
      route_next_at = now() + make_interval(secs => v.retry_ms / 1000.0),
      route_attempts = CASE WHEN v.counts = 1 THEN a.route_attempts + 1 ELSE a.route_attempts END,
      dead_lettered_at = CASE WHEN v.dead = 1 THEN now() ELSE NULL END
    FROM unnest(${failures.map((f) => f.id)}::text[], ${failures.map((f) => f.error)}::text[],
                ${failures.map((f) => (f.counts ? 1 : 0))}::int[], ${failures.map((f) => f.retryInMs)}::float8[],
                ${failures.map((f) => (f.deadLetter ? 1 : 0))}::int[]) AS v(id, error, counts, retry_ms, dead)
    WHERE a.id = v.id AND a.routed_at IS NULL`;
}
