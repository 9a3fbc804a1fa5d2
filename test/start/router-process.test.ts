// The alert router as its own process (`npm run router`), beside an API started with ROUTER=off, as compose and
// npm start run them: the API only stores alerts, the router process routes them, and SIGTERM ends it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { createCompany, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript entry point under tsx and resolves once its stdout carries `ready`. */
async function run(file: string, env: Record<string, string>, ready: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      // Runs start where this file's worker polls.
      TEMPORAL_TASK_QUEUE: stack.config.taskQueue,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} was not ready in 60 s: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then(({ code }) => reject(new Error(`${file} exited with ${code} before it was ready: ${out}`)));
  });
  return { child, output: () => out, exited };
}

async function kill(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

let stack: Stack;
let api: Proc | undefined;
let router: Proc | undefined;
let apiUrl = '';
beforeAll(async () => {
  // The worker that runs the incident workflows; its in-process router stays off.
  stack = await startStack({ startRouter: false });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  const apiEnv = {
    ROUTER: 'off',
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: apiUrl,
    WEBHOOK_RATE_PER_MINUTE: '0',
  };
  api = await run('api/main.ts', apiEnv, `[api] listening on ${apiUrl} (port ${port})`);
});
afterAll(async () => {
  await Promise.all([kill(api), kill(router)]);
  await stack?.stop();
});

const unclaimed = (id: string) =>
  stack.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM alerts WHERE id = ${id} AND route_attempts = 0 AND routed_at IS NULL`;

describe('the alert router as its own process', () => {
  it('routes what an API with ROUTER=off stored, and stops cleanly on SIGTERM', async () => {
    const company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    const alert = { asset_name: 'srv-rp', signature: 'disk_full', severity: 'high', message: 'm', tool_source: 'x' };
    const res = await postAlert(apiUrl, company.apiKey, alert);
    expect(res.status).toBe(202);
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };
    // An in-process router would have claimed it at the commit's NOTIFY, or at its 2 s poll: wait past both.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await unclaimed(alertId))[0]!.n).toBe(1);

    router = await run('router/main.ts', {}, '[router] routing');
    const incident = await eventually(async () => {
      const [row] = await stack.sql<{ workflow_id: string }[]>`
        SELECT i.workflow_id FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
      return row?.workflow_id;
    }, 'the router process to route the alert into an incident').catch((err: Error) => {
      throw new Error(`${err.message}; router output: ${router!.output()}`);
    });
    expect(incident).toContain(company.companyId);

    router.child.kill('SIGTERM');
    const exit = await Promise.race([
      router.exited,
      // Past lib/shutdown-deadline.ts's 45 s: a router niced on a full machine stops slowly, but it stops.
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
    ]);
    expect(exit, router.output()).toEqual({ code: 0, signal: null });
    // It said nothing but its ready line: no error on the way out.
    expect(router.output().trim()).toBe('[router] routing');
  }, 150_000);

  it('reads ROUTER as on or off, and refuses anything else', () => {
    expect(loadConfig({}).runRouter).toBe(true);
    expect(loadConfig({ ROUTER: 'on' }).runRouter).toBe(true);
    expect(loadConfig({ ROUTER: 'off' }).runRouter).toBe(false);
    expect(() => loadConfig({ ROUTER: 'no' })).toThrow('ROUTER must be on or off, got "no"');
  });

  it('is a service of its own in docker-compose.yml, and the api there runs no router', () => {
    type Service = { command?: string[]; environment?: Record<string, string>; depends_on?: object };
    const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8'), { merge: true }) as {
      services: Record<string, Service>;
    };
    const { api: apiService, router: routerService, worker } = compose.services;
    expect(routerService?.command).toEqual(['node', 'dist/router/main.js']);
    expect(apiService?.environment?.ROUTER).toBe('off');
    // The same database role, Temporal and task queue as the api and the worker; after migrations.
    for (const name of ['DATABASE_URL', 'PGPASSWORD', 'TEMPORAL_ADDRESS', 'TEMPORAL_TASK_QUEUE'])
      expect(routerService?.environment?.[name], name).toBe(worker?.environment?.[name]);
    expect(routerService?.depends_on).toEqual(worker?.depends_on);
  });
});
