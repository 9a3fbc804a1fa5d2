// A host fault takes the symptoms its asset showed in the minute before it (domain/correlate.ts takeSymptoms), on
// the live path as in the lab. Within the placement transaction the taken groups point at the fault's group, their
// waiting alerts move to it, and those a group held below its minimum go to the fault's incident now. A symptom
// group that already opened an incident is marked absorb_pending; after the fault's workflow has started,
// foldSymptomIncidents merges that incident into the fault's with the Updates a person's merge uses
// (router/incident-fold.ts), unless a person has taken it up meanwhile.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { hostFaultMatch } from '../../domain/correlate.ts';
import type { Actor } from '../../workflows/types.ts';
import { FOLD_SIDE, FoldError, foldIncident, type FoldSide } from '../incident-fold.ts';
import type { Stored } from './groups.ts';
import { CLAIMED_COLUMNS, companiesInScope, type ClaimedAlert, type ScopeOptions } from './queue.ts';
import type { CallLimits } from './signals.ts';

export interface SymptomMerge {
  source: Stored;
  target: Stored;
}

/** How long a fold waits for either incident to appear before it is given up (a start that never happened). */
const FOLD_WAIT_MINUTES = 10;

/**
 * Writes the merges of one placement; returns the alerts the taken groups held, now released to the fault's
 * incident, and how many incidents wait to be folded. Groups new in this claim were never written: nothing to do.
 */
export async function recordSymptomMerges(
  tx: TransactionSql,
  merges: SymptomMerge[],
  claimed: ClaimedAlert[],
): Promise<{ released: ClaimedAlert[]; pending: number }> {
  const stored = merges.filter((m) => !m.source.isNew);
  if (stored.length === 0) return { released: [], pending: 0 };
  const col = <T>(f: (m: SymptomMerge) => T): T[] => stored.map(f);
  await tx`
    UPDATE correlation_groups g SET merged_into = v.target, absorb_pending = v.opened = 1
    FROM unnest(${col((m) => m.source.id)}::text[], ${col((m) => m.target.id)}::text[],
      ${col((m) => (m.source.wasOpened ? 1 : 0))}::int[]) AS v(id, target, opened)
    WHERE g.id = v.id`;
  // Alerts not yet in an incident follow the group. While the fault's group is an incident they are routed to
  // it now, in this pass (their company's partition is held): those a group held below its minimum, and those still queued for the old one.
  const why = (m: SymptomMerge) => JSON.stringify({ rule: 'host_fault', matched: hostFaultMatch(m.target) });
  const rows = await tx<Array<ClaimedAlert & { release: number }>>`
    UPDATE alerts SET group_id = v.target, correlation = v.why::jsonb,
      routed_at = CASE WHEN v.release = 1 THEN NULL ELSE routed_at END
    FROM unnest(${col((m) => m.source.id)}::text[], ${col((m) => m.target.id)}::text[], ${col(why)}::text[],
      ${col((m) => (m.target.opened ? 1 : 0))}::int[]) AS v(source, target, why, release)
    WHERE alerts.group_id = v.source AND alerts.status = 'firing' AND alerts.incident_id IS NULL
      AND alerts.dead_lettered_at IS NULL
      AND NOT (alerts.id = ANY(${claimed.map((a) => a.id)}))
    RETURNING ${tx.unsafe(CLAIMED_COLUMNS)}, v.release`;
  return {
    released: rows.filter((r) => r.release === 1).map(({ release: _r, ...a }) => a),
    pending: stored.filter((m) => m.source.wasOpened).length,
  };
}

/** The correlation as the actor of its own merges: it may act on the company, and its lines name no person. */
const CORRELATION: Actor = { userId: 'correlation', email: 'correlation', role: 'msp_admin', companyIds: [] };

interface PendingFold {
  groupId: string;
  stale: boolean;
  source: (FoldSide & { status: string; mergedInto: string | null }) | null;
  target: (FoldSide & { status: string }) | null;
}

/**
 * Merges the incidents of symptom groups a host fault took into the fault's incident. A person who took the
 * symptom's incident up keeps it. Returns how many are left for a later pass (an incident still starting, or
 * Temporal away).
 */
export async function foldSymptomIncidents(
  sql: Sql,
  temporal: Client,
  o: { limits?: CallLimits; scope?: ScopeOptions; limit?: number } = {},
): Promise<number> {
  const { limits = {}, scope = {}, limit = 20 } = o;
  const pending = await sql<PendingFold[]>`
    SELECT g.id AS "groupId", g.first_at < now() - make_interval(mins => ${FOLD_WAIT_MINUTES}) AS stale,
      (SELECT row_to_json(x) FROM (SELECT ${sql.unsafe(FOLD_SIDE('s'))}, s.merged_into AS "mergedInto"
         FROM incidents s WHERE s.workflow_id = g.workflow_id) x) AS source,
      (SELECT row_to_json(x) FROM (SELECT ${sql.unsafe(FOLD_SIDE('t'))} FROM incidents t WHERE t.workflow_id = f.workflow_id) x)
        AS target
    FROM correlation_groups g JOIN correlation_groups f ON f.id = g.merged_into
    WHERE g.absorb_pending AND g.company_id IN (${companiesInScope(sql, scope)}) ORDER BY g.first_at LIMIT ${limit}`;
  let left = 0;
  for (let i = 0; i < pending.length; i++) {
    // The router stopping: the rest keep their marks for the next one.
    if (limits.stop?.aborted) return left + pending.length - i;
    const { groupId, stale, source, target } = pending[i]!;
    const done = () => sql`UPDATE correlation_groups SET absorb_pending = false WHERE id = ${groupId}`;
    if (!source || !target) {
      // Either incident may still be starting; one that never started in minutes never will.
      if (stale) await done();
      else left += 1;
      continue;
    }
    // Resolved meanwhile by someone else: it stays as it is. Merged into this fault already: finish the fold.
    const sourceMerged = source.mergedInto === target.id;
    if ((source.status === 'resolved' && !sourceMerged) || target.status === 'resolved') {
      await done();
      continue;
    }
    const fold = (merged: boolean) =>
      foldIncident(sql, temporal, source, target, {
        actor: CORRELATION,
        byCorrelation: true,
        sourceMerged: merged,
        limits,
      });
    try {
      try {
        await fold(sourceMerged);
      } catch (err) {
        // Another router merged the source a moment ago and may have died before the target took it in: finish.
        if (!(err instanceof FoldError && err.side === 'source' && refused(err.cause))) throw err;
        const [now] = await sql<{ mergedInto: string | null }[]>`
          SELECT merged_into AS "mergedInto" FROM incidents WHERE id = ${source.id}`;
        if (now?.mergedInto !== target.id) throw err;
        await fold(true);
      }
      await done();
    } catch (err) {
      // Refused (a person took it up, a runbook is running, one side closed): left as it is. Anything else is
      // Temporal being away: the mark stays, and a later pass tries again.
      if (!refused(err instanceof FoldError ? err.cause : err)) return left + pending.length - i;
      await done();
    }
  }
  return left;
}

const refused = (err: unknown): boolean =>
  err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure;
