// `npm run bench`: webhook ingest throughput and latency, routing lag and noise reduction, on a
// stack this script starts itself on 127.0.0.1 (embedded PostgreSQL, Temporal dev server, worker,
// API, alert router) and stops again. Prints figures; asserts nothing.
//   BENCH_REQUESTS (default 2000), BENCH_CONCURRENCY (default 16), BENCH_KEYS (default 50)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { AlertRouter } from '../../router/alert-router.ts';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { incidentWorkflowId } from '../../domain/correlation.ts';
import type { Severity } from '../../domain/types.ts';
import { loadConfig } from '../../lib/config.ts';
import { freePort, startTemporalDevServer, type DevServer } from '../../lib/temporal-dev-server.ts';
import { startWorker } from '../../worker/create-worker.ts';
import { createCompany } from '../helpers/fixtures.ts';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const REQUESTS = envInt('BENCH_REQUESTS', 2000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 16);
const KEYS = envInt('BENCH_KEYS', 50);
const WARMUP = Math.min(64, REQUESTS);
const SETTLE_TIMEOUT_MS = 120_000;
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const sec = (v: number): string => `${(v / 1000).toFixed(2)} s`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function quietRuntime(): void {
  const quiet = {
    log() {},
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
  };
  // Core's own logs (e.g. "Task not found" while open workflows are terminated at the end) too.
  Runtime.install({
    logger: quiet as never,
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

function step(what: string, since: number): void {
  console.log(`  ${what.padEnd(34)} ${sec(performance.now() - since)}`);
}

/** Fires `count` webhook posts, `concurrency` at a time; returns per-request latencies and status counts. */
async function load(url: string, apiKey: string, count: number, concurrency: number, tag: string) {
  const latencies: number[] = [];
  const statuses = new Map<number | string, number>();
  let next = 0;
  let lastAcceptedAt = 0;
  const endpoint = `${url}/api/webhooks/alerts?api_key=${encodeURIComponent(apiKey)}`;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const key = i % KEYS;
      const body = JSON.stringify({
        asset_name: `bench-srv-${String(key).padStart(3, '0')}`,
        signature: 'cpu_high', // no runbook: the incident escalates and stays open
        severity: SEVERITIES[(i * 7 + key) % SEVERITIES.length],
        message: `CPU above 95 % for 5 minutes (sample ${i})`,
        tool_source: i % 3 === 0 ? 'Datadog' : 'Prometheus',
        delivery_id: `${tag}-${i}`,
      });
      const t = performance.now();
      let status: number | string;
      try {
        const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        status = res.status;
      } catch (err) {
        status = `error: ${(err as Error).message}`;
      }
      const done = performance.now();
      latencies.push(done - t);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 202) lastAcceptedAt = Math.max(lastAcceptedAt, done);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => lane()));
  return { latencies, statuses, elapsedMs: performance.now() - started, startedAt: started, lastAcceptedAt };
}

/** Polls every 50 ms until `check` is true or the timeout passes; returns when it became true (performance.now()) or null. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return performance.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

async function main(): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-bench-'));
  stops.push(['temp dir', async () => rmSync(dir, { recursive: true, force: true })]);
  let sql: Sql | null = null;
  let temporal: Client | null = null;

  try {
    console.log(
      `Alert Whisperer webhook benchmark: ${REQUESTS} requests, concurrency ${CONCURRENCY}, ${KEYS} aggregation keys\n`,
    );
    console.log('Starting the stack on 127.0.0.1:');
    let t = performance.now();
    const db: EmbeddedDatabase = await startEmbeddedPostgres({
      dataDir: dir,
      port: await freePort(),
      persistent: false,
      database: 'alert_whisperer_bench',
    });
    stops.push(['PostgreSQL', () => db.stop()]);
    const dbSql = createSql(db.url);
    sql = dbSql;
    stops.push(['sql', () => dbSql.end({ timeout: 5 })]);
    await migrate(dbSql);
    step('embedded PostgreSQL + migrations', t);

    t = performance.now();
    const dev: DevServer = await startTemporalDevServer({});
    stops.push(['Temporal dev server', () => dev.stop()]);
    step('Temporal dev server', t);

    quietRuntime();
    const config = {
      ...loadConfig({ REMEDIATION_MODE: 'dry_run', WEBHOOK_RATE_PER_MINUTE: '1000000', SSM_POLL_INTERVAL_MS: '200' }),
      databaseUrl: db.url,
      temporalAddress: dev.address,
      jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
      encryptionKey: 'bench-encryption-key-that-is-long-enough',
    };

    t = performance.now();
    const worker = await startWorker({ address: dev.address, sql: dbSql, config });
    stops.push(['worker', () => worker.stop()]);
    step('worker (workflow bundle)', t);

    t = performance.now();
    const connection = await Connection.connect({ address: dev.address });
    stops.push(['client connection', () => connection.close()]);
    const client = new Client({ connection, namespace: config.temporalNamespace });
    temporal = client;
    const api: ApiServer = await createApiServer({ sql: dbSql, temporal: client, config });
    const port = await api.listen(0, '127.0.0.1');
    stops.push(['API', () => api.close()]);
    const router = new AlertRouter({ sql: dbSql, temporal: client, log: (m) => console.warn(`[router] ${m}`) });
    await router.start();
    stops.push(['router', () => router.stop()]);
    const url = `http://127.0.0.1:${port}`;
    step('API + alert router', t);

    // Warm up the HTTP path and the JIT on a separate tenant, then let its alerts settle.
    const warm = await createCompany(dbSql, { settings: { groupWaitSeconds: 0 } });
    await load(url, warm.apiKey, WARMUP, CONCURRENCY, 'warm');
    await waitUntil(async () => {
      const [r] = await dbSql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM alerts WHERE company_id = ${warm.companyId} AND incident_id IS NULL`;
      return r?.n === 0;
    }, 30_000);

    const company = await createCompany(dbSql, { settings: { groupWaitSeconds: 0 } });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 100);

    // API, router and worker activities share this event loop: its delay shows how busy it is.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    console.log(`\nPosting ${REQUESTS} alerts…`);
    const run = await load(url, company.apiKey, REQUESTS, CONCURRENCY, 'bench');
    loopDelay.disable();
    const loadEnd = run.lastAcceptedAt || performance.now();

    const progress = async () => {
      const [r] = await dbSql<{ unrouted: number; unlinked: number }[]>`
        SELECT count(*) FILTER (WHERE routed_at IS NULL)::int AS unrouted,
               count(*) FILTER (WHERE incident_id IS NULL)::int AS unlinked
        FROM alerts WHERE company_id = ${company.companyId}`;
      return r ?? { unrouted: -1, unlinked: -1 };
    };
    const atLastAccept = await progress();
    const routedAt = await waitUntil(async () => (await progress()).unrouted === 0, SETTLE_TIMEOUT_MS);
    const linkedAt = await waitUntil(
      async () => (await progress()).unlinked === 0,
      Math.max(0, SETTLE_TIMEOUT_MS - (performance.now() - loadEnd)),
    );
    clearInterval(sampler);
    const rssAfter = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssAfter);
    const left = await progress();

    const [counts] = await dbSql<{ alerts: number; incidents: number; linked_incidents: number }[]>`
      SELECT (SELECT count(*)::int FROM alerts WHERE company_id = ${company.companyId}) AS alerts,
             (SELECT count(*)::int FROM incidents WHERE company_id = ${company.companyId}) AS incidents,
             (SELECT count(DISTINCT incident_id)::int FROM alerts WHERE company_id = ${company.companyId}) AS linked_incidents`;
    const [statuses] = await dbSql<{ statuses: string }[]>`
      SELECT coalesce(string_agg(status || '=' || n, ', ' ORDER BY status), '') AS statuses
      FROM (SELECT status, count(*) AS n FROM incidents WHERE company_id = ${company.companyId} GROUP BY status) s`;

    const sorted = [...run.latencies].sort((a, b) => a - b);
    const accepted = run.statuses.get(202) ?? 0;
    const others = [...run.statuses]
      .filter(([s]) => s !== 202)
      .map(([s, n]) => `${s}×${n}`)
      .join(', ');
    const alerts = counts?.alerts ?? 0;
    const incidents = counts?.incidents ?? 0;
    const reduction = alerts > 0 ? (1 - incidents / alerts) * 100 : 0;
    const lag = (at: number | null): string =>
      at === null ? `> ${sec(SETTLE_TIMEOUT_MS)} (timed out)` : sec(at - loadEnd);
    const fromFirst = (at: number | null): string =>
      at === null ? 'n/a' : `${((alerts / (at - run.startedAt)) * 1000).toFixed(0)} alerts/s`;

    const rows: Array<[string, string]> = [
      ['webhook requests', `${REQUESTS} (${accepted} × 202${others ? `, ${others}` : ''})`],
      ['wall time', sec(run.elapsedMs)],
      ['throughput', `${((REQUESTS / run.elapsedMs) * 1000).toFixed(0)} req/s`],
      [
        'latency p50 / p95 / p99',
        `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 95))} / ${ms(percentile(sorted, 99))}`,
      ],
      ['latency max', ms(sorted[sorted.length - 1] ?? NaN)],
      [
        'event-loop delay p50 / p99 / max',
        `${ms(loopDelay.percentile(50) / 1e6)} / ${ms(loopDelay.percentile(99) / 1e6)} / ${ms(loopDelay.max / 1e6)}`,
      ],
      ['routed / linked by the last 202', `${alerts - atLastAccept.unrouted} / ${alerts - atLastAccept.unlinked}`],
      ['routing lag (all routed_at)', lag(routedAt)],
      ['linking lag (all incident_id)', lag(linkedAt)],
      ['end-to-end rate (first post → linked)', fromFirst(linkedAt)],
      ['left unrouted / unlinked', `${left.unrouted} / ${left.unlinked}`],
      [
        'noise reduction',
        `${alerts} alerts → ${incidents} incidents (${incidents > 0 ? `${reduction.toFixed(1)} % noise reduction` : 'no incident yet'})`,
      ],
      ['incidents by status', statuses?.statuses ?? ''],
      ['distinct incident ids on alerts', String(counts?.linked_incidents ?? 0)],
      [
        'RSS start / before / after / peak',
        `${mib(rssStart)} / ${mib(rssBefore)} / ${mib(rssAfter)} / ${mib(rssPeak)}`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log('\n  (one process runs the API, the router and the worker; RSS covers all three.)');
  } finally {
    console.log('\nStopping…');
    // Open incident workflows would keep the dev server busy on shutdown: terminate them first.
    if (sql && temporal) {
      const client = temporal;
      try {
        const keys = await sql<
          { company_id: string; aggregation_key: string }[]
        >`SELECT DISTINCT company_id, aggregation_key FROM alerts`;
        await Promise.all(
          keys.map((k) =>
            client.workflow
              .getHandle(incidentWorkflowId(k.company_id, k.aggregation_key))
              .terminate('benchmark finished')
              .catch(() => {}),
          ),
        );
      } catch (err) {
        console.error('  while terminating workflows:', (err as Error).message);
      }
    }
    // Router before API before worker before connections before sql before servers before the temp dir.
    const order = [
      'router',
      'API',
      'worker',
      'worker connection',
      'client connection',
      'sql',
      'Temporal dev server',
      'PostgreSQL',
      'temp dir',
    ];
    stops.sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    for (const [name, stop] of stops) {
      try {
        await stop();
      } catch (err) {
        console.error(`  while stopping ${name}:`, (err as Error).message);
      }
    }
  }
}

const started = performance.now();
main().then(
  () => {
    console.log(`Done in ${sec(performance.now() - started)}.`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
