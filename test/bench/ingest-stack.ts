// bench:ingest's stack: embedded PostgreSQL (migrated) and a Temporal dev server, then the service parts in the layout
// asked for: `processes` as npm start runs them (ingest-procs.ts), `single` the worker, the API and the alert router in
// this process as npm start ran them before. Everything it starts is pushed on `stops`, which the bench runs last-first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { createApiServer } from '../../api/server.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { incidentWorkflowId } from '../../domain/correlation.ts';
import { loadConfig } from '../../lib/config.ts';
import { freePort, startTemporalDevServer } from '../../lib/temporal-dev-server.ts';
import { AlertRouter } from '../../router/alert-router.ts';
import { startWorker } from '../../worker/create-worker.ts';
import { startIngestProcs, type IngestProcs } from './ingest-procs.ts';

export interface IngestStack {
  sql: Sql;
  base: string;
  startRouter(): Promise<void>;
  stopRouter(): Promise<void>;
  /** The service processes (layout `processes`), for their CPU figures. */
  procs: IngestProcs | null;
}

export async function startIngestStack(
  layout: 'processes' | 'single',
  apis: number,
  stops: Array<[string, () => Promise<unknown>]>,
): Promise<IngestStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-ingest-'));
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
  const dev = await startTemporalDevServer({});
  stops.push(['Temporal dev server', () => dev.stop()]);
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  Runtime.install({
    logger: quiet as never,
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const config = {
    ...loadConfig({ REMEDIATION_MODE: 'dry_run', WEBHOOK_RATE_PER_MINUTE: '0' }),
    databaseUrl: db.url,
    temporalAddress: dev.address,
    jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
    encryptionKey: 'bench-encryption-key-that-is-long-enough',
  };
  if (layout === 'single') {
    const worker = await startWorker({ address: dev.address, sql, config });
    stops.push(['worker', () => worker.stop()]);
  }
  const connection = await Connection.connect({ address: dev.address });
  stops.push(['client connection', () => connection.close()]);
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  stops.push([
    'workflows',
    async () => {
      // Open incident workflows would keep the dev server busy on shutdown: end them first.
      const keys = await sql<{ c: string; k: string }[]>`SELECT DISTINCT company_id c, aggregation_key k FROM alerts`;
      await Promise.all(
        keys.map((k) =>
          temporal.workflow
            .getHandle(incidentWorkflowId(k.c, k.k))
            .terminate('bench over')
            .catch(() => {}),
        ),
      );
    },
  ]);
  if (layout === 'processes') {
    const p = await startIngestProcs({
      databaseUrl: db.url,
      temporalAddress: dev.address,
      port: await freePort(),
      apis,
      log: (l) => console.warn(l),
    });
    stops.push(['service processes', () => p.stop()]);
    return { sql, base: p.base, startRouter: p.startRouter, stopRouter: p.stopRouter, procs: p };
  }
  const api = await createApiServer({ sql, temporal, config });
  const base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
  stops.push(['API', () => api.close()]);
  let router: AlertRouter | null = null;
  const startRouter = async () => {
    // as api/main.ts builds it
    const r = new AlertRouter({ sql, temporal, log: (x) => console.warn(x) });
    await r.start();
    router = r;
  };
  const stopRouter = async () => {
    const r = router;
    router = null;
    await r?.stop();
  };
  await startRouter();
  stops.push(['router', () => stopRouter()]);
  return { sql, base, startRouter, stopRouter, procs: null };
}
