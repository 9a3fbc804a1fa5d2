// One real PostgreSQL and one real Temporal dev server for the whole run (or DATABASE_URL /
// TEMPORAL_ADDRESS when set), shared by every test file through `inject`; and the workflow bundle, built once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { freePort, startTemporalDevServer } from '../lib/temporal-dev-server.ts';
import { WORKFLOWS_PATH } from '../worker/create-worker.ts';
import { quietLogger } from './helpers/quiet-logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    /** workflows/ bundled by webpack at the start of the run (test/helpers/stack.ts workflowBundle). */
    workflowBundlePath: string;
  }
}

/**
 * Bundling workflows/ takes webpack 2–4 s; done in each test file it cost minutes a run. The source does not change
 * during a run, so every file gets the same bytes it would have built itself, and no file sees another's state.
 */
async function bundleOnce(dir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const file = path.join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

async function startDatabase(cleanups: Array<() => Promise<void>>): Promise<string> {
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), 'aw-test-pg-'));
    const db = await startEmbeddedPostgres({
      dataDir: dir,
      port: await freePort(),
      persistent: false,
      database: 'alert_whisperer_test',
    });
    cleanups.push(async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    databaseUrl = db.url;
  }
  const sql = createSql(databaseUrl, { max: 1 });
  await migrate(sql);
  await sql.end();
  return databaseUrl;
}

async function startTemporal(cleanups: Array<() => Promise<void>>): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  const server = await startTemporalDevServer({});
  cleanups.push(() => server.stop());
  return server.address;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'aw-test-bundle-'));
  cleanups.push(async () => rmSync(bundleDir, { recursive: true, force: true }));
  const bundled = bundleOnce(bundleDir);
  try {
    // The servers start side by side too, each mostly waiting on its own child process. allSettled, not all: a
    // server still starting when the other fails must have registered its cleanup before we run them.
    const started = await Promise.allSettled([startDatabase(cleanups), startTemporal(cleanups), bundled]);
    const [databaseUrl, temporalAddress, bundlePath] = started.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as [string, string, string];
    project.provide('databaseUrl', databaseUrl);
    project.provide('temporalAddress', temporalAddress);
    project.provide('workflowBundlePath', bundlePath);
  } catch (err) {
    for (const c of cleanups.reverse()) await c();
    throw err;
  }
  return async () => {
    for (const c of cleanups.reverse()) await c();
  };
}
