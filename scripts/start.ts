// `npm start`: the whole service on one machine with embedded defaults — PostgreSQL, a Temporal
// dev server with its Web UI, migrations, demo data, and then as compose runs them, each its own process: the API
// and dashboard (one process per core, sharing the port), the alert router and the Temporal worker.
// It outlives its parts: any of them that dies is restarted (on the same data) with backoff. Its parts do not
// outlive it: they die with it, and the next start stops any left over.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WEB_DIST } from '../api/server.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { loadConfig } from '../lib/config.ts';
import { errorMessage, fatal } from '../lib/fatal.ts';
import { claimDataDir, recordChild, removePidFile } from '../lib/pid-file.ts';
import { Supervisor, type Supervised } from '../lib/supervise.ts';
import { startTemporalDevServer } from '../lib/temporal-dev-server.ts';
import { WORKFLOWS_PATH } from '../worker/create-worker.ts';
import { demoCredentials, seedDemo, type DemoCredentials } from './seed.ts';
import { apiProcesses, forkApi, isConnectionError, runStops, spawnService } from './start-services.ts';
import type { ChildService, Stops } from './start-services.ts';

const DATA_DIR = path.resolve(process.env.DATA_DIR ?? '.data');
const PID_FILE = path.join(DATA_DIR, 'pids.json');
const shown = (p: string) => path.relative(process.cwd(), p) || p;
const report = (line: string) => console.warn(`[start] ${line}`);
const say = (line: string) => console.log(line);

const longEnough = (secret: string | undefined) => (secret && secret.length >= 32 ? secret : undefined);

/** Secrets generated on first start are kept in .data so a second start prints the same login. */
function localSecrets(): { jwtSecret: string; encryptionKey: string; demo: DemoCredentials } {
  const file = path.join(DATA_DIR, 'local-secrets.json');
  type Saved = { jwtSecret: string; encryptionKey?: string; demo: DemoCredentials };
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Saved) : null;
  const demo = demoCredentials(process.env, saved?.demo);
  const secrets = {
    // At least 32 characters, as `npm run api` (each API process) requires: one saved shorter by an earlier version
    // is replaced once, which only ends the sessions it signed.
    jwtSecret: process.env.JWT_SECRET || longEnough(saved?.jwtSecret) || randomBytes(32).toString('hex'),
    // Kept with the data it seals: a new key would make every stored signing secret unreadable.
    encryptionKey: process.env.ENCRYPTION_KEY || saved?.encryptionKey || randomBytes(32).toString('hex'),
    demo,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(DATA_DIR, { recursive: true });
  const config = loadConfig();
  const apis = apiProcesses(); // a typo refused before anything starts
  // Refuses while another npm start runs on this folder; stops what a killed one left running.
  await claimDataDir(PID_FILE, { dataDir: DATA_DIR, log: say });
  const secrets = localSecrets();
  const stops: Stops = [];
  const supervisors: Array<{ halt(): void }> = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // First of all: a part that ends from here on is being stopped, not crashing, so nothing may restart it.
    for (const s of supervisors) s.halt();
    console.log('\nStopping…');
    // Left in place if a part would not stop, so the next start finds and stops it.
    if (await runStops(stops)) removePidFile(PID_FILE);
    process.exit(code);
  };
  // `on`, not `once`: Ctrl-C reaches npm start both from the terminal and relayed by tsx, and a second SIGINT
  // with no listener left would end the process on the spot. A repeat after a second means "stop now".
  let firstSignal = 0;
  const onSignal = () => {
    if (firstSignal && Date.now() - firstSignal > 1_000) process.exit(130); // the children die with us (setpriv)
    firstSignal ||= Date.now();
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  type More<T> = { onRestart?: (t: T) => void; restartNote?: string; plural?: boolean };
  const supervise = <T extends Supervised>(name: string, start: () => Promise<T>, more: More<T> = {}) => {
    const s = new Supervisor<T>({ name, start, log: report, ...more });
    supervisors.push(s);
    stops.push([name, () => s.stop()]);
    return s;
  };

  process.on('uncaughtException', (err) => {
    console.error(err);
    void shutdown(1);
  });
  process.on('unhandledRejection', (reason) => {
    // A query of the set-up pool cut off by a PostgreSQL restart: the restart is already reported.
    if (isConnectionError(reason)) return;
    console.error(reason);
    void shutdown(1);
  });

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const dataDir = path.join(DATA_DIR, 'postgres');
      say(`• Starting embedded PostgreSQL (${shown(dataDir)})…`);
      const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
      const start = () => startEmbeddedPostgres({ dataDir, port, persistent: true, log: say });
      const postgres = supervise('PostgreSQL', start);
      databaseUrl = (await postgres.begin()).url;
    }
    // Its own pool: the services' pool is replaced whenever they restart.
    const setupSql = createSql(databaseUrl);
    try {
      const applied = await migrate(setupSql);
      if (applied.length) say(`• Applied migrations: ${applied.join(', ')}`);
      // Created on the first start; afterwards only what the environment names is re-set, so a password or key
      // changed in the dashboard survives a restart.
      await seedDemo(setupSql, secrets.demo, {
        apiKey: Boolean(process.env.DEMO_API_KEY),
        adminPassword: Boolean(process.env.ADMIN_PASSWORD),
        technicianPassword: Boolean(process.env.TECHNICIAN_PASSWORD),
      });
    } finally {
      await setupSql.end({ timeout: 5 });
    }

    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let temporalUiUrl = config.temporalUiUrl;
    if (!temporalAddress) {
      const dbFilename = path.join(DATA_DIR, 'temporal.db');
      say(`• Starting Temporal dev server (${shown(dbFilename)})…`);
      const port = Number(process.env.TEMPORAL_PORT ?? 7233);
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      const record = (dev: { pid: number | null }) => recordChild(PID_FILE, 'Temporal dev server', dev.pid);
      const temporal = supervise('Temporal dev server', () => startTemporalDevServer({ dbFilename, port, uiPort }), {
        onRestart: record,
      });
      const dev = await temporal.begin();
      record(dev);
      temporalAddress = dev.address;
      temporalUiUrl = process.env.TEMPORAL_UI_URL ?? dev.uiUrl ?? temporalUiUrl;
    }

    if (!existsSync(path.join(WEB_DIST, 'index.html')) && !process.env.SKIP_WEB_BUILD) {
      say('• Building the dashboard (first start only)…');
      const { build } = await import('vite');
      await build({ configFile: path.resolve('web/vite.config.ts'), logLevel: 'warn' });
    }

    // What every child reads instead of npm start's own settings (lib/config.ts), as compose sets them.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_URL: temporalUiUrl,
      JWT_SECRET: secrets.jwtSecret,
      ENCRYPTION_KEY: secrets.encryptionKey,
    };
    // Bundled once and loaded by every worker process (WORKFLOW_BUNDLE), so a restarted worker is back in seconds.
    const bundleFile = path.join(DATA_DIR, 'workflow-bundle.js');
    const bundled = bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }).then(
      ({ code }) => writeFileSync(bundleFile, code),
    );
    const service =
      (name: string, file: string, ready: RegExp, more: NodeJS.ProcessEnv = {}) =>
      () =>
        spawnService({ name, file, env: { ...env, ...more }, ready, stopMs: 12_000 });
    const apiName = (i: number) => (apis > 1 ? `API process ${i + 1}` : 'API process');
    const parts: Array<[string, () => Promise<ChildService>]> = [
      // Stopped last-first: the API takes no more alerts, the router finishes its pass, the worker drains.
      ['worker', service('worker', 'worker/main.ts', /^\[worker\] polling /, { WORKFLOW_BUNDLE: bundleFile })],
      ['alert router', service('alert router', 'router/main.ts', /^\[router\] routing$/)],
      ...Array.from({ length: apis }, (_, i): [string, () => Promise<ChildService>] => {
        const name = apiName(i);
        return [name, () => forkApi({ name, env: { ...env, ROUTER: 'off' }, stopMs: 10_000 })];
      }),
    ];
    // All at once; each settles before a failure stops the others, so none is left half-started.
    const begun = await Promise.allSettled(
      parts.map(async ([name, start]) => {
        const record = (child: ChildService) => recordChild(PID_FILE, name, child.pid);
        const supervisor = supervise(name, start, { onRestart: record });
        if (name === 'worker') await bundled;
        record(await supervisor.begin());
      }),
    );
    const failed = begun.find((b): b is PromiseRejectedResult => b.status === 'rejected');
    if (failed) throw failed.reason;

    const url = config.publicUrl;
    const d = secrets.demo;
    console.log(`
Alert Whisperer is ready (${((Date.now() - started) / 1000).toFixed(1)} s)

  Dashboard     ${url}/
  GraphQL       ${url}/graphql
  Temporal Web  ${temporalUiUrl}
  API key       ${d.apiKey}   (company "Acme Corp")
  Admin login   ${d.adminEmail} / ${d.adminPassword}   (msp_admin)
  Technician    ${d.technicianEmail} / ${d.technicianPassword}

Send a demo alert (high risk: waits for Approve on the dashboard):
  curl -sS -X POST "${url}/api/webhooks/alerts?api_key=${d.apiKey}" -H 'Content-Type: application/json' \\
    -d '{"asset_name":"srv-web-01","signature":"service_down:nginx","severity":"critical","message":"nginx is not answering on :80","tool_source":"Prometheus"}'

Low risk (remediates on its own): use "signature":"disk_full". Press Ctrl-C to stop.
`);
  } catch (err) {
    console.error(`\n${errorMessage(err)}`);
    if (process.env.DEBUG && err instanceof Error) console.error(err.stack);
    await shutdown(1);
  }
}

main().catch(fatal('start'));
