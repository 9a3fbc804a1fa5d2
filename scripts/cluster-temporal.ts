// A real Temporal server (the Go binary, not the dev server) on PostgreSQL for `npm run cluster`: its two databases
// created and migrated by temporal-sql-tool, the server started on this run's config (scripts/cluster-config.ts),
// the namespace registered and the incident search attributes added before any worker polls.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import postgres from 'postgres';
import { errorMessage } from '../lib/fatal.ts';
import { describeExit, dieWithParent, stopChild } from '../lib/processes.ts';
import { ensureSearchAttributes } from '../lib/search-attributes.ts';
import { INCIDENT_SEARCH_ATTRIBUTES } from '../domain/search-attributes.ts';
import {
  DYNAMIC_CONFIG_YAML,
  pickTemporalPorts,
  temporalConfigYaml,
  type TemporalDatabase,
  type TemporalPorts,
} from './cluster-config.ts';

export interface TemporalServer {
  address: string;
  pid: number;
  /** Settles when the server ends, however it ends. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs temporal-sql-tool to its end; the password goes by environment, never on a command line `ps` shows. */
function sqlTool(binary: string, db: TemporalDatabase, database: string, args: string[]): Promise<void> {
  const env = { ...process.env, SQL_PASSWORD: db.password };
  const conn = ['--plugin', 'postgres12', '--endpoint', db.host, '--port', String(db.port), '--user', db.user];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...conn, '--database', database, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c: Buffer) => (out = (out + c.toString()).slice(-3000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new Error(`could not run ${binary}: ${err.message}`)));
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`temporal-sql-tool ${args[0]} on ${database} ${describeExit(code, signal)}: ${out.trim()}`)),
    );
  });
}

/**
 * Creates (when missing) and migrates the server's two databases to the release's schema. Safe to repeat: a database
 * already there is kept, and update-schema only applies versions it has not recorded.
 */
export async function setupTemporalSchema(binary: string, db: TemporalDatabase): Promise<void> {
  const url = (database: string) =>
    `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/${database}`;
  const schemas: Array<[string, string]> = [
    [db.database, 'postgresql/v12/temporal'],
    [db.visibilityDatabase, 'postgresql/v12/visibility'],
  ];
  for (const [database, schemaName] of schemas) {
    const admin = postgres(url('postgres'), { max: 1, onnotice: () => {} });
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`.finally(() => admin.end());
    if (!exists) await sqlTool(binary, db, database, ['create-database']);
    const conn = postgres(url(database), { max: 1, onnotice: () => {} });
    const [versioned] = await conn`SELECT to_regclass('schema_version') AS t`.finally(() => conn.end());
    // setup-schema -v 0.0 only creates the version bookkeeping; update-schema then applies every version.
    if (!versioned?.t) await sqlTool(binary, db, database, ['setup-schema', '-v', '0.0']);
    await sqlTool(binary, db, database, ['update-schema', '--schema-name', schemaName]);
  }
}

async function connectWhenReady(address: string, exited: () => string | null, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const how = exited();
    if (how) throw new Error(`the Temporal server ${how} before it was ready`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      return conn;
    } catch (err) {
      last = err;
      await sleep(250);
    }
  }
  throw new Error(`the Temporal server at ${address} was not ready in ${timeoutMs / 1000} s: ${errorMessage(last)}`);
}

/** Calls `step` until it succeeds: the frontend answers before its namespace cache and membership have settled. */
async function retry<T>(what: string, step: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${errorMessage(err)}`);
      await sleep(500);
    }
  }
}

/** Registers the namespace (kept if it exists) and our search attributes, and waits until both can be used. */
async function prepareNamespace(conn: Connection, namespace: string, log: (line: string) => void): Promise<void> {
  await retry(
    `registering namespace ${namespace}`,
    async () => {
      try {
        await conn.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('3 days'),
        });
      } catch (err) {
        // ALREADY_EXISTS (6): a second start on the same databases.
        if ((err as { code?: number }).code !== 6) throw err;
      }
    },
    60_000,
  );
  // The frontend's namespace cache learns of a new namespace on its next refresh (seconds).
  await retry(
    `namespace ${namespace} to be usable`,
    () => conn.workflowService.countWorkflowExecutions({ namespace }),
    60_000,
  );
  await retry(
    'the incident search attributes to be registered',
    async () => {
      if (!(await ensureSearchAttributes(conn, namespace, log))) throw new Error('refused (see above)');
      const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
      const missing = INCIDENT_SEARCH_ATTRIBUTES.filter((n) => !customAttributes?.[n]);
      if (missing.length) throw new Error(`still missing ${missing.join(', ')}`);
    },
    60_000,
  );
}

/**
 * Starts the server on `dir` (its config is written there), waits for its frontend, registers `namespace` and the
 * search attributes. It dies with this process, even on SIGKILL, where setpriv exists.
 */
export async function startTemporalServer(o: {
  binary: string;
  dir: string;
  db: TemporalDatabase;
  namespace: string;
  ports?: TemporalPorts;
  taken?: Set<number>;
  log: (line: string) => void;
}): Promise<TemporalServer> {
  const ports = o.ports ?? (await pickTemporalPorts(o.taken));
  const configDir = path.join(o.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG_YAML);
  writeFileSync(path.join(configDir, 'cluster.yaml'), temporalConfigYaml({ ports, db: o.db, dynamicConfigFile }), {
    mode: 0o600, // it holds the database password
  });
  const args = ['--root', o.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'];
  const [program, programArgs] = dieWithParent(o.binary, args, 'SIGTERM');
  const child = spawn(program, programArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const forward = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    o.log(chunk.toString().trimEnd());
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  let ended: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve((ended = `could not be started (${err.message})`)));
    child.once('exit', (code, signal) => resolve((ended = describeExit(code, signal))));
  });
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, [['SIGTERM', 20_000]]);
  };
  const address = `127.0.0.1:${ports.frontend}`;
  try {
    const conn = await connectWhenReady(address, () => ended, 90_000);
    try {
      await prepareNamespace(conn, o.namespace, o.log);
    } finally {
      await conn.close();
    }
  } catch (err) {
    await stop();
    throw new Error(`${errorMessage(err)}\n  ${tail.trim().split('\n').slice(-8).join('\n  ')}`);
  }
  return { address, pid: child.pid!, exited, stop };
}
