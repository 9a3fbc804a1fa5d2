// Applies db/grants.sql: the application role's privileges, after the migrations (see docker-compose.yml).
import { readFile } from 'node:fs/promises';
import type { Sql } from './sql.ts';

export const GRANTS_FILE = new URL('./grants.sql', import.meta.url);

export async function applyGrants(sql: Sql): Promise<void> {
  const body = await readFile(GRANTS_FILE, 'utf8');
  await sql.begin((tx) => tx.unsafe(body));
}
