// One real PostgreSQL and one real Temporal dev server for the whole run (or DATABASE_URL /
// TEMPORAL_ADDRESS when set), shared by every test file through `inject`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { freePort, startTemporalDevServer } from '../lib/temporal-dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
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

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const server = await startTemporalDevServer({});
    cleanups.push(() => server.stop());
    temporalAddress = server.address;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporalAddress);
  return async () => {
    for (const c of cleanups.reverse()) await c();
  };
}
