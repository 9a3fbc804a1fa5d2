// Brings up the multi-process layout on one machine, on a real Temporal server: PostgreSQL (embedded, or the
// server of DATABASE_URL) holding the application's database and Temporal's two, the Temporal server (4 history
// shards) on it, migrations, then N workers, routers and APIs (ROUTER=off) as separate processes against the one
// application database. `npm run cluster` and test/cluster use it; everything it started stops with stop().
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { errorMessage } from '../lib/fatal.ts';
import { startTemporalDevServer } from '../lib/temporal-dev-server.ts';
import { startApp, type AppProcess, type AppRole } from './cluster-apps.ts';
import { pickPort, type TemporalDatabase } from './cluster-config.ts';
import { setupTemporalSchema, startTemporalServer, type TemporalServer } from './cluster-temporal.ts';
import { requireGoTools } from './cluster-tools.ts';

/**
 * Connections the layout opens at most: Temporal's four services (10 + 2 each), six of our processes (a pool of 10
 * and a LISTEN each) and a test's or bench's own pool. PostgreSQL's default of 100 is too few.
 */
const MAX_CONNECTIONS = 300;

export interface ClusterOptions {
  /** The application database; its server also gets Temporal's `temporal` and `temporal_visibility`. */
  databaseUrl?: string;
  /** A working folder of this cluster's (the embedded PostgreSQL's data, the Temporal server's config). */
  dir: string;
  apis?: number;
  routers?: number;
  workers?: number;
  /** More environment for our processes (REMEDIATION_MODE, LOG_LEVEL, ...). */
  env?: NodeJS.ProcessEnv;
  namespace?: string;
  /**
   * 'dev': the Temporal CLI's dev server (one shard, SQLite on a file in `dir`) in place of the real server, the rest
   * alike: what the bench compares the real cluster with.
   */
  temporal?: 'server' | 'dev';
  /** Progress lines ("• Starting …"). */
  log?: (line: string) => void;
  /** Every line our processes and the Temporal server print, by process name. */
  output?: (name: string, line: string) => void;
}

export interface Cluster {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  apis: AppProcess[];
  routers: AppProcess[];
  workers: AppProcess[];
  processes(): AppProcess[];
  /** One more process of a role, on the cluster's environment (e.g. in place of one a test killed). */
  add(role: AppRole): Promise<AppProcess>;
  stop(): Promise<void>;
}

/** The embedded PostgreSQL with room for the layout's connections (a setting that needs a restart). */
async function embeddedPostgres(dir: string, log: (line: string) => void): Promise<EmbeddedDatabase> {
  const dataDir = path.join(dir, 'postgres');
  const port = await pickPort(new Set());
  const start = () => startEmbeddedPostgres({ dataDir, port, persistent: true, log });
  let db = await start();
  const admin = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ max_connections: string }[]>`SHOW max_connections`;
    if (Number(row?.max_connections) >= MAX_CONNECTIONS) return db;
    await admin.unsafe(`ALTER SYSTEM SET max_connections = ${MAX_CONNECTIONS}`);
  } finally {
    await admin.end();
  }
  await db.stop();
  db = await start();
  return db;
}

function temporalDatabase(databaseUrl: string): TemporalDatabase {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: 'temporal',
    visibilityDatabase: 'temporal_visibility',
  };
}

async function startRealServer(
  dir: string,
  databaseUrl: string,
  namespace: string,
  log: (line: string) => void,
  output: (name: string, line: string) => void,
): Promise<TemporalServer> {
  const tools = requireGoTools();
  const tdb = temporalDatabase(databaseUrl);
  log(`• Creating and migrating Temporal's databases ${tdb.database} and ${tdb.visibilityDatabase}…`);
  await setupTemporalSchema(tools.sqlTool, tdb);
  log('• Starting the Temporal server (PostgreSQL persistence, 4 history shards)…');
  return await startTemporalServer({
    binary: tools.server,
    dir: path.join(dir, 'temporal'),
    db: tdb,
    namespace,
    log: (line) => output('temporal', line),
  });
}

/** The dev server registers the default namespace itself; the workers add the search attributes. */
async function startDevServer(dir: string, log: (line: string) => void): Promise<TemporalServer> {
  const dbFilename = path.join(dir, 'temporal.db');
  log(`• Starting the Temporal dev server (${dbFilename})…`);
  const dev = await startTemporalDevServer({ dbFilename, port: await pickPort(new Set()) });
  return { address: dev.address, pid: dev.pid ?? -1, exited: dev.exited, stop: () => dev.stop() };
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? (() => {});
  const output = o.output ?? (() => {});
  const namespace = o.namespace ?? 'default';
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const apps: AppProcess[] = [];
  const stopAll = async () => {
    for (const [name, stop] of stops.reverse()) {
      await stop().catch((err: unknown) => log(`  while stopping ${name}: ${errorMessage(err)}`));
    }
    stops.length = 0;
  };
  try {
    mkdirSync(o.dir, { recursive: true });
    chmodSync(o.dir, 0o755); // PostgreSQL may run as its own user (db/embedded.ts), which must enter its data
    let databaseUrl = o.databaseUrl;
    if (!databaseUrl) {
      log(`• Starting embedded PostgreSQL (${o.dir}/postgres)…`);
      const db = await embeddedPostgres(o.dir, log);
      stops.push(['PostgreSQL', () => db.stop()]);
      databaseUrl = db.url;
    }
    const sql = createSql(databaseUrl, { max: 1 });
    await migrate(sql).finally(() => sql.end({ timeout: 5 }));

    const temporal = await (o.temporal === 'dev'
      ? startDevServer(o.dir, log)
      : startRealServer(o.dir, databaseUrl, namespace, log, output));
    stops.push(['Temporal server', () => temporal.stop()]);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...o.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      // Every API must sign and read the same tokens and secrets.
      JWT_SECRET: o.env?.JWT_SECRET || process.env.JWT_SECRET || randomBytes(32).toString('hex'),
      ENCRYPTION_KEY: o.env?.ENCRYPTION_KEY || process.env.ENCRYPTION_KEY || randomBytes(32).toString('hex'),
      ROUTER: 'off',
    };
    const counts: Record<AppRole, number> = { api: 0, router: 0, worker: 0 };
    const taken = new Set<number>();
    const add = async (role: AppRole): Promise<AppProcess> => {
      const name = `${role}-${++counts[role]}`;
      const port = role === 'api' ? await pickPort(taken) : undefined;
      const app = await startApp({ role, name, env, ...(port ? { port } : {}), log: output });
      apps.push(app);
      stops.push([name, () => app.stop()]);
      return app;
    };
    // Workers first (they poll before any alert is routed), then routers, then the APIs that take alerts.
    const n = { api: o.apis ?? 2, router: o.routers ?? 2, worker: o.workers ?? 2 };
    for (const role of ['worker', 'router', 'api'] as const) {
      log(`• Starting ${n[role]} ${role === 'api' ? 'API' : role} process${n[role] === 1 ? '' : 'es'}…`);
      await Promise.all(Array.from({ length: n[role] }, () => add(role)));
    }
    const of = (role: AppRole) => apps.filter((a) => a.role === role);
    return {
      databaseUrl,
      temporalAddress: temporal.address,
      namespace,
      get apis() {
        return of('api');
      },
      get routers() {
        return of('router');
      },
      get workers() {
        return of('worker');
      },
      processes: () => [...apps],
      add,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
