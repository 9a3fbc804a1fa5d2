// `npm start`: the whole service on one machine with embedded defaults — PostgreSQL, a Temporal
// dev server with its Web UI, migrations, demo data, the worker, the API and the dashboard.
// It outlives its parts: PostgreSQL or the Temporal dev server that dies, or a worker that fails, is restarted on the
// same data with backoff. Its parts do not outlive it: they die with it, and the next start stops any left over.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
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
import { metricsExporter } from '../worker/metrics.ts';
import { demoCredentials, generateSecret, seedDemo, type DemoCredentials } from './seed.ts';
import {
  isConnectionError,
  isPostgresJsNullSocket,
  runStops,
  startServices,
  type Services,
  type Stops,
} from './start-services.ts';

const DATA_DIR = path.resolve(process.env.DATA_DIR ?? '.data');
const PID_FILE = path.join(DATA_DIR, 'pids.json');
const shown = (p: string) => path.relative(process.cwd(), p) || p;
const report = (line: string) => console.warn(`[start] ${line}`);
const say = (line: string) => console.log(line);

/** Secrets generated on first start are kept in .data so a second start prints the same login. */
function localSecrets(): { jwtSecret: string; encryptionKey: string; demo: DemoCredentials } {
  const file = path.join(DATA_DIR, 'local-secrets.json');
  type Saved = { jwtSecret: string; encryptionKey?: string; demo: DemoCredentials };
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Saved) : null;
  const demo = demoCredentials(process.env, saved?.demo);
  const secrets = {
    jwtSecret: process.env.JWT_SECRET || saved?.jwtSecret || generateSecret(''),
    // Kept with the data it seals: a new key would make every stored signing secret unreadable.
    encryptionKey: process.env.ENCRYPTION_KEY || saved?.encryptionKey || randomBytes(32).toString('hex'),
    demo,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function installRuntime(): void {
  const level = (process.env.LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? 'WARN';
  // While Temporal is down its Rust client warns about every retried poll, several times a second; the supervisor
  // says once that the server went and once that it is back, so those warnings stay quiet unless LOG_LEVEL is set.
  const quietRetries = process.env.LOG_LEVEL ? '' : ',temporalio_client::retry=ERROR';
  const filter = makeTelemetryFilterString({ core: level }) + quietRetries;
  // The worker's Runtime would otherwise take SIGINT for itself; we stop everything in order instead.
  // WARN keeps the ready banner readable; LOG_LEVEL=INFO shows the worker's own progress.
  // WORKER_METRICS_ADDRESS: the worker's Prometheus endpoint (worker/metrics.ts), the API's is GET /metrics.
  const metrics = metricsExporter(process.env.WORKER_METRICS_ADDRESS);
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter }, ...(metrics ? { metrics } : {}) },
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(DATA_DIR, { recursive: true });
  const config = loadConfig();
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
  installRuntime();
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

  let services: Supervisor<Services> | null = null;
  process.on('uncaughtException', (err) => {
    if (isPostgresJsNullSocket(err)) {
      // Replace the pool (and what uses it) rather than die; from a pool already being replaced, ignore it.
      services?.current?.fail('lost a database connection to a postgres.js bug');
      return;
    }
    console.error(err);
    void shutdown(1);
  });
  process.on('unhandledRejection', (reason) => {
    // A query cut off by a PostgreSQL restart or by the replacement of its pool: the restart is already reported.
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

    const runConfig = {
      ...config,
      databaseUrl,
      temporalAddress,
      temporalUiUrl,
      jwtSecret: secrets.jwtSecret,
      encryptionKey: secrets.encryptionKey,
    };
    // Bundled once: services restarted after a failure are back in a second instead of re-bundling.
    const logger = new DefaultLogger('WARN');
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger });
    services = supervise('The worker, API and router', () => startServices({ config: runConfig, workflowBundle }), {
      restartNote: 'restarting them',
      plural: true,
    });
    await services.begin();

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
