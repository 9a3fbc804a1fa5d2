// The real service, in-process, on the test run's PostgreSQL and Temporal: worker, API and router.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { AlertRouter, type AlertRouterOptions } from '../../router/alert-router.ts';
import { createApiServer } from '../../api/server.ts';
import type { CloudWatchOptions } from '../../api/webhooks/cloudwatch.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig, type ServiceConfig } from '../../lib/config.ts';
import { startWorker, type RunningWorker } from '../../worker/create-worker.ts';
import { FILE_COMPANY_SCOPE, TEST_ENCRYPTION_KEY } from './fixtures.ts';
import { quietLogger } from './quiet-logger.ts';

let bundle: Promise<{ code: string }> | null = null;
let runtimeInstalled = false;

/** workflows/ as bundled once for the whole run by test/global-setup.ts (webpack takes seconds a file). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= readFile(inject('workflowBundlePath'), 'utf8').then((code) => ({ code }));
  return bundle;
}

export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Core logs too: terminating workflows at the end of a test makes the core warn about tasks it no longer finds.
    Runtime.install({
      logger: quietLogger as never,
      shutdownSignals: [],
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // already installed by an earlier helper in this process
  }
}

export interface Stack {
  sql: Sql;
  temporal: Client;
  url: string;
  config: ServiceConfig;
  worker: Worker;
  router: AlertRouter;
  /**
   * What this stack's router is built with (its database, Temporal, task queue and this file's company scope): a test
   * starting a router of its own spreads these and overrides what it swaps.
   */
  routerOptions: AlertRouterOptions;
  /** Stops the stack's worker (its workflows wait, as with every worker gone); `startWorker` brings a new one. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  opts: {
    activities?: WorkerOptions['activities'];
    env?: NodeJS.ProcessEnv;
    startRouter?: boolean;
    taskQueue?: string;
    cloudwatch?: CloudWatchOptions;
  } = {},
): Promise<Stack> {
  quietRuntime();
  const databaseUrl = inject('databaseUrl');
  const temporalAddress = inject('temporalAddress');
  const config = {
    // Tests post chat webhooks to local servers; a test of the outbound policy passes OUTBOUND_ALLOW_PRIVATE=false.
    ...loadConfig({
      REMEDIATION_MODE: 'dry_run',
      SSM_POLL_INTERVAL_MS: '200',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      ...opts.env,
    }),
    databaseUrl,
    temporalAddress,
    // A queue per stack: test files share one Temporal server, and a worker of another file (stopping when that
    // file ends, mid-activity) must never take this stack's workflows.
    taskQueue: opts.taskQueue ?? `aw-test-${randomUUID()}`,
    jwtSecret: 'test-secret-that-is-long-enough-for-hs256',
    encryptionKey: TEST_ENCRYPTION_KEY,
  };
  const sql = createSql(databaseUrl);
  const newWorker = async () =>
    startWorker({
      address: temporalAddress,
      sql,
      config,
      workflowBundle: await workflowBundle(),
      ...(opts.activities ? { activities: opts.activities } : {}),
    });
  let running: RunningWorker | null = await newWorker();
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const api = await createApiServer({
    sql,
    temporal,
    config,
    ...(opts.cloudwatch ? { cloudwatch: opts.cloudwatch } : {}),
  });
  const port = await api.listen(0, '127.0.0.1');
  // Scoped to this file's companies (test/helpers/fixtures.ts): files share the database, not their routers' claims.
  const routerOptions: AlertRouterOptions = {
    sql,
    temporal,
    pollIntervalMs: 200,
    taskQueue: config.taskQueue,
    companyScope: FILE_COMPANY_SCOPE,
    // Outages and dead letters in the test's output: a test waiting on routing then says why it waited.
    log: (m) => console.warn(`[router] ${m}`),
  };
  const router = new AlertRouter(routerOptions);
  if (opts.startRouter !== false) await router.start();
  const stack: Stack = {
    sql,
    temporal,
    url: `http://127.0.0.1:${port}`,
    config: { ...config, publicUrl: `http://127.0.0.1:${port}` },
    worker: running.worker,
    router,
    routerOptions,
    async stopWorker() {
      await running?.stop();
      running = null;
    },
    async startWorker() {
      running ??= await newWorker();
      stack.worker = running.worker;
    },
    async stop() {
      // A test may swap the router (stack.router = …); stop whichever runs now.
      await stack.router.stop();
      await api.close();
      await running?.stop();
      await connection.close();
      await sql.end({ timeout: 5 });
    },
  };
  return stack;
}

/** Polls until `check` returns a value (not undefined/false), failing with the last seen state. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false && v !== null) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{ data: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as never;
}

export async function login(url: string, email: string, password: string): Promise<string> {
  const r = await graphql<{ login: { accessToken: string } }>(
    url,
    'mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}',
    { e: email, p: password },
  );
  if (!r.data) throw new Error(`login failed: ${JSON.stringify(r.errors)}`);
  return r.data.login.accessToken;
}

export async function postAlert(
  url: string,
  apiKey: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/api/webhooks/alerts?api_key=${encodeURIComponent(apiKey)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
