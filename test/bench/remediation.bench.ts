// `npm run bench:remediation`: how soon a low-risk incident heals itself, in one run on this machine. 200 alerts on
// 200 registered assets (one incident each) go to the webhook; each is timed from its 202 to the moment its
// SendCommand reaches the local SSM (moto behind test/ssm/ssm-proxy.ts, through the real AWS SDK). The incident
// waits the group wait before it decides, so that wait is the reference every figure stands beside:
//   phase "rules":  the company is decided by the rules;   goal p99 <= group wait + 1 s
//   phase "gemini": Gemini (the real SDK against test/helpers/gemini-server.ts) answers each prompt after 300 ms;
//                   goal: no fallback to the rules, p99 <= group wait + 2 s
// Prints figures; exits non-zero only when a run did not reach SSM at all.
//   BENCH_INCIDENTS (200), BENCH_GROUP_WAIT (5 s, the install default), BENCH_LLM_DELAY_MS (300),
//   BENCH_CONCURRENCY (20 webhook requests in flight)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const env = (name: string, fallback: number): number => {
  const v = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a whole number, not ${process.env[name]}`);
  return v;
};
const N = env('BENCH_INCIDENTS', 200);
const GROUP_WAIT_S = env('BENCH_GROUP_WAIT', 5);
const LLM_DELAY_MS = env('BENCH_LLM_DELAY_MS', 300);
const CONCURRENCY = Math.max(env('BENCH_CONCURRENCY', 20), 1);

const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;
const s2 = (ms: number) => (ms / 1000).toFixed(2);

// The SDK reads these; moto takes any key.
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
process.env.AWS_REGION ??= 'us-east-1';

async function main(): Promise<boolean> {
  const { Client, Connection } = await import('@temporalio/client');
  const { Runtime } = await import('@temporalio/worker');
  const { AlertRouter } = await import('../../router/alert-router.ts');
  const { createApiServer } = await import('../../api/server.ts');
  const { startEmbeddedPostgres } = await import('../../db/embedded.ts');
  const { migrate } = await import('../../db/migrate.ts');
  const { createSql } = await import('../../db/sql.ts');
  const { loadConfig } = await import('../../lib/config.ts');
  const { freePort, startTemporalDevServer } = await import('../../lib/temporal-dev-server.ts');
  const { startWorker } = await import('../../worker/create-worker.ts');
  const { createCompany } = await import('../helpers/fixtures.ts');
  const { startGeminiServer } = await import('../helpers/gemini-server.ts');
  const { startMoto } = await import('../helpers/moto.ts');
  const { startSsmProxy } = await import('../ssm/ssm-proxy.ts');

  const stops: Array<[string, () => Promise<unknown>]> = [];
  let complete = true;
  try {
    console.log(
      `Remediation benchmark: ${N} low-risk incidents a phase, group wait ${GROUP_WAIT_S} s, ` +
        `${CONCURRENCY} webhook requests in flight; ${cpus().length} cores, load average ` +
        `${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}\n`,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'aw-remediation-'));
    stops.push(['temp dir', async () => rmSync(dir, { recursive: true, force: true })]);
    const db = await startEmbeddedPostgres({
      dataDir: dir,
      port: await freePort(),
      persistent: false,
      database: 'alert_whisperer_bench',
      log: () => {},
    });
    stops.push(['PostgreSQL', () => db.stop()]);
    const sql = createSql(db.url);
    stops.push(['sql', () => sql.end({ timeout: 5 })]);
    await migrate(sql);
    const moto = await startMoto();
    stops.push(['moto', () => moto.stop()]);
    const ssm = await startSsmProxy(moto.url);
    stops.push(['SSM proxy', () => ssm.close()]);
    const gemini = await startGeminiServer();
    stops.push(['Gemini server', () => gemini.close()]);
    const dev = await startTemporalDevServer({});
    stops.push(['Temporal dev server', () => dev.stop()]);
    Runtime.install({
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
      shutdownSignals: [],
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    const config = {
      ...loadConfig({
        REMEDIATION_MODE: 'ssm',
        SSM_ENDPOINT: ssm.url,
        GEMINI_API_KEY: 'bench-key',
        GEMINI_BASE_URL: gemini.url,
        WEBHOOK_RATE_PER_MINUTE: '6000',
        // Every incident of a phase runs at once: the blast-radius guard is lifted to let them (its defaults would
        // rightly refuse 200 runs of one runbook in an hour).
        REMEDIATION_MAX_CONCURRENT_RUNS_CEILING: String(N),
        REMEDIATION_MAX_CONCURRENT_RUNS: String(N),
        REMEDIATION_MAX_RUNS_PER_RUNBOOK_PER_HOUR_CEILING: String(N),
        REMEDIATION_MAX_RUNS_PER_RUNBOOK_PER_HOUR: String(N),
      }),
      databaseUrl: db.url,
      temporalAddress: dev.address,
      jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
      encryptionKey: 'bench-encryption-key-that-is-long-enough',
    };
    const worker = await startWorker({ address: dev.address, sql, config });
    stops.push(['worker', () => worker.stop()]);
    const connection = await Connection.connect({ address: dev.address });
    stops.push(['client connection', () => connection.close()]);
    const temporal = new Client({ connection, namespace: config.temporalNamespace });
    const api = await createApiServer({ sql, temporal, config });
    const base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
    stops.push(['API', () => api.close()]);
    const router = new AlertRouter({ sql, temporal, log: console.warn });
    await router.start();
    stops.push(['router', () => router.stop()]);

    const phase = async (name: string, decision: Record<string, unknown> | undefined, prefix: string) => {
      const assets = Array.from({ length: N }, (_, i) => ({
        name: `${prefix}-${String(i).padStart(3, '0')}`,
        instanceId: `i-0${prefix === 'r' ? 'a' : 'b'}${i.toString(16).padStart(15, '0')}`,
      }));
      const company = await createCompany(sql, {
        name: `Bench ${name}`,
        settings: { groupWaitSeconds: GROUP_WAIT_S, ...(decision ? { decision } : {}) },
        runbooks: [{ signature: 'disk_full', riskLevel: 'low', name: 'Clean temp files', actions: ['df -h /'] }],
        assets,
      });
      if (decision) {
        const [rb] = await sql<{ id: string }[]>`SELECT id FROM runbooks WHERE company_id = ${company.companyId}`;
        gemini.script(String(decision.model), {
          text: JSON.stringify({ action: 'execute', runbookId: rb!.id, confidence: 0.95, reasoning: 'Disk full.' }),
          delayMs: LLM_DELAY_MS,
        });
      }
      const accepted = new Map<string, number>();
      const statuses: Record<string, number> = {};
      const url = `${base}/api/webhooks/alerts?api_key=${encodeURIComponent(company.apiKey)}`;
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < N; i = next++) {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              asset_name: assets[i]!.name,
              signature: 'disk_full',
              severity: 'high',
              message: 'Disk 97 % full on /',
              tool_source: 'Prometheus',
            }),
          });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 202) accepted.set(assets[i]!.instanceId, performance.now());
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      const postedIn = performance.now() - t0;
      // Bounded: every accepted run reaches SSM within the group wait plus a generous margin, or the phase says so.
      const deadline = performance.now() + GROUP_WAIT_S * 1000 + 180_000;
      const reached = () => [...accepted.keys()].filter((id) => ssm.sendArrivals.has(id)).length;
      while (reached() < accepted.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const latencies = [...accepted]
        .filter(([id]) => ssm.sendArrivals.has(id))
        .map(([id, at]) => ssm.sendArrivals.get(id)! - at)
        .sort((a, b) => a - b);
      const [d] = await sql<{ n: number; fallbacks: number }[]>`
        SELECT count(*)::int n, count(*) FILTER (WHERE d.fallback_reason IS NOT NULL)::int fallbacks
        FROM decisions d JOIN incidents i ON i.id = d.incident_id WHERE i.company_id = ${company.companyId}`;
      const p50 = pct(latencies, 50);
      const p99 = pct(latencies, 99);
      const budget = GROUP_WAIT_S * 1000 + (decision ? 2000 : 1000);
      if (latencies.length < N) complete = false;
      console.log(`phase ${name}: ${N} alerts posted in ${s2(postedIn)} s, statuses ${JSON.stringify(statuses)}`);
      console.log(
        `  202 → SendCommand received: ${latencies.length}/${accepted.size} reached SSM; p50 ${s2(p50)} s, ` +
          `p99 ${s2(p99)} s, max ${s2(latencies.at(-1) ?? NaN)} s`,
      );
      console.log(
        `  beside the group wait (${GROUP_WAIT_S} s): p50 +${s2(p50 - GROUP_WAIT_S * 1000)} s, ` +
          `p99 +${s2(p99 - GROUP_WAIT_S * 1000)} s; goal p99 <= group wait + ${decision ? 2 : 1} s: ` +
          `${p99 <= budget ? 'MET' : 'NOT MET'}`,
      );
      console.log(`  decisions recorded ${d!.n}, fell back to the rules ${d!.fallbacks}`);
      // Where the time goes, from the rows' own clocks (medians over the phase's incidents, in seconds).
      const [b] = await sql<Record<string, number | null>[]>`
        WITH t AS (
          SELECT a.received_at, a.routed_at,
                 (SELECT created_at FROM incident_events e WHERE e.incident_id = i.id AND e.kind = 'created') opened,
                 (SELECT created_at FROM incident_events e WHERE e.incident_id = i.id AND e.kind = 'decided') decided,
                 x.started_at claimed, x.send_started_at sent
          FROM incidents i
          JOIN alerts a ON a.incident_id = i.id
          LEFT JOIN executions x ON x.incident_id = i.id
          WHERE i.company_id = ${company.companyId})
        SELECT
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM routed_at - received_at)) routed,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM opened - routed_at)) opened,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided - opened)) decided,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed - decided)) claimed,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent - claimed)) sent
        FROM t`;
      const f = (v: number | null | undefined) => (v === null || v === undefined ? '–' : Number(v).toFixed(2));
      console.log(
        `  medians: accepted → routed ${f(b!.routed)} s, → incident opened ${f(b!.opened)} s, → decided ` +
          `${f(b!.decided)} s, → run claimed ${f(b!.claimed)} s, → SendCommand handed to the SDK ${f(b!.sent)} s\n`,
      );
    };

    await phase('rules', undefined, 'r');
    await phase(`gemini (answers after ${LLM_DELAY_MS} ms)`, { provider: 'gemini', model: 'bench-gemini' }, 'g');
    return complete;
  } finally {
    for (const [what, stop] of stops.reverse()) {
      await stop().catch((err: Error) => console.error(`stopping ${what}: ${err.message}`));
    }
  }
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
