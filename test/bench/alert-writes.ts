// Row versions PostgreSQL wrote on the alerts table, from its statistics: the figure of "each alert written once".
// Each backend reports its counts when idle (at most about 10 s late since PostgreSQL 15), so a reading waits until
// the counters have stood still for a few seconds past that.
import type { Sql } from '../../db/sql.ts';

export interface TableWrites {
  inserts: number;
  updates: number;
}

async function read(sql: Sql): Promise<TableWrites> {
  const [r] = await sql<{ inserts: number; updates: number }[]>`
    SELECT n_tup_ins::float8 AS inserts, n_tup_upd::float8 AS updates FROM pg_stat_user_tables
    WHERE relname = 'alerts' AND schemaname = current_schema()`;
  return r ?? { inserts: 0, updates: 0 };
}

/** The alerts table's insert and update counts once every backend has reported (quiet for 3 s, 11 s at least). */
export async function settledAlertWrites(sql: Sql): Promise<TableWrites> {
  const start = Date.now();
  let last = await read(sql);
  let still = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await read(sql);
    still = now.inserts === last.inserts && now.updates === last.updates ? still + 1 : 0;
    last = now;
    if (still >= 3 && Date.now() - start >= 11_000) return now;
    if (Date.now() - start > 60_000) return now;
  }
}

/** Updates per inserted alert between two readings (the worker's incident link included). */
export function updatesPerAlert(before: TableWrites, after: TableWrites): number {
  const inserted = after.inserts - before.inserts;
  return inserted > 0 ? (after.updates - before.updates) / inserted : 0;
}
