// Finishing a person's merge whose API went away between its steps (router/incident-fold.ts, merge-marks.ts). A
// mark older than PERSON_MERGE_WAIT_SECONDS is one no API is finishing: the API answers a person at the command
// deadline (COMMAND_DEADLINE_MS, at most two minutes) and goes on in the background, but a process that stopped or
// died leaves the mark. The router folds it as the person asked, with the same Update ids, so an Update the API had
// sent is the same Update and is applied once; the source refusing undoes the fence, the target refusing ends it.
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/sql.ts';
import type { Actor } from '../../workflows/types.ts';
import { FOLD_SIDE, foldIncident, refusedByWorkflow, type FoldError, type FoldSide } from '../incident-fold.ts';
import { dropMark, type PersonMerge } from '../merge-marks.ts';
import { companiesInScope, type ScopeOptions } from './queue.ts';
import type { CallLimits } from './signals.ts';

/** How old a mark is before a router takes it over: past the longest command deadline an API waits. */
export const PERSON_MERGE_WAIT_SECONDS = 180;
/** A mark whose incidents never appeared in this long is dropped (an incident row deleted with its company). */
const GIVE_UP_MINUTES = 60;

interface PendingMerge {
  id: string;
  actor: Actor;
  comment: string | null;
  audit: PersonMerge['audit'];
  stale: boolean;
  source: (FoldSide & { mergedInto: string | null }) | null;
  target: FoldSide | null;
}

/** Finishes the merges left marked; returns how many are left for a later pass (Temporal away). */
export async function finishPersonMerges(
  sql: Sql,
  temporal: Client,
  o: { limits?: CallLimits; scope?: ScopeOptions; limit?: number; waitSeconds?: number } = {},
): Promise<number> {
  const { limits, scope = {}, limit = 20, waitSeconds = PERSON_MERGE_WAIT_SECONDS } = o;
  const pending = await sql<PendingMerge[]>`
    SELECT m.id, m.actor, m.comment, m.audit, m.marked_at < now() - make_interval(mins => ${GIVE_UP_MINUTES}) AS stale,
      (SELECT row_to_json(x) FROM (SELECT ${sql.unsafe(FOLD_SIDE('s'))}, s.merged_into AS "mergedInto"
         FROM incidents s WHERE s.id = m.source_id) x) AS source,
      (SELECT row_to_json(x) FROM (SELECT ${sql.unsafe(FOLD_SIDE('t'))} FROM incidents t WHERE t.id = m.target_id) x)
        AS target
    FROM incident_merges m
    WHERE m.company_id IN (${companiesInScope(sql, scope)})
      AND m.marked_at < now() - make_interval(secs => ${waitSeconds})
    ORDER BY m.marked_at LIMIT ${limit}`;
  for (let i = 0; i < pending.length; i++) {
    if (limits?.stop?.aborted) return pending.length - i;
    const m = pending[i]!;
    if (!m.source || !m.target) {
      if (m.stale) await dropMark(sql, m.id);
      continue;
    }
    try {
      await foldIncident(sql, temporal, m.source, m.target, {
        actor: m.actor,
        ...(m.comment ? { comment: m.comment } : {}),
        sourceMerged: m.source.mergedInto === m.target.id,
        person: { id: m.id, audit: m.audit },
        ...(limits ? { limits } : {}),
      });
    } catch (err) {
      // Refused: the fold ended the mark itself. Anything else is Temporal away: the rest wait for a later pass.
      if (!refusedByWorkflow((err as FoldError).cause)) return pending.length - i;
    }
  }
  return 0;
}
