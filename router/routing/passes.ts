// A pass in flight, written down before it routes anything and deleted when it is done: the durable mark of a claim
// that writes nothing on the alerts themselves (partitions.ts). A mark still there when the next router takes one of
// its partitions is a pass whose router stopped in the middle (killed, its connection cut): that router cannot be
// routing those partitions any more, so the alerts it left unrouted count one unfinished attempt each, and an alert
// its routers keep stopping on is parked (failures.ts claimedTooOften) instead of taken by every restart.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';

/** Counts the unfinished passes over `partitions` (held by the caller now) against their alerts, and clears them. */
export async function settleDeadPasses(sql: Sql, lockKey: number, partitions: readonly number[]): Promise<void> {
  if (partitions.length === 0) return;
  await sql`
    WITH dead AS (
      DELETE FROM route_passes WHERE lock_key = ${lockKey} AND partitions && ${partitions as number[]}::int[]
      RETURNING alert_ids
    )
    UPDATE alerts SET route_attempts = route_attempts + 1
    WHERE id IN (SELECT unnest(alert_ids) FROM dead) AND routed_at IS NULL AND dead_lettered_at IS NULL`;
}

/** Marks a pass over these alerts as under way; returns its id for endPass. */
export async function beginPass(
  sql: Sql,
  lockKey: number,
  partitions: readonly number[],
  alertIds: string[],
): Promise<string> {
  const id = randomUUID();
  await sql`
    INSERT INTO route_passes (id, lock_key, partitions, alert_ids)
    VALUES (${id}, ${lockKey}, ${partitions as number[]}::int[], ${alertIds}::text[])`;
  return id;
}

export async function endPass(sql: Sql, id: string): Promise<void> {
  await sql`DELETE FROM route_passes WHERE id = ${id}`;
}
