// `npm run bench:live`: live updates to many screens, in one run on this machine (issue 15 item 4). Three processes
// as in production: the API (live-api.ts, statements counted), the subscribers (live-clients.ts, one graphql-ws
// socket each) and this one, which changes incidents at a fixed rate as the workflows' saves do (one UPDATE with its
// NOTIFY a change). Two phases with the same change rate, first with a tenth of the subscribers, then with all:
//   delay from a change's commit to each event's arrival (p50, p99; goal p99 <= 250 ms at 1,000 subscribers),
//   API statements per change and the feed's reads per change (goal: the same in both phases), API RSS (bounded).
// The mix: 40 % list subscriptions (company people over their company's incidents; 2 % of all are MSP admins
// watching every company), 60 % detail subscriptions on one incident each, over BENCH_COMPANIES companies.
//   BENCH_SUBSCRIBERS (1000), BENCH_RATE (500 changes/s), BENCH_SECONDS (20 a phase), BENCH_COMPANIES (20),
//   BENCH_INCIDENTS (100 open incidents a company), BENCH_API_PROFILE (a directory for the API's CPU profile)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SubscriberSpec } from './live-clients.ts';

const env = (name: string, fallback: number): number => {
  const v = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isInteger(v) || v <= 0)
    throw new Error(`${name} must be a positive whole number, not ${process.env[name]}`);
  return v;
};
const SUBSCRIBERS = env('BENCH_SUBSCRIBERS', 1000);
const RATE = env('BENCH_RATE', 500);
const SECONDS = env('BENCH_SECONDS', 20);
const COMPANIES = env('BENCH_COMPANIES', 20);
const INCIDENTS = env('BENCH_INCIDENTS', 100);
const here = path.dirname(fileURLToPath(import.meta.url));

const HEADER = `id companyName status severity assetName signature alertCount priorityScore slaStatus slaDeadline
  updatedAt assignee { email } acknowledgedBy`;
const LIST = `subscription { incidentUpdated { ${HEADER} } }`;
const DETAIL = `subscription($id: ID!) { incidentUpdated(id: $id) { ${HEADER} escalated escalationReason
  decision { action reasoning } approval { status } execution { status } viewerCanApprove } }`;

/** A forked TypeScript process and a way to ask it things (each answer is the next message it sends). */
function child(file: string, envVars: NodeJS.ProcessEnv = {}, execArgv: string[] = []) {
  const proc: ChildProcess = fork(path.join(here, file), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...envVars },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${file} exited with ${code}`));
      proc.once('exit', onExit);
      proc.once('message', (m) => {
        proc.off('exit', onExit);
        resolve(m as T);
      });
    });
  return { proc, next, ask: <T>(m: object): Promise<T> => (proc.send(m), next<T>()) };
}

const ms = (v: number) => `${Math.round(v)} ms`;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

async function feedCounts(url: string): Promise<{ changes: number; reads: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { changes: read('aw_live_incident_changes_total'), reads: read('aw_live_incident_reads_total') };
}

async function main(): Promise<void> {
  const { startEmbeddedPostgres } = await import('../../db/embedded.ts');
  const { migrate } = await import('../../db/migrate.ts');
  const { createSql } = await import('../../db/sql.ts');
  const { freePort } = await import('../../lib/ports.ts');
  const { createCompany, createUser } = await import('../helpers/fixtures.ts');
  const { insertIncident } = await import('../helpers/incidents.ts');
  const { login } = await import('../helpers/stack.ts');

  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `Live updates benchmark: ${SUBSCRIBERS} subscribers, ${RATE} changes/s for ${SECONDS} s a phase, ` +
      `${COMPANIES} companies × ${INCIDENTS} open incidents; ${cpus().length} cores, load average ${load}\n`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-live-'));
  const db = await startEmbeddedPostgres({
    dataDir: dir,
    port: await freePort(),
    persistent: false,
    database: 'alert_whisperer_live',
    log: () => {},
  });
  const sql = createSql(db.url, { max: 16 });
  const children: Array<ReturnType<typeof child>> = [];
  try {
    await migrate(sql);
    // BENCH_API_PROFILE=<dir>: the API writes a V8 CPU profile there (open it in Chrome's DevTools).
    const profile = process.env.BENCH_API_PROFILE;
    const api = child(
      'live-api.ts',
      { BENCH_DATABASE_URL: db.url },
      profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
    );
    children.push(api);
    const { ready: port } = await api.next<{ ready: number }>();
    const url = `http://127.0.0.1:${port}`;

    // Companies, their people (two a company, so no one passes the 50-subscriptions-a-user cap) and incidents.
    const companies: Array<{ id: string; incidents: string[]; tokens: string[] }> = [];
    for (let c = 0; c < COMPANIES; c++) {
      const { companyId } = await createCompany(sql, { name: `Live ${c}` });
      const incidents: string[] = [];
      for (let i = 0; i < INCIDENTS; i++) incidents.push(await insertIncident(sql, companyId, `srv-${c}-${i}`));
      const tokens: string[] = [];
      for (const role of ['company_admin', 'technician'] as const) {
        const u = await createUser(sql, role, [companyId]);
        tokens.push(await login(url, u.email, u.password));
      }
      companies.push({ id: companyId, incidents, tokens });
    }
    const mspTokens: string[] = [];
    for (let m = 0; m < Math.ceil((SUBSCRIBERS * 0.02) / 20); m++) {
      const u = await createUser(sql, 'msp_admin', []);
      mspTokens.push(await login(url, u.email, u.password));
    }
    const allIncidents = companies.flatMap((c) => c.incidents);

    // The n-th subscriber of the mix, the same whatever the phase, so phase two adds to phase one's.
    const spec = (n: number): SubscriberSpec => {
      const msp = Math.round(1 / 0.02);
      if (n % msp === 0) return { token: mspTokens[(n / msp) % mspTokens.length]!, query: LIST, variables: {} };
      const company = companies[n % COMPANIES]!;
      const token = company.tokens[Math.floor(n / COMPANIES) % company.tokens.length]!;
      if (n % 5 < 2) return { token, query: LIST, variables: {} };
      return { token, query: DETAIL, variables: { id: company.incidents[(n * 7919) % INCIDENTS]! } };
    };

    const clients = child('live-clients.ts');
    children.push(clients);
    await clients.next();
    const wsUrl = `${url.replace('http', 'ws')}/graphql`;

    const results: string[] = [];
    for (const [phase, count] of [
      ['a tenth', Math.max(1, Math.round(SUBSCRIBERS / 10))],
      ['all', SUBSCRIBERS],
    ] as const) {
      const open = await clients.ask<{ opened?: number; failed?: string }>({
        ask: 'open',
        url: wsUrl,
        specs: Array.from({ length: count - (phase === 'all' ? Math.round(SUBSCRIBERS / 10) : 0) }, (_, i) =>
          spec(i + (phase === 'all' ? Math.round(SUBSCRIBERS / 10) : 0)),
        ),
      });
      if (open.failed) throw new Error(`subscribers failed to connect: ${open.failed}`);
      const clientsBefore = await clients.ask<{ cpuMs: number }>({ ask: 'report' }); // drops what came while connecting
      const before = await api.ask<{ statements: number; cpuMs: number }>({ ask: 'stats' });
      const feedBefore = await feedCounts(url);

      // The changes: RATE a second in ticks of 20 ms, open loop (a slow commit does not slow the offer).
      let committed = 0;
      let inFlight = 0;
      let skipped = 0;
      const perTick = RATE / 50;
      let owed = 0;
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (Date.now() - started >= SECONDS * 1000) {
            clearInterval(timer);
            resolve();
            return;
          }
          owed += perTick;
          for (; owed >= 1; owed -= 1) {
            if (inFlight >= 64) {
              skipped += 1;
              continue;
            }
            const id = allIncidents[Math.floor(Math.random() * allIncidents.length)]!;
            inFlight += 1;
            void sql`
              WITH u AS (
                UPDATE incidents SET alert_count = alert_count + 1, updated_at = clock_timestamp()
                WHERE id = ${id} RETURNING id
              ) SELECT pg_notify('incident_updated', id) FROM u`
              .then(() => (committed += 1))
              .finally(() => (inFlight -= 1));
          }
        }, 20);
      });
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      // Let the last events arrive: until the feed has caught up with every change told.
      for (let i = 0; i < 100; i++) {
        const f = await feedCounts(url);
        if (f.changes - feedBefore.changes >= committed) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = await api.ask<{ statements: number; rss: number; peakRss: number; cpuMs: number }>({
        ask: 'stats',
      });
      const feedAfter = await feedCounts(url);
      const got = await clients.ask<{
        events: number;
        errors: number;
        p50: number;
        p99: number;
        max: number;
        cpuMs: number;
      }>({ ask: 'report' });
      const elapsed = (Date.now() - started) / 1000;
      // Share of one core each process used over the phase: which side of the socket ran out first.
      const core = (ms: number) => `${Math.round(ms / (elapsed * 10))} %`;
      const statementsPerChange = (after.statements - before.statements) / committed;
      const readsPerChange = (feedAfter.reads - feedBefore.reads) / committed;
      const line =
        `${String(count).padStart(5)} subscribers: ${committed} changes (${Math.round(committed / SECONDS)}/s` +
        `${skipped ? `, ${skipped} not offered: 64 in flight` : ''}), ${got.events} events ` +
        `(${Math.round(got.events / elapsed)}/s), delay p50 ${ms(got.p50)} p99 ${ms(got.p99)} max ${ms(got.max)}, ` +
        `API statements/change ${statementsPerChange.toFixed(3)}, feed reads/change ${readsPerChange.toFixed(3)}, ` +
        `API RSS ${mb(after.rss)} (peak ${mb(after.peakRss)}), CPU: API ${core(after.cpuMs - before.cpuMs)} ` +
        `of a core, subscribers ${core(got.cpuMs - clientsBefore.cpuMs)}${got.errors ? `, ${got.errors} errors` : ''}`;
      console.log(line);
      results.push(line);
    }
    console.log(
      `\nGoal at ${SUBSCRIBERS}: p99 <= 250 ms; statements per change the same with a tenth and with all ` +
        'subscribers (one shared read per batch of changes, none per subscriber).',
    );
  } finally {
    for (const c of children.reverse()) {
      c.proc.send({ ask: 'stop' });
      await new Promise((r) => {
        const t = setTimeout(() => (c.proc.kill('SIGKILL'), r(null)), 10_000);
        c.proc.once('exit', () => (clearTimeout(t), r(null)));
      });
    }
    await sql.end({ timeout: 5 });
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
