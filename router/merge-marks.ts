// The durable mark of a person's merge (migration 032): written with the fence, in its transaction, before the
// source closes; deleted with the merge's audit line once the target took the source in, or with the fence undone
// once the source refused. What a router needs to finish a merge whose API went away is in the row
// (router/routing/person-merges.ts).
import { audit, type Actor as AuditActor, type AuditEntry } from '../db/audit-log.ts';
import type { Sql, TransactionSql } from '../db/sql.ts';
import type { Actor } from '../workflows/types.ts';

/** A person's merge: its mark's id (also its Updates' ids) and the audit line it leaves once done. */
export interface PersonMerge {
  id: string;
  audit: { actor: AuditActor; entry: AuditEntry };
}

/** What a fence changed: the source's groups and where they pointed before, the alerts linked to the target. */
export interface Fence {
  groups: Array<{ id: string; was: string | null }>;
  alertIds: string[];
}

/**
 * Writes the mark, or adds this fence to the one already written (a router finishing the merge fences again: the
 * groups then point at the target already, and only where they pointed first can undo it). Returns the whole fence.
 */
export async function markMerge(
  tx: TransactionSql,
  m: { merge: PersonMerge; companyId: string; sourceId: string; targetId: string; actor: Actor; comment?: string },
  fence: Fence,
): Promise<Fence> {
  const [row] = await tx<{ fence: Fence }[]>`
    INSERT INTO incident_merges (id, company_id, source_id, target_id, fence, actor, comment, audit)
    VALUES (${m.merge.id}, ${m.companyId}, ${m.sourceId}, ${m.targetId}, ${tx.json(fence as never)},
            ${tx.json(m.actor as never)}, ${m.comment ?? null}, ${tx.json(m.merge.audit as never)})
    ON CONFLICT (id) DO UPDATE SET fence = jsonb_build_object(
      'groups', (incident_merges.fence -> 'groups') || (EXCLUDED.fence -> 'groups'),
      'alertIds', (incident_merges.fence -> 'alertIds') || (EXCLUDED.fence -> 'alertIds'))
    RETURNING fence`;
  return row!.fence;
}

/** The merge is over without being done (the target refused, or the source did and its fence was undone). */
export async function dropMark(sql: Sql | TransactionSql, id: string): Promise<void> {
  await sql`DELETE FROM incident_merges WHERE id = ${id}`;
}

/**
 * The merge is done: its mark goes, and its audit line is written, in one transaction, with the alerts every attempt
 * moved (those the fences linked and those the moves took).
 */
export async function finishMark(sql: Sql, id: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx<{ audit: PersonMerge['audit']; moved: number }[]>`
      DELETE FROM incident_merges WHERE id = ${id}
      RETURNING audit, moved + jsonb_array_length(fence -> 'alertIds') AS moved`;
    // Gone already: whoever else finished the merge wrote its line.
    if (!row) return;
    const { actor, entry } = row.audit;
    await audit(tx, actor, { ...entry, data: { ...entry.data, alertCount: row.moved } });
  });
}
