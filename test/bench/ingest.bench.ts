// `npm run bench:ingest`: the ingest figures of the ingest issue next to its goals, in one run on this machine.
// Starts embedded PostgreSQL and a Temporal dev server on 127.0.0.1 and the service parts as npm start runs them:
// BENCH_LAYOUT=processes (default) the API on API_PROCESSES (one per core) processes sharing a port through
// node:cluster, the alert router and the worker each a process of its own (ingest-procs.ts); BENCH_LAYOUT=single all
// three in this process, as npm start ran them before, for comparison. Drives it from a forked load generator
// (ingest-loadgen.ts), prints a table and stops everything. Prints figures; only a failed storm check sets a non-zero
// exit code.
//   BENCH_SECONDS (10) per load phase, BENCH_CONCURRENCY (32), BENCH_RATE (1000/s offered, open loop),
//   BENCH_BATCH (50 alerts a request), LATENCY_SAMPLES (20), STORM_ALERTS (100000), STORM_BATCH (500)
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KEYS, pct, type Job, type Result } from './ingest-loadgen.ts';
import { cpuMeter, loadAverage, type IngestProcs } from './ingest-procs.ts';
import { settledAlertWrites, updatesPerAlert } from './alert-writes.ts';
import { benchOptions, incidentsOpened, printTable, stormCounts, stormExact } from './ingest-storm.ts';
import { alertToGraphql } from './ingest-latency.ts';

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
// ---- the benchmark ------------------------------------------------------------------------------------------------
async function main(): Promise<boolean> {
  // Imported here, so the load generator child loads neither Temporal nor the API.
  const { default: express } = await import('express');
  const { apiProcesses } = await import('../../scripts/start-services.ts');
  const { startIngestStack } = await import('./ingest-stack.ts');
  const { createCompany, createUser } = await import('../helpers/fixtures.ts');
  const { floorPhases } = await import('./ingest-floor.ts');

  const { SECONDS, CONC, RATE, BATCH, SAMPLES, STORM, STORM_BATCH, LAYOUT } = benchOptions();
  const APIS = apiProcesses();
  const run = Date.now().toString(36);
  const [f0, f1] = [(v: number) => v.toFixed(0), (v: number) => v.toFixed(1)];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const rows: string[][] = [];
  const othersSeen: number[] = [];
  let failed = false;

  /** A CPU meter from now; reports % of one core (the machine has cpus().length). */
  let procs: IngestProcs | null = null;
  const meter = () => cpuMeter(procs, othersSeen);

  const gen = fork(fileURLToPath(new URL('./ingest-loadgen.ts', import.meta.url)), ['loadgen']);
  stops.push(['load generator', async () => void gen.kill()]);
  const drive = (job: Partial<Job> & Pick<Job, 'url' | 'kind'>): Promise<Result> =>
    new Promise((resolve) => {
      gen.once('message', (r) => resolve(r as Result));
      gen.send({
        seconds: SECONDS,
        concurrency: CONC,
        rate: RATE,
        total: 0,
        batch: 0,
        prefix: 'srv-',
        tag: run,
        ...job,
      });
    });
  const others = (r: Result) => {
    const bad = Object.entries(r.statuses).filter(([s]) => s !== '202');
    return bad.length ? ` [${bad.map(([s, n]) => `${s}×${n}`).join(', ')}]` : '';
  };
  const report = (what: string, r: Result, cpu: string) =>
    console.log(
      `  ${what}: ${r.requests} requests in ${f1(r.elapsedMs / 1000)} s, p50 ${f1(r.p50)} ms, ` +
        `p99 ${f1(r.p99)} ms, max ${f1(r.max)} ms${others(r)}\n    ${cpu}`,
    );
  // The figure as a multiple of the goal (or of bare express, whose multiple the goal itself is).
  const verdict = (x: number, goal: number, times = x / goal) =>
    `${times.toFixed(2)}×, ${x >= goal ? 'MET' : 'NOT MET'}`;
  const lat = (r: Result) => `p50 ${f1(r.p50)}, p99 ${f1(r.p99)} ms${others(r)}`;

  try {
    console.log(
      `Ingest benchmark (${LAYOUT === 'processes' ? `npm start's layout: ${APIS} API processes, router, worker` : 'API, router and worker in one process'}): ` +
        `${SECONDS} s phases, ${CONC} connections, ${KEYS} keys, storm of ${STORM}; ` +
        `load average ${loadAverage()}\n`,
    );
    const { sql, base, startRouter, stopRouter, procs: p } = await startIngestStack(LAYOUT, APIS, stops);
    procs = p;
    const company = () => createCompany(sql, { settings: { groupWaitSeconds: 0 }, runbooks: [] });
    const hook = (apiKey: string) => `${base}/api/webhooks/alerts?api_key=${encodeURIComponent(apiKey)}`;
    // Served by the route queue's partial index, so polling it does not slow the router down.
    const unrouted = async (id: string) =>
      (
        await sql<{ n: number }[]>`SELECT count(*)::int n FROM alerts
      WHERE company_id = ${id} AND routed_at IS NULL AND dead_lettered_at IS NULL`
      )[0]!.n;
    const unlinked = async (id: string) =>
      (
        await sql<{ n: number }[]>`SELECT count(*)::int n FROM alerts
      WHERE company_id = ${id} AND incident_id IS NULL`
      )[0]!.n;
    const until = async (check: () => Promise<boolean>, ms: number, every = 250) => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(every)) if (await check()) return true;
      return false;
    };
    console.log(`Stack up on ${base}.\n`);

    // 1. The ceiling: bare express 5 that only parses the JSON body, in this process, driven the same way.
    const bareApp = express();
    bareApp.post('/bare', express.json(), (_req, res) => void res.status(202).json({ status: 'accepted' }));
    const bare = http.createServer(bareApp).listen(0, '127.0.0.1');
    await new Promise((r) => bare.once('listening', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/bare`;
    await drive({ url: bareUrl, kind: 'closed', seconds: 1 }); // warm-up: JIT and sockets
    let m = meter();
    const b = await drive({ url: bareUrl, kind: 'closed' });
    report('bare express', b, m(b));
    await new Promise((r) => bare.close(r));
    const bareRps = (b.requests / b.elapsedMs) * 1000;
    rows.push(['bare express 5, express.json() (ceiling)', `${f0(bareRps)} req/s, ${lat(b)}`, '', '']);

    // 1b. The floor: the ceiling plus a group-committed INSERT of each body before its 202 (ingest-floor.ts), closed
    // loop then the open loop: what a durable webhook of any design costs here, with the router and worker idle.
    const floor = await floorPhases(sql, { drive, meter, report }, RATE);
    const floorRps = (floor.closed.requests / floor.closed.elapsedMs) * 1000;
    const vsBare = `${(floorRps / bareRps).toFixed(2)}× bare`;
    rows.push([
      'floor: bare + group-committed INSERT (reference)',
      `${f0(floorRps)} req/s, ${lat(floor.closed)}`,
      '',
      vsBare,
    ]);
    rows.push([`floor, open loop ${RATE}/s (reference)`, lat(floor.open), '', '']);

    // 2. Single-alert webhook: closed loop at max throughput, then an open loop paced at RATE alerts/s, both on the
    // company's 100 open incidents: the warm-up opens them, and the phases start once the worker has opened and
    // decided every one, so they measure the steady flow of alerts into open incidents (what an MSP's flood mostly
    // is) rather than the worker opening 100 incidents on the same cores; the storms below measure those.
    const single = await company();
    await drive({ url: hook(single.apiKey), kind: 'closed', seconds: 1, tag: `${run}-sw` });
    const opening = performance.now();
    const opened = await until(() => incidentsOpened(sql, single.companyId, KEYS), 120_000);
    console.log(
      `  warm-up: ${KEYS} incidents ${opened ? 'opened and decided' : 'NOT all open'} ` +
        `${f1((performance.now() - opening) / 1000)} s after it`,
    );
    m = meter();
    const s = await drive({ url: hook(single.apiKey), kind: 'closed', tag: `${run}-s` });
    report('single alert, closed loop', s, m(s));
    const sRps = (s.requests / s.elapsedMs) * 1000;
    rows.push([
      `single, ${CONC} connections`,
      `${f0(sRps)} req/s, ${lat(s)}`,
      '≥ 0.5× bare',
      verdict(sRps / bareRps, 0.5, sRps / bareRps),
    ]);
    m = meter();
    const o = await drive({ url: hook(single.apiKey), kind: 'open', tag: `${run}-o` });
    report(`single alert, open loop ${RATE}/s`, o, m(o));
    rows.push([
      `single, open loop ${RATE}/s (${f0((o.requests / o.elapsedMs) * 1000)}/s served)`,
      lat(o),
      'p99 ≤ 50 ms',
      o.p99 <= 50 ? 'MET' : 'NOT MET',
    ]);
    // The same open loop on a company's 100 new keys: the worker opens their incidents during the phase, on the
    // same cores (before the eleventh session the phases above ran so, right after a one-second warm-up).
    const fresh = await company();
    m = meter();
    const on = await drive({ url: hook(fresh.apiKey), kind: 'open', tag: `${run}-on` });
    report(`single alert, open loop ${RATE}/s, 100 new keys`, on, m(on));
    rows.push([`single, open loop ${RATE}/s, its 100 incidents opening (reference)`, lat(on), '', '']);
    for (const c of [single, fresh]) {
      if (!(await until(async () => (await unlinked(c.companyId)) === 0, 120_000, 500))) {
        console.log(`  single-alert phases: ${await unlinked(c.companyId)} alerts still unlinked after 120 s`);
      }
    }

    // 5. Alert → visible in GraphQL `incidents`, one fresh key at a time, with the router idle.
    const viewer = await company();
    const user = await createUser(sql, 'company_admin', [viewer.companyId]);
    const seen = await alertToGraphql({ base, hook: hook(viewer.apiKey), user, samples: SAMPLES, run });
    seen.sort((x, y) => x - y);
    const seenText = `p50 ${f0(pct(seen, 50))}, p99 ${f0(pct(seen, 99))} ms`;
    console.log(`  alert → GraphQL: ${seen.length}/${SAMPLES} seen, ${seenText}`);
    rows.push([`alert → GraphQL incidents (${seen.length}/${SAMPLES} seen)`, seenText, '', '']);

    // 3. Router stopped: webhook ingest alone, leaving a backlog on the same 100 keys. First single alerts again,
    // for reference (what the routing in the same process and on the same cores costs the phase above), then batches.
    await stopRouter();
    const batched = await company();
    m = meter();
    const sp = await drive({ url: hook(batched.apiKey), kind: 'closed', tag: `${run}-sp` });
    report('single alert, router stopped', sp, m(sp));
    const pausedRps = (sp.requests / sp.elapsedMs) * 1000;
    rows.push([
      'single, router stopped (reference)',
      `${f0(pausedRps)} req/s, ${lat(sp)}`,
      '',
      `${(pausedRps / bareRps).toFixed(2)}× bare`,
    ]);
    await drive({ url: hook(batched.apiKey), kind: 'closed', seconds: 1, batch: BATCH, tag: `${run}-bw` });
    m = meter();
    const bt = await drive({ url: hook(batched.apiKey), kind: 'closed', batch: BATCH, tag: `${run}-bt` });
    report(`batched (${BATCH}/request)`, bt, m(bt));
    const aps = (bt.alerts / bt.elapsedMs) * 1000;
    rows.push([
      `batched, ${BATCH} alerts/request`,
      `${f0(aps)} alerts/s, ${lat(bt)}`,
      '≥ 20,000 alerts/s',
      verdict(aps, 20_000),
    ]);

    // 4. Drain: a fresh router on that backlog, until every stored alert has its routed_at.
    const backlog = await unrouted(batched.companyId);
    m = meter();
    const d0 = performance.now();
    await startRouter();
    const ready = performance.now() - d0;
    const drained = await until(async () => (await unrouted(batched.companyId)) === 0, 150_000);
    const drainMs = performance.now() - d0;
    const [st] = await sql<{ n: number; span: number; failed: number }[]>`
      SELECT count(routed_at)::int n, extract(epoch FROM max(routed_at) - min(routed_at))::float8 span,
        count(*) FILTER (WHERE route_error IS NOT NULL OR dead_lettered_at IS NOT NULL)::int failed
      FROM alerts WHERE company_id = ${batched.companyId}`;
    const rate = (st!.n / drainMs) * 1000;
    const late = `${drained ? '' : ' (timed out)'}${st!.failed ? `, ${st!.failed} with route errors` : ''}`;
    console.log(
      `  drain: ${st!.n}/${backlog} routed in ${f1(drainMs / 1000)} s${late}; ` +
        `${f0(st!.n / Math.max(st!.span, 0.001))}/s between first and last routed_at; the router was ready ` +
        `${f1(ready / 1000)} s after its start\n    ${m()}`,
    );
    rows.push([
      `router drain, ${backlog} on ${KEYS} keys`,
      `${f0(rate)} alerts/s${late}`,
      '≥ 5,000 alerts/s',
      verdict(rate, 5000),
    ]);
    await until(async () => (await unlinked(batched.companyId)) === 0, 60_000, 1000);

    // 6. Storm: STORM alerts on 100 keys in batched posts with the router running; then exact counts, zero loss.
    const storm = await company();
    const per = STORM / KEYS;
    const writesBefore = await settledAlertWrites(sql);
    m = meter();
    const t0 = performance.now();
    const posts = await drive({
      url: hook(storm.apiKey),
      kind: 'count',
      total: STORM / STORM_BATCH,
      batch: STORM_BATCH,
      prefix: 'storm-srv-',
      tag: `${run}-st`,
    });
    report(`storm posts (${STORM_BATCH}/request)`, posts, m(posts));
    const check = (full = false) => stormCounts(sql, storm.companyId, per, full);
    m = meter();
    const settled = await until(
      async () => {
        const c = await check();
        return c.unlinked === 0 && c.counted === STORM && c.off === 0;
      },
      180_000,
      500,
    );
    const stormMs = performance.now() - t0;
    const c = await check(true);
    failed = !stormExact(c, posts.alerts, STORM, KEYS);
    console.log(
      `  storm: ${settled ? '' : 'NOT '}settled ${f1(stormMs / 1000)} s after the first post\n` +
        `    ${JSON.stringify({ accepted: posts.alerts, ...c })}\n    ${m()}`,
    );
    const counts = c.off
      ? `${c.incidents}, Σ ${c.counted}, ${c.off} ≠ ${per}`
      : `${c.incidents} × ${per} = ${c.counted}`;
    // Before the partitioned router: 3 (claim, placement, routed or linked) and lease renewals. Now: the outcome's one
    // write, and the worker's incident link on top for the few alerts that reach a workflow (one per incident here).
    const perAlert = updatesPerAlert(writesBefore, await settledAlertWrites(sql));
    console.log(`  storm: ${perAlert.toFixed(2)} updates of an alert row per alert stored (one insert each)`);
    rows.push([
      `storm, ${STORM} alerts on ${KEYS} keys`,
      `${counts}, ${c.unlinked} unlinked, ${f1(stormMs / 1000)} s`,
      `${KEYS} × ${per}, no loss`,
      failed ? 'FAILED' : 'MET',
    ]);
    // No verdict: the figure depends on how many alerts reach a workflow before their incident is saved.
    rows.push(['storm, alert row updates per alert', perAlert.toFixed(2), 'outcome + worker link (was ≥ 3)', '']);
  } finally {
    console.log('\nStopping…');
    for (const [name, stop] of stops.reverse()) await stop().catch((e: Error) => console.error(name, e.message));
  }

  printTable(rows);
  const avg = othersSeen.reduce((a, x) => a + x, 0) / Math.max(1, othersSeen.length);
  console.log(
    `\n  Other processes and VM steal took ${f0(avg)} % of a core on average during the phases (max ` +
      `${f0(Math.max(0, ...othersSeen))} %); load average now ${loadAverage()}.`,
  );
  return failed;
}
