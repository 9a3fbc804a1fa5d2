// `npm start`'s in-process services on one database pool (worker, Temporal client, API, alert router), the ordered,
// time-bounded stop steps every part of npm start registers, and which process-level errors are the pool's to
// recover from rather than npm start's to die of. scripts/start.ts supervises them.
import { Client, Connection } from '@temporalio/client';
import { AlertRouter } from '../router/alert-router.ts';
import { createApiServer } from '../api/server.ts';
import { createSql } from '../db/sql.ts';
import type { ServiceConfig } from '../lib/config.ts';
import { errorMessage } from '../lib/fatal.ts';
import type { Supervised } from '../lib/supervise.ts';
import { startWorker } from '../worker/create-worker.ts';

/** A stop step that takes longer is abandoned, so Ctrl-C always ends npm start. */
const STOP_STEP_TIMEOUT_MS = 20_000;

async function withTimeout(what: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([what, late]);
  } finally {
    clearTimeout(timer);
  }
}

export type Stops = Array<[string, () => Promise<unknown>]>;

/** Runs the stop steps last-first, each bounded in time; true when every one succeeded. */
export async function runStops(stops: Stops): Promise<boolean> {
  let clean = true;
  for (const [name, stop] of [...stops].reverse()) {
    try {
      await withTimeout(stop(), STOP_STEP_TIMEOUT_MS);
    } catch (err) {
      clean = false;
      console.error(`  while stopping ${name}: ${errorMessage(err)}`);
    }
  }
  return clean;
}

/**
 * postgres.js 3.4.9 can throw from a timer when PostgreSQL drops a connection it is about to write to
 * (porsager/postgres#1154, #1208): an uncaught TypeError that leaves that connection wedged for good.
 */
export function isPostgresJsNullSocket(err: unknown): boolean {
  const inPostgresJs = /postgres[/\\]src[/\\]connection\.js/;
  return err instanceof TypeError && /reading 'write'/.test(err.message) && inPostgresJs.test(err.stack ?? '');
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(CONNECTION_\w+|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|57P0[1-3])$/.test(code);
}

export interface Services extends Supervised {
  /** Ends this set of services as broken, so the supervisor replaces it. */
  fail(how: string): void;
}

/** The in-process services on one fresh database pool: worker, Temporal client, API and alert router. */
export async function startServices(o: {
  config: ServiceConfig & { databaseUrl: string; temporalAddress: string };
  workflowBundle: { code: string };
}): Promise<Services> {
  const { config } = o;
  const stops: Stops = [];
  let fail: (how: string) => void = () => {};
  const exited = new Promise<string>((resolve) => (fail = resolve));
  try {
    // postgres.js and the Temporal clients reconnect by themselves once their server is back on its port.
    const sql = createSql(config.databaseUrl);
    stops.push(['database pool', () => sql.end({ timeout: 5 })]);
    const { workflowBundle } = o;
    const worker = await startWorker({ address: config.temporalAddress, sql, config, workflowBundle });
    stops.push(['worker', () => worker.stop()]);
    worker.done.then(
      () => fail('stopped: the worker stopped'),
      (err: unknown) => fail(`stopped: the worker failed (${errorMessage(err)})`),
    );
    const connection = await Connection.connect({ address: config.temporalAddress });
    stops.push(['Temporal client', () => connection.close()]);
    const temporal = new Client({ connection, namespace: config.temporalNamespace });
    const api = await createApiServer({ sql, temporal, config });
    stops.push(['API', () => api.close()]);
    const log = (m: string) => console.warn(`[router] ${m}`);
    const router = new AlertRouter({
      sql,
      temporal,
      leaseSeconds: config.routeLeaseSeconds,
      taskQueue: config.taskQueue,
      maxActiveSilences: config.maxActiveSilences,
      log,
    });
    await router.start();
    stops.push(['alert router', () => router.stop()]);
    await api.listen(config.port, config.host);
  } catch (err) {
    await runStops(stops);
    throw err;
  }
  return { exited, fail, stop: () => runStops(stops).then(() => undefined) };
}
