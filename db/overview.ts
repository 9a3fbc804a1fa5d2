// The overview's figures of a period, computed in SQL from the stored alerts, incidents and decisions of a set of
// companies (api/overview.ts decides which the caller may see; the monthly report asks for one company). Merged
// incidents are left out: their alerts count in the incident they joined.
import { bucketFor, bucketStarts, noiseReduction, ratio, slaCompliance, type Bucket } from '../domain/kpi.ts';
import type { Sql } from './sql.ts';

/** Rows of each "top" list. */
export const TOP_N = 10;

export interface CountBy {
  key: string;
  count: number;
}

export interface OverviewPoint {
  at: string;
  alerts: number;
  incidents: number;
  selfHealed: number;
  /** Mean seconds to resolve of the incidents resolved in this bucket; null when none was. */
  mttrSeconds: number | null;
}

export interface Overview {
  from: string;
  to: string;
  bucket: Bucket;
  alerts: number;
  alertsMuted: number;
  incidents: number;
  noiseReduction: number | null;
  openBySeverity: CountBy[];
  openByStatus: CountBy[];
  acknowledged: number;
  mttaSeconds: number | null;
  resolved: number;
  mttrSeconds: number | null;
  /** MTTR of the incidents a runbook fixed with no person approving, and of the rest (seed 004's before/after). */
  mttrSelfHealedSeconds: number | null;
  mttrOtherSeconds: number | null;
  selfHealed: number;
  selfHealedShare: number | null;
  slaMet: number;
  slaMissed: number;
  slaCompliance: number | null;
  decisionsBySource: CountBy[];
  topAssets: CountBy[];
  topSignatures: CountBy[];
  series: OverviewPoint[];
}

interface Totals {
  alerts: number;
  alertsMuted: number;
  incidents: number;
  selfHealed: number;
  acknowledged: number;
  mttaSeconds: number | null;
  resolved: number;
  mttrSeconds: number | null;
  mttrSelfHealedSeconds: number | null;
  mttrOtherSeconds: number | null;
  slaMet: number;
  slaMissed: number;
}

/**
 * The figures of [fromMs, toMs) for the companies of `scope` (null: every company). The period is the caller's to
 * check (domain/kpi.ts checkPeriod): this only reads.
 */
export async function readOverview(sql: Sql, scope: string[] | null, fromMs: number, toMs: number): Promise<Overview> {
  const [from, to] = [new Date(fromMs).toISOString(), new Date(toMs).toISOString()];
  const bucket = bucketFor(fromMs, toMs);
  const inScope = (column: string) => (scope === null ? sql`true` : sql`${sql(column)} = ANY(${scope})`);
  const seconds = (a: string, b: string) => sql`extract(epoch FROM ${sql.unsafe(a)} - ${sql.unsafe(b)})`;

  const [[totals], open, decisions, assets, signatures, points] = await Promise.all([
    sql<Totals[]>`
      WITH a AS (
        SELECT count(*)::int AS alerts, (count(*) FILTER (WHERE muted_by IS NOT NULL))::int AS muted
        FROM alerts WHERE ${inScope('company_id')} AND received_at >= ${from} AND received_at < ${to}),
      created AS (
        SELECT count(*)::int AS incidents,
          (count(*) FILTER (WHERE auto_remediated))::int AS self_healed,
          (count(*) FILTER (WHERE acknowledgement IS NOT NULL))::int AS acknowledged,
          avg(${seconds("(acknowledgement->>'at')::timestamptz", 'created_at')})::float8 AS mtta,
          (count(*) FILTER (WHERE status = 'resolved' AND NOT sla_breached))::int AS sla_met,
          (count(*) FILTER (WHERE sla_breached))::int AS sla_missed
        FROM incidents
        WHERE ${inScope('company_id')} AND merged_into IS NULL AND created_at >= ${from} AND created_at < ${to}),
      closed AS (
        SELECT count(*)::int AS resolved,
          avg(${seconds('resolved_at', 'created_at')})::float8 AS mttr,
          (avg(${seconds('resolved_at', 'created_at')}) FILTER (WHERE auto_remediated))::float8 AS mttr_healed,
          (avg(${seconds('resolved_at', 'created_at')}) FILTER (WHERE NOT auto_remediated))::float8 AS mttr_other
        FROM incidents
        WHERE ${inScope('company_id')} AND merged_into IS NULL AND status = 'resolved'
          AND resolved_at >= ${from} AND resolved_at < ${to})
      SELECT a.alerts, a.muted AS "alertsMuted", created.incidents, created.self_healed AS "selfHealed",
        created.acknowledged, created.mtta AS "mttaSeconds", closed.resolved, closed.mttr AS "mttrSeconds",
        closed.mttr_healed AS "mttrSelfHealedSeconds", closed.mttr_other AS "mttrOtherSeconds",
        created.sla_met AS "slaMet", created.sla_missed AS "slaMissed"
      FROM a, created, closed`,
    sql<Array<{ severity: string; status: string; count: number }>>`
      SELECT severity, status, count(*)::int AS count FROM incidents
      WHERE ${inScope('company_id')} AND merged_into IS NULL AND status <> 'resolved'
      GROUP BY severity, status`,
    // A decision the rules made because the provider failed counts as "<provider> → rules".
    sql<CountBy[]>`
      SELECT CASE WHEN fallback_reason IS NULL OR provider = 'rules' THEN provider ELSE provider || ' → rules' END
        AS key, count(*)::int AS count
      FROM decisions WHERE ${inScope('company_id')} AND created_at >= ${from} AND created_at < ${to}
      GROUP BY 1 ORDER BY count DESC, key`,
    sql<CountBy[]>`
      SELECT asset_name AS key, count(*)::int AS count FROM alerts
      WHERE ${inScope('company_id')} AND received_at >= ${from} AND received_at < ${to}
      GROUP BY asset_name ORDER BY count DESC, key LIMIT ${TOP_N}`,
    sql<CountBy[]>`
      SELECT signature AS key, count(*)::int AS count FROM alerts
      WHERE ${inScope('company_id')} AND received_at >= ${from} AND received_at < ${to}
      GROUP BY signature ORDER BY count DESC, key LIMIT ${TOP_N}`,
    sql<Array<{ at: string; kind: string; n: number; mttr: number | null }>>`
      SELECT date_trunc(${bucket}, received_at, 'UTC') AS at, 'alerts' AS kind, count(*)::int AS n, NULL::float8 AS mttr
      FROM alerts WHERE ${inScope('company_id')} AND received_at >= ${from} AND received_at < ${to} GROUP BY 1
      UNION ALL
      SELECT date_trunc(${bucket}, created_at, 'UTC'), 'incidents', count(*)::int, NULL
      FROM incidents
      WHERE ${inScope('company_id')} AND merged_into IS NULL AND created_at >= ${from} AND created_at < ${to}
      GROUP BY 1
      UNION ALL
      SELECT date_trunc(${bucket}, created_at, 'UTC'), 'self_healed', count(*)::int, NULL
      FROM incidents
      WHERE ${inScope('company_id')} AND merged_into IS NULL AND auto_remediated
        AND created_at >= ${from} AND created_at < ${to}
      GROUP BY 1
      UNION ALL
      SELECT date_trunc(${bucket}, resolved_at, 'UTC'), 'resolved', count(*)::int,
        avg(${seconds('resolved_at', 'created_at')})::float8
      FROM incidents
      WHERE ${inScope('company_id')} AND merged_into IS NULL AND status = 'resolved'
        AND resolved_at >= ${from} AND resolved_at < ${to}
      GROUP BY 1`,
  ]);
  const t = totals!;
  return {
    from,
    to,
    bucket,
    ...t,
    noiseReduction: noiseReduction(t.alerts, t.incidents),
    selfHealedShare: ratio(t.selfHealed, t.incidents),
    slaCompliance: slaCompliance(t.slaMet, t.slaMissed),
    openBySeverity: sumBy(open, 'severity'),
    openByStatus: sumBy(open, 'status'),
    decisionsBySource: decisions,
    topAssets: assets,
    topSignatures: signatures,
    series: toSeries(points, fromMs, toMs, bucket),
  };
}

function sumBy(rows: Array<{ severity: string; status: string; count: number }>, by: 'severity' | 'status'): CountBy[] {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r[by], (sums.get(r[by]) ?? 0) + r.count);
  return [...sums]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/** Every bucket of the period, empty ones included, so a chart's x axis is the period itself. */
function toSeries(
  rows: Array<{ at: string; kind: string; n: number; mttr: number | null }>,
  fromMs: number,
  toMs: number,
  bucket: Bucket,
): OverviewPoint[] {
  const points = new Map<number, OverviewPoint>(
    bucketStarts(fromMs, toMs, bucket).map((ms) => [
      ms,
      { at: new Date(ms).toISOString(), alerts: 0, incidents: 0, selfHealed: 0, mttrSeconds: null },
    ]),
  );
  for (const r of rows) {
    const p = points.get(Date.parse(r.at));
    if (!p) continue;
    if (r.kind === 'alerts') p.alerts = r.n;
    else if (r.kind === 'incidents') p.incidents = r.n;
    else if (r.kind === 'self_healed') p.selfHealed = r.n;
    else p.mttrSeconds = r.mttr;
  }
  return [...points.values()];
}
