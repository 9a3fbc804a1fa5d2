// Applies db/migrations/NNN_name.sql in order, each once, each in its own transaction.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql } from './sql.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** True when every migration file is recorded as applied (without creating anything to find out). */
async function upToDate(sql: Sql, files: string[]): Promise<boolean> {
  const [table] = await sql`SELECT to_regclass('schema_migrations') AS name`;
  if (!table?.name) return false;
  const done = new Set((await sql<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name));
  return files.every((f) => done.has(f));
}

export async function migrate(sql: Sql): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  // A role without DDL rights (docker-compose.yml's application role) starts fine once the migrator has run.
  if (await upToDate(sql, files)) return [];
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
  const applied: string[] = [];
  for (const file of files) {
    const body = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
    await sql.begin(async (tx) => {
      // Two processes starting at once must not both apply a migration.
      await tx`SELECT pg_advisory_xact_lock(727274)`;
      const [done] = await tx`SELECT 1 FROM schema_migrations WHERE name = ${file}`;
      if (done) return;
      await tx.unsafe(body);
      await tx`INSERT INTO schema_migrations (name) VALUES (${file})`;
      applied.push(file);
    });
  }
  return applied;
}
