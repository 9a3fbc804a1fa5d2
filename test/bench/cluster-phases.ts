// The phases `npm run bench:cluster` runs on each layout (scripts/cluster-up.ts, on the real Temporal server and on
// the dev server): the router drain of a backlog, the batched storm on 100 keys to exact counts, and the raw
// signalWithStart ceiling of the Temporal server alone (no worker polls its queue).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import type { Sql } from '../../db/sql.ts';
import type { Cluster } from '../../scripts/cluster-up.ts';
import { runStorm, stormAlerts, type StormPlan } from '../cluster/storm.ts';

const KEYS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A storm whose counts have not moved for this long has stopped short of exact. */
const STALL_MS = 120_000;

function plan(total: number, tag: string): StormPlan {
  return {
    total,
    repeatedKeys: KEYS,
    distinctKeys: 0,
    batch: 500,
    lanes: 4,
    tag,
    repeatedSignature: 'storm_check',
    distinctSignature: 'disk_full',
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(250)) if (await check()) return true;
  return false;
}

const apisOf = (cluster: Cluster) => () => cluster.apis.filter((a) => !a.exitedHow()).map((a) => a.url!);

export interface DrainFigures {
  backlog: number;
  routed: number;
  /** From the routers' spawn until the last alert was routed (their start-up included). */
  wallMs: number;
  /** Alerts a second between the first and the last routed_at: the routers' own pace. */
  perSecond: number;
  drained: boolean;
}

/** Routers stopped, a backlog posted over the APIs, then the routers started again until every alert is routed. */
export async function drainPhase(
  cluster: Cluster,
  sql: Sql,
  company: { companyId: string; apiKey: string },
  n: number,
) {
  const running = cluster.routers.filter((r) => !r.exitedHow());
  for (const r of running) await r.stop();
  await runStorm(stormAlerts(plan(n, `dr${randomUUID().slice(0, 6)}`)), plan(n, ''), {
    apis: apisOf(cluster),
    apiKey: company.apiKey,
  });
  const unrouted = async () =>
    (
      await sql<{ n: number }[]>`SELECT count(*)::int n FROM alerts
        WHERE company_id = ${company.companyId} AND routed_at IS NULL AND dead_lettered_at IS NULL`
    )[0]!.n;
  const backlog = await unrouted();
  const t0 = performance.now();
  await Promise.all(running.map(() => cluster.add('router')));
  const drained = await until(async () => (await unrouted()) === 0, 600_000);
  const wallMs = performance.now() - t0;
  const [st] = await sql<{ n: number; span: number }[]>`
    SELECT count(routed_at)::int n, extract(epoch FROM max(routed_at) - min(routed_at))::float8 span
    FROM alerts WHERE company_id = ${company.companyId}`;
  return { backlog, routed: st!.n, wallMs, perSecond: st!.n / Math.max(st!.span, 0.001), drained };
}

export interface StormFigures {
  accepted: number;
  postMs: number;
  /** From the first post until every alert was routed (handed to its workflow or counted as a repeat). */
  routedMs: number;
  /** From the first post until every count was exact (or, when not, until they stopped moving). */
  settledMs: number;
  exact: boolean;
  counts: Record<string, number>;
}

/** `total` alerts on 100 keys with everything running; then exactly 100 incidents of total/100 alerts each. */
export async function stormPhase(
  cluster: Cluster,
  sql: Sql,
  company: { companyId: string; apiKey: string },
  total: number,
) {
  const per = total / KEYS;
  const t0 = performance.now();
  const storm = await runStorm(stormAlerts(plan(total, `st${randomUUID().slice(0, 6)}`)), plan(total, ''), {
    apis: apisOf(cluster),
    apiKey: company.apiKey,
  });
  const check = async () =>
    (
      await sql<Record<string, number>[]>`
        SELECT (SELECT count(*)::int FROM alerts WHERE company_id = ${company.companyId}) alerts,
          (SELECT count(*)::int FROM alerts WHERE company_id = ${company.companyId} AND routed_at IS NULL) unrouted,
          (SELECT count(*)::int FROM alerts WHERE company_id = ${company.companyId} AND incident_id IS NULL) unlinked,
          count(*)::int incidents, coalesce(sum(alert_count), 0)::int counted,
          count(*) FILTER (WHERE alert_count <> ${per})::int off
        FROM incidents WHERE company_id = ${company.companyId}`
    )[0]!;
  const exactNow = (c: Record<string, number>) =>
    c.alerts === total && c.unlinked === 0 && c.incidents === KEYS && c.counted === total && c.off === 0;
  // Until exact, or until nothing has changed for STALL_MS: a count that stopped short will not get there.
  let last = '';
  let changedAt = performance.now();
  let counts = await check();
  let routedMs = NaN;
  while (!exactNow(counts) && performance.now() - changedAt < STALL_MS) {
    await sleep(1000);
    counts = await check();
    if (counts.unrouted === 0 && counts.alerts === total && Number.isNaN(routedMs)) routedMs = performance.now() - t0;
    const now = JSON.stringify(counts);
    if (now !== last) [last, changedAt] = [now, performance.now()];
  }
  const exact = exactNow(counts);
  const settledMs = performance.now() - t0;
  return { accepted: storm.accepted.size, postMs: storm.elapsedMs, routedMs, settledMs, exact, counts };
}

/** signalWithStart on 100 workflow ids, 64 in flight, for `seconds`, on a queue no worker polls. */
export async function rawSignalWithStart(address: string, namespace: string, seconds: number) {
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace });
  const tag = randomUUID().slice(0, 8);
  let calls = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      const key = calls++ % KEYS;
      await temporal.workflow
        .signalWithStart('rawClusterReference', {
          workflowId: `raw-${tag}-${key}`,
          taskQueue: `cluster-raw-${tag}`,
          signal: 'poke',
          signalArgs: [],
        })
        .catch(() => (errors += 1));
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  const perSecond = ((calls - errors) / (performance.now() - t0)) * 1000;
  // Nothing would ever run them: end them, so the server's shutdown has nothing open.
  await Promise.all(
    Array.from({ length: KEYS }, (_, k) =>
      temporal.workflow
        .getHandle(`raw-${tag}-${k}`)
        .terminate('bench over')
        .catch(() => {}),
    ),
  );
  await connection.close();
  return { calls, errors, perSecond };
}
