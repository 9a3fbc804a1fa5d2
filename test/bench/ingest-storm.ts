// The options, the storm phase's exact counts and the closing table of test/bench/ingest.bench.ts.
import type { Sql } from '../../db/sql.ts';
import { KEYS } from './ingest-loadgen.ts';

/** The benchmark's environment (see the header of ingest.bench.ts), checked. */
export function benchOptions() {
  const env = (name: string, fallback: number): number => {
    const v = process.env[name] ? Number(process.env[name]) : fallback;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, not ${process.env[name]}`);
    return v;
  };
  const o = {
    SECONDS: env('BENCH_SECONDS', 10),
    CONC: env('BENCH_CONCURRENCY', 32),
    RATE: env('BENCH_RATE', 1000),
    BATCH: env('BENCH_BATCH', 50),
    SAMPLES: env('LATENCY_SAMPLES', 20),
    STORM: env('STORM_ALERTS', 100_000),
    STORM_BATCH: Math.min(env('STORM_BATCH', 500), 1000),
    LAYOUT: (process.env.BENCH_LAYOUT ?? 'processes') as 'processes' | 'single',
  };
  if (o.LAYOUT !== 'processes' && o.LAYOUT !== 'single') throw new Error(`BENCH_LAYOUT must be processes or single`);
  if (o.STORM % KEYS || o.STORM % o.STORM_BATCH)
    throw new Error('STORM_ALERTS must be a multiple of 100 and of STORM_BATCH');
  return o;
}

export interface StormCounts {
  alerts: number;
  unlinked: number;
  incidents: number;
  counted: number;
  /** Incidents whose count is not the storm's per-key share. */
  off: number;
  /** Incidents whose count differs from the alerts linked to them (read only when `full`: one scan per incident). */
  mismatched: number;
}

export async function stormCounts(sql: Sql, companyId: string, per: number, full: boolean): Promise<StormCounts> {
  const [c] = await sql<StormCounts[]>`
    SELECT (SELECT count(*)::int FROM alerts WHERE company_id = ${companyId}) alerts,
      (SELECT count(*)::int FROM alerts WHERE company_id = ${companyId} AND incident_id IS NULL) unlinked,
      count(*)::int incidents, coalesce(sum(alert_count), 0)::int counted,
      count(*) FILTER (WHERE alert_count <> ${per})::int off, ${
        full
          ? sql`count(*) FILTER (WHERE alert_count <> (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id))::int`
          : sql`0`
      } mismatched
    FROM incidents i WHERE company_id = ${companyId}`;
  return c!;
}

/** Every accepted alert stored, linked and counted once, one incident per key. */
export function stormExact(c: StormCounts, accepted: number, storm: number, keys: number): boolean {
  return (
    accepted === storm &&
    c.alerts === storm &&
    c.unlinked === 0 &&
    c.incidents === keys &&
    c.counted === storm &&
    c.off === 0 &&
    c.mismatched === 0
  );
}

/** figure · measured · goal · verdict, in aligned columns. */
export function printTable(rows: string[][]): void {
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of [['figure', 'measured', 'goal', 'verdict'], ...rows]) {
    console.log(
      `  ${r
        .slice(0, 3)
        .map((v, i) => v.padEnd(w[i]!))
        .join('  ')}  ${r[3]}`.trimEnd(),
    );
  }
}

/** Whether the company's `keys` incidents are all open and decided, with every alert of it in one. */
export async function incidentsOpened(sql: Sql, companyId: string, keys: number): Promise<boolean> {
  const [r] = await sql<{ open: number; waiting: number; unlinked: number }[]>`
    SELECT
      (SELECT count(*) FROM incidents WHERE company_id = ${companyId} AND status <> 'new')::int AS open,
      (SELECT count(*) FROM incidents WHERE company_id = ${companyId} AND status = 'new')::int AS waiting,
      (SELECT count(*) FROM alerts WHERE company_id = ${companyId} AND incident_id IS NULL)::int AS unlinked`;
  return r!.open >= keys && r!.waiting === 0 && r!.unlinked === 0;
}
