// A pass in flight, written down before it routes anything and deleted when it is done: the durable mark of a claim
// that writes nothing on the alerts themselves (partitions.ts). A mark still there when the next router takes one of
// its partitions is a pass whose router stopped in the middle (killed, its connection cut): that router cannot be
// routing those partitions any more, so the alerts it left unrouted count one unfinished attempt each, and an alert
// its routers keep stopping on is parked (failures.ts claimedTooOften) instead of taken by every restart.
// The mark also carries the pass's placements (committed with the groups they count in), which the alert row takes
// with its outcome: markRouted and linkRepeats (queue.ts) for the alerts routed, the pass's end (or, after a crash, the
// next holder) for those left unrouted, which keep their group for their next pass.
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../../db/sql.ts';

/** Where the pass placed an alert: written on the alert with its outcome. */
export interface RoutePlacement {
  groupId: string;
  why: { rule: string; matched: string[] };
}

/** Counts the unfinished passes over `partitions` (held by the caller now) against their alerts, and clears them. */
export async function settleDeadPasses(sql: Sql, lockKey: number, partitions: readonly number[]): Promise<void> {
  if (partitions.length === 0) return;
  await sql`
    WITH dead AS (
      DELETE FROM route_passes WHERE lock_key = ${lockKey} AND partitions && ${partitions as number[]}::int[]
      RETURNING alert_ids, placements
    )
    ${unfinished(sql, 0)}`;
}

/**
 * Ends a pass that stopped with an error (the database away, a deadlock, a fault no alert was blamed for): as a pass
 * whose router stopped, its unrouted alerts count one unfinished attempt, keep their placement, and wait `retryMs`, so
 * the next pass takes others first and an alert that stops every pass is parked rather than holding up its company.
 */
export async function failPass(sql: Sql, id: string, retryMs: number): Promise<void> {
  await sql`
    WITH dead AS (DELETE FROM route_passes WHERE id = ${id} RETURNING alert_ids, placements)
    ${unfinished(sql, retryMs)}`;
}

/** The statement's body over `dead` (alert_ids, placements): one unfinished attempt on each alert still unrouted. */
function unfinished(sql: Sql, retryMs: number) {
  return sql`, left_over AS (
      SELECT u.id, dead.placements -> u.id AS placed FROM dead CROSS JOIN unnest(dead.alert_ids) AS u(id)
    )
    UPDATE alerts a SET route_attempts = a.route_attempts + 1,
      route_next_at = GREATEST(a.route_next_at, now() + make_interval(secs => ${retryMs / 1000})),
      group_id = COALESCE(l.placed ->> 'groupId', a.group_id),
      correlation = COALESCE(l.placed -> 'why', a.correlation)
    FROM left_over l
    WHERE a.id = l.id AND a.routed_at IS NULL AND a.dead_lettered_at IS NULL`;
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

/** Adds placements to the pass, inside the placement's transaction (so they commit with the groups' counts). */
export async function recordPlacements(
  tx: TransactionSql,
  passId: string,
  placements: Map<string, RoutePlacement>,
): Promise<void> {
  if (placements.size === 0) return;
  await tx`
    UPDATE route_passes SET placements = placements || ${JSON.stringify(Object.fromEntries(placements))}::text::jsonb
    WHERE id = ${passId}`;
}

/**
 * Ends the pass. `settled`: it routed every alert it placed, so only the mark goes; otherwise the alerts it placed and
 * did not route keep their group (one statement either way).
 */
export async function endPass(sql: Sql, id: string, settled: boolean): Promise<void> {
  if (settled) {
    await sql`DELETE FROM route_passes WHERE id = ${id}`;
    return;
  }
  await sql`
    WITH done AS (DELETE FROM route_passes WHERE id = ${id} RETURNING placements)
    UPDATE alerts a SET group_id = p.value ->> 'groupId', correlation = p.value -> 'why'
    FROM done CROSS JOIN jsonb_each(done.placements) AS p
    WHERE a.id = p.key AND a.routed_at IS NULL`;
}
