// `npm run bench:storm [-- --keys 10000 --timeout 900]`: the wide storm of issue 16 item 3 on npm start's embedded
// parts — embedded PostgreSQL and a Temporal dev server on a database file, here in-process, and the worker and the
// API (with its alert router, or the router as its own process once router/main.ts exists) as processes of their own
// on 127.0.0.1 — so each one's memory and CPU are read apart. Posts `keys` alerts on as many distinct keys in batches
// of 50 to the webhook, then prints how long until every incident is saved and decided (its decision stored), the
// history events of a sample of new incidents, the peak RSS of each process with every incident open, the latency
// of acknowledgeIncident among them through GraphQL, and a raw signalWithStart loop on the same server for
// reference. Prints figures only; it fails (exit code 1) only when it cannot run.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql } from '../../db/sql.ts';
import { freePort, startTemporalDevServer } from '../../lib/temporal-dev-server.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { ackLatencies, historySample, postStorm, rawSignalWithStart, workerLatencies } from './storm-steps.ts';
import { cpuMeter, rssPeaks, startService } from './storm-procs.ts';
import { referenceStorm, type ReferenceFigures } from './storm-reference.ts';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '10000' },
    timeout: { type: 'string', default: '900' },
    // Local activities per reference run, comma-separated ('' for no reference): storm-reference.ts.
    reference: { type: 'string', default: '0,6' },
  },
});
const KEYS = Number(flags.keys);
const TIMEOUT_S = Number(flags.timeout);
if (!Number.isInteger(KEYS) || KEYS < 50 || KEYS > 100_000) throw new Error('--keys must be an integer, 50 to 100000');
if (!Number.isInteger(TIMEOUT_S) || TIMEOUT_S < 10) throw new Error('--timeout must be a whole number of seconds ≥ 10');
const REFERENCE_STEPS = flags.reference
  .split(',')
  .filter((x) => x.trim())
  .map(Number);
if (REFERENCE_STEPS.some((n) => !Number.isInteger(n) || n < 0 || n > 20))
  throw new Error('--reference must list local activity counts, 0 to 20, such as 0,6');

const ROUTER_MAIN = new URL('../../router/main.ts', import.meta.url);
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const warn = (line: string) => {
    if (!/"level":(30|20)/.test(line)) console.warn(line);
  };
  try {
    console.log(
      `Storm benchmark: ${KEYS} alerts on ${KEYS} keys, batches of 50; ${cpus().length} cores, load ${load()}`,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'aw-storm-'));
    // PostgreSQL runs as the user "postgres" when we are root: it must be able to pass through to its data.
    chmodSync(dir, 0o711);
    stops.push(['temp dir', async () => rmSync(dir, { recursive: true, force: true })]);
    const db = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: await freePort(),
      persistent: false,
    });
    stops.push(['PostgreSQL', () => db.stop()]);
    const sql = createSql(db.url);
    stops.push(['sql', () => sql.end({ timeout: 5 })]);
    await migrate(sql);
    // On a database file, as npm start runs it (.data/temporal.db): every history event is a write to disk.
    const devDir = mkdtempSync(path.join(tmpdir(), 'aw-storm-temporal-'));
    stops.push(['Temporal temp dir', async () => rmSync(devDir, { recursive: true, force: true })]);
    const dev = await startTemporalDevServer({ dbFilename: path.join(devDir, 'temporal.db') });
    stops.push(['Temporal dev server', () => dev.stop()]);
    const connection = await Connection.connect({ address: dev.address });
    stops.push(['client connection', () => connection.close()]);
    const temporal = new Client({ connection });

    const port = await freePort();
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: dev.address,
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: 'storm-bench-secret-that-is-long-enough-for-hs256',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      REMEDIATION_MODE: 'dry_run',
      WEBHOOK_RATE_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    };
    const worker = await startService({
      name: 'worker',
      file: 'worker/main.ts',
      env: { ...env, WORKER_METRICS_ADDRESS: metricsAddress },
      ready: /^\[worker\] polling/,
      log: warn,
    });
    stops.push(['worker', () => worker.stop()]);
    const ownRouter = existsSync(ROUTER_MAIN);
    const api = await startService({
      name: 'api',
      file: 'api/main.ts',
      env: ownRouter ? { ...env, ROUTER: 'off' } : env,
      ready: /^\[api\] listening/,
      log: warn,
    });
    stops.push(['API', () => api.stop()]);
    const pids: Record<string, number> = { worker: worker.pid, api: api.pid };
    if (ownRouter) {
      const router = await startService({
        name: 'router',
        file: 'router/main.ts',
        env,
        ready: /^\[router\] routing/,
        log: warn,
      });
      stops.push(['router', () => router.stop()]);
      pids.router = router.pid;
    }
    const base = `http://127.0.0.1:${port}`;
    const layout = ownRouter ? 'API, router and worker' : 'API with its router, and worker';
    console.log(`Stack up on ${base}: ${layout} as processes of their own.\n`);

    const company = await createCompany(sql, { settings: { groupWaitSeconds: 0 }, runbooks: [] });
    const admin = await createUser(sql, 'company_admin', [company.companyId]);
    const everything = { ...pids, temporal: dev.pid!, postgres: db.pid };
    const rss = rssPeaks(pids);
    stops.push(['RSS sampler', async () => rss.stop()]);

    // 1. The storm: every alert on its own key, posted in batches of 50, until each incident has its decision.
    const cpu = cpuMeter(everything);
    const t0 = performance.now();
    const posts = await postStorm(base, company.apiKey, KEYS);
    const postedS = (performance.now() - t0) / 1000;
    console.log(`  posted ${posts.accepted}/${KEYS} alerts in ${f1(postedS)} s (${posts.failures} failed requests)`);
    const count = async () =>
      (
        await sql<{ saved: number; decided: number; routed: number }[]>`
          SELECT (SELECT count(*)::int FROM alerts WHERE company_id = ${company.companyId}
                    AND routed_at IS NOT NULL) routed,
                 count(*)::int saved, count(decision)::int decided
          FROM incidents WHERE company_id = ${company.companyId}`
      )[0]!;
    let c = await count();
    let lastPrint = 0;
    const deadline = t0 + TIMEOUT_S * 1000;
    while (c.decided < KEYS && performance.now() < deadline) {
      await sleep(250);
      c = await count();
      const s = (performance.now() - t0) / 1000;
      if (s - lastPrint >= 10) {
        lastPrint = s;
        const p = rss.peaks();
        const mem = Object.entries(p).map(([k, v]) => `${k} ${f0(v)} MB`);
        console.log(`  ${f0(s)} s: routed ${c.routed}, saved ${c.saved}, decided ${c.decided}; RSS ${mem.join(', ')}`);
      }
    }
    const stormS = (performance.now() - t0) / 1000;
    const used = cpu();
    const done = c.decided >= KEYS;
    console.log(
      `  ${done ? 'all' : `only ${c.decided} of`} ${KEYS} incidents saved and decided after ${f1(stormS)} s` +
        `${done ? '' : ' (timed out)'}: ${f1(c.decided / stormS)} incidents/s\n  cpu (% of one core) over the storm: ` +
        Object.entries(used)
          .map(([k, v]) => `${k} ${f0(v)} %`)
          .join(', ') +
        `; load ${load()}`,
    );
    const stormPeaks = rss.peaks();

    // 2. Their histories, the worker's task latencies, and an acknowledgement among every open incident.
    const hist = await historySample(sql, temporal, company.companyId, 20);
    const latencies = await workerLatencies(metricsAddress);
    const acks = await ackLatencies(sql, base, admin, company.companyId, 20);
    const peaks = rss.peaks();

    // 3. The ceiling for reference: signalWithStart alone on the same server, on a queue no worker polls.
    const raw = await rawSignalWithStart(temporal, Math.min(KEYS, 1000), 64);

    // 4. The same number of runs of a workflow with none of our code, on a worker tuned like ours (storm-reference.ts),
    //    16 starts in flight as the router's lanes.
    const references: ReferenceFigures[] = [];
    if (REFERENCE_STEPS.length > 0) {
      const refMetrics = `127.0.0.1:${await freePort()}`;
      const reference = await startService({
        name: 'reference',
        file: 'test/bench/storm-reference-worker.ts',
        env: { ...env, WORKER_METRICS_ADDRESS: refMetrics, STORM_REFERENCE_QUEUE: 'storm-reference' },
        ready: /^\[reference\] polling/,
        log: warn,
      });
      stops.push(['reference worker', () => reference.stop()]);
      for (const localSteps of REFERENCE_STEPS) {
        const r = await referenceStorm({
          temporal,
          taskQueue: 'storm-reference',
          metricsAddress: refMetrics,
          runs: KEYS,
          localSteps,
          inFlight: 16,
          timeoutS: TIMEOUT_S,
          pids: { reference: reference.pid, temporal: dev.pid! },
        });
        console.log(`  reference, ${localSteps} local activities: ${JSON.stringify(r)}`);
        references.push(r);
      }
    }

    const mem = (p: Record<string, number>) =>
      Object.entries(p)
        .map(([k, v]) => `${k} ${f0(v)} MB`)
        .join(', ');
    console.log(
      [
        '',
        `Results (${KEYS} keys; ${cpus().length} cores; load ${load()}):`,
        `  saved and decided: ${done ? `${f1(stormS)} s` : `${c.decided}/${KEYS} after ${f1(stormS)} s`}` +
          ` (goal: 10,000 within 120 s), ${f1(c.decided / stormS)} incidents/s; posting took ${f1(postedS)} s`,
        `  history of a new incident (${hist.n} sampled): events mean ${f1(hist.events)} (max ${hist.maxEvents}),` +
          ` workflow tasks ${f1(hist.workflowTasks)}, activity tasks ${f1(hist.activityTasks)}`,
        `  RSS peak during the storm: ${mem(stormPeaks)}; with all open, after acks: ${mem(peaks)}` +
          ` (goals: worker < 1024 MB, API < 512 MB)`,
        `  acknowledgeIncident via GraphQL (${acks.n}): p50 ${f0(acks.p50)} ms, p99 ${f0(acks.p99)} ms` +
          `${acks.errors ? ` (${acks.errors} errors)` : ''} (goal: p99 ≤ 1000 ms)`,
        `  raw signalWithStart, no worker (${raw.n} ids, 64 in flight): ${f0(raw.perSecond)}/s`,
        `  worker (mean over the run): ${latencies}`,
        ...references.map(
          (r) =>
            `  reference, ${r.localSteps} no-op local activities (${r.runs} runs, no code of ours): ` +
            `${r.done ? `${f1(r.seconds)} s` : `not done after ${f1(r.seconds)} s`}, ${f1(r.perSecond)} runs/s; ` +
            `the storm took ${f1(stormS / r.seconds)}× as long; cpu reference worker ${f0(r.cpu.reference!)} %, ` +
            `temporal ${f0(r.cpu.temporal!)} %`,
        ),
      ].join('\n'),
    );
  } finally {
    for (const [name, stop] of stops.reverse()) {
      await stop().catch((err: unknown) => console.error(`  while stopping ${name}: ${String(err)}`));
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
