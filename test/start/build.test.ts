// The production build (npm run build, what the Dockerfile runs), checked without docker: the compiled code starts
// on plain node, the prebuilt workflow bundle loads and holds the workflows, and the compiled worker runs incidents
// from that bundle for the compiled API and router (ROUTER=off on the API, as compose runs them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSql, type Sql } from '../../db/sql.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { patchScheduleId } from '../../lib/patch-schedule.ts';
import { parse } from 'yaml';
import { createCompany, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { eventually, postAlert } from '../helpers/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside the checkout, so that the compiled files resolve node_modules as they do in the image's /app.
const OUT = path.join(ROOT, '.data', `build-test-${randomUUID()}`);
const TASK_QUEUE = `aw-build-test-${randomUUID()}`;

/** The package a bare import specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js') && !e.parentPath.includes(`${path.sep}web${path.sep}`))
    .map((e) => path.join(e.parentPath, e.name));
}

interface Child {
  child: ChildProcess;
  output: () => string;
}

/** Runs a command and resolves once its output contains `ready` (or, with no `ready`, once it exits with 0). */
function start(args: string[], env: NodeJS.ProcessEnv, ready?: string): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready && output.includes(ready)) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      !ready && code === 0
        ? resolve({ child, output: () => output })
        : reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)),
    );
  });
}

async function stop(p: Child | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
  });
}

const port = await freePort();
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  DATABASE_URL: inject('databaseUrl'),
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
  ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  REMEDIATION_MODE: 'dry_run',
};
const url = `http://127.0.0.1:${port}`;

let sql: Sql;
let api: Child | undefined;
let worker: Child | undefined;
let router: Child | undefined;
beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  // The CLI as `npm run build` runs it; npm test has built web/dist already, so it is reused.
  await start(['--import', 'tsx', 'scripts/build.ts', '--out', OUT, '--reuse-web'], { ...process.env });
}, 170_000);
afterAll(async () => {
  await Promise.all([stop(api), stop(worker), stop(router)]);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  await new Client({ connection }).schedule
    .getHandle(patchScheduleId(TASK_QUEUE))
    .delete()
    .catch(() => {}); // only there if the worker started
  await connection.close();
  await sql?.end();
  rmSync(OUT, { recursive: true, force: true });
});

describe('npm run build (the production image without docker)', () => {
  it('writes a workflow bundle that loads and holds the incident workflow', () => {
    // The worker evaluates the bundle in a fresh context with webpack's module cache given; so does this.
    const context = vm.createContext({ __webpack_module_cache__: {} });
    vm.runInContext(readFileSync(path.join(OUT, 'workflow-bundle.js'), 'utf8'), context);
    const workflows = (context.__TEMPORAL__ as { importWorkflows(): Record<string, unknown> }).importWorkflows();
    expect(typeof workflows.incidentWorkflow).toBe('function');
    expect(typeof workflows.patchComplianceWorkflow).toBe('function');
  });

  it('imports only production dependencies and Node built-ins from the compiled code', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const imported = new Set<string>();
    for (const file of jsFiles(OUT).filter((f) => !f.endsWith('workflow-bundle.js'))) {
      const text = readFileSync(file, 'utf8');
      const statements = /^(?:import|export)\b[^;]*?(?:\sfrom\s+|import\s*)'([^'.][^']*)'|\bimport\('([^'.][^']*)'\)/gm;
      for (const m of text.matchAll(statements)) imported.add(packageOf((m[1] ?? m[2]!).replace(/^node:/, '')));
      expect(text, file).not.toMatch(/from '\.[^']*\.ts'/); // every relative import rewritten to .js
    }
    expect([...imported].filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('is what the Dockerfile and docker-compose.yml run: non-root, health-checked, on the compiled files', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(dockerfile).toMatch(/RUN npm run build\n/);
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD .*\/readyz/m);
    expect(runtime).toContain('CMD ["node", "dist/api/main.js"]');
    expect(runtime).not.toMatch(/COPY (api|worker|workflows|db|lib|domain|activities|scripts) /); // no sources at run time
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[] }>;
    };
    const commands = ['api', 'router', 'worker', 'migrate'].map((name) => compose.services[name]!.command!.join(' '));
    const files = commands.flatMap((c) => [...c.matchAll(/dist\/(\S+\.js)/g)].map((m) => m[1]!));
    expect(files).toEqual(['api/main.js', 'router/main.js', 'worker/main.js', 'db/migrate-cli.js', 'db/grants-cli.js']);
    for (const file of [
      ...files,
      'scripts/create-admin-cli.js',
      'scripts/seed-cli.js',
      'db/grants.sql',
      'web/dist/index.html',
    ])
      expect(existsSync(path.join(OUT, file)), file).toBe(true);
    expect(readdirSync(path.join(OUT, 'db/migrations')).sort()).toEqual(
      readdirSync(path.join(ROOT, 'db/migrations'))
        .filter((f) => f.endsWith('.sql'))
        .sort(),
    );
  });

  it('starts the compiled API on plain node: ready, and serving the dashboard', async () => {
    api = await start([path.join(OUT, 'api/main.js')], { ...env, ROUTER: 'off' }, 'listening on');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
  });

  it('runs incidents on the compiled worker from the prebuilt bundle, routed by the compiled router', async () => {
    worker = await start([path.join(OUT, 'worker/main.js')], env, 'polling task queue');
    router = await start([path.join(OUT, 'router/main.js')], env, '[router] routing');
    const company = await createCompany(sql, { settings: { groupWaitSeconds: 0 } });
    const alert = { asset_name: 'srv-build', signature: 'disk_full', severity: 'high', message: 'm', tool_source: 'x' };
    expect((await postAlert(url, company.apiKey, alert)).status).toBe(202);
    let alerts: readonly unknown[] = [];
    const workflowId = await eventually(async () => {
      alerts = await sql`
          SELECT a.route_error, a.route_attempts, i.workflow_id FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id
          WHERE a.company_id = ${company.companyId}`;
      return (alerts[0] as { workflow_id?: string } | undefined)?.workflow_id ?? undefined;
    }, 'the alert to open an incident').catch((err: Error) => {
      throw new Error(`${err.message}; alerts: ${JSON.stringify(alerts)}; worker: ${worker!.output()}`);
    });
    // A completed workflow task is the worker's: only it runs workflow code (from the bundle: the compiled
    // worker has no workflows/ sources to bundle and refuses to start without the prebuilt file).
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const handle = new Client({ connection }).workflow.getHandle(workflowId);
      await eventually(async () => {
        const history = await handle.fetchHistory();
        return history.events?.some((e) => e.workflowTaskCompletedEventAttributes);
      }, 'the compiled worker to run the incident workflow');
    } finally {
      await connection.close();
    }
    expect(worker.output()).not.toContain('Workflow bundle created'); // it did not bundle at start-up
  });
});
