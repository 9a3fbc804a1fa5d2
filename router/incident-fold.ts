// Folding one incident into another, for a person's merge (api/graphql/types/incident-merge.ts) and for the
// router's when a host fault takes its asset's symptoms (router/routing/symptoms.ts). Each side's workflow
// takes an Update, so its count, timeline and status stay its own; the alerts and the correlation group move
// in PostgreSQL between the two, where the router and the dashboard read them. The group and the alerts still on
// their way move first (fence), so none reaches the closed source and opens a second incident of its key; a refused
// merge puts them back. Every step may run again after a crash: the source refuses a second merge (it is closed),
// moving alerts twice moves nothing, and the target ignores a source it already took in. A person's merge leaves a
// durable mark with its fence (merge-marks.ts), so a router finishes one whose API went away between the steps.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/sql.ts';
import type { Severity } from '../domain/types.ts';
import { absorbIncident, mergeIncident } from '../workflows/messages.ts';
import type { Actor, IncidentState } from '../workflows/types.ts';
import { dropMark, finishMark, markMerge, type Fence, type PersonMerge } from './merge-marks.ts';
import { callTemporal, type CallLimits } from './routing/signals.ts';

/** What a fold reads of each side: fields of the incident projection (api/incident-queries.ts IncidentRecord). */
export interface FoldSide {
  id: string;
  companyId: string;
  workflowId: string;
  assetName: string;
  signature: string;
  alertCount: number;
  severity: Severity;
  toolSources: string[];
}

export interface FoldOptions {
  actor: Actor;
  comment?: string;
  /** The correlation folds, not a person: the source refuses if a person has taken it up. */
  byCorrelation?: boolean;
  /** The source already took its mergeIncident Update (a retry after a crash): go on from the move. */
  sourceMerged?: boolean;
  /**
   * The router's folds: each Update with a deadline, cancelled by the router's stop, so a workflow that does not
   * answer (its worker gone) cannot hold up routing; the fold's mark stays for a later pass (routing/symptoms.ts).
   */
  limits?: CallLimits;
  /**
   * A person's merge: marked with the fence, its Updates sent with ids of its own (sent again, by the API or a
   * router finishing it, they are the same Update), its audit line written when the target took the source in.
   */
  person?: PersonMerge;
}

/** The columns of an incident row (alias `t`) a fold reads, as FoldSide names them. */
export const FOLD_SIDE = (t: string) => `${t}.id, ${t}.company_id AS "companyId", ${t}.workflow_id AS "workflowId",
  ${t}.asset_name AS "assetName", ${t}.signature, ${t}.alert_count AS "alertCount", ${t}.severity,
  ${t}.tool_sources AS "toolSources", ${t}.status`;

/** A workflow said no (its validator or handler refused, or it is closed): nothing of that Update happened. */
export const refusedByWorkflow = (err: unknown): boolean =>
  (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) ||
  err instanceof WorkflowNotFoundError;

export const incidentLabel = (i: Pick<FoldSide, 'id' | 'assetName' | 'signature'>) =>
  `${i.assetName} / ${i.signature} (${i.id.slice(0, 8)})`;

/**
 * Merges `source` into `target`; returns the target's state and how many alerts moved. Temporal's errors (a
 * refused Update among them) go up as they are, tagged with the side that raised them.
 */
export async function foldIncident(
  sql: Sql,
  temporal: Client,
  source: FoldSide,
  target: FoldSide,
  o: FoldOptions,
): Promise<{ state: IncidentState; moved: number }> {
  const common = { actor: o.actor, ...(o.comment ? { comment: o.comment } : {}), ...byCorrelation(o) };
  // Before the source closes: an alert of its key in flight now would otherwise reach the closed run and open a new
  // incident of the key. Once fenced, it is the target's in PostgreSQL, and a run never opens from alerts another
  // incident owns (workflows/incident-open.ts); the router sends later ones to the target (routing/lanes.ts).
  const person = o.person;
  const mark = person
    ? { merge: person, companyId: target.companyId, sourceId: source.id, targetId: target.id, ...common }
    : null;
  const fenced = await fence(sql, source, target, mark);
  let sourceMerged = o.sourceMerged ?? false;
  if (!sourceMerged) {
    const cmd = { ...common, incidentId: source.id, into: { incidentId: target.id, label: incidentLabel(target) } };
    try {
      await onSide('source', o.limits, temporal, () =>
        temporal.workflow
          .getHandle(source.workflowId)
          .executeUpdate(mergeIncident, { args: [cmd], ...(person ? { updateId: `merge-${person.id}` } : {}) }),
      );
    } catch (err) {
      // A person's merge sent again finds its source closed by the first: go on with the target.
      if (!person || !(await mergedInto(sql, source, target))) {
        // Anything but a refusal may have reached the source (a lost answer, a worker away): a person's mark and
        // fence then stay for a router to finish (routing/person-merges.ts); the correlation's own folds keep
        // their marks in correlation_groups and fence again on their next pass.
        if (!person || refusedByWorkflow((err as FoldError).cause)) await unfence(sql, source, target, fenced, person);
        throw err;
      }
      sourceMerged = true;
    }
  }
  // A person's mark counts what each attempt moved, in the same statement, for the audit line.
  const count = person
    ? sql`, counted AS (UPDATE incident_merges SET moved = moved + (SELECT count(*) FROM m) WHERE id = ${person.id})`
    : sql``;
  const [took] = await sql<{ n: number }[]>`
    WITH m AS (
      UPDATE alerts SET incident_id = ${target.id} WHERE incident_id = ${source.id} AND company_id = ${target.companyId}
      RETURNING 1) ${count}
    SELECT count(*)::int AS n FROM m`;
  const moved = fenced.alertIds.length + took!.n;
  const absorb = {
    ...common,
    incidentId: target.id,
    source: {
      incidentId: source.id,
      label: incidentLabel(source),
      alertCount: Math.max(source.alertCount, moved),
      severity: source.severity,
      toolSources: source.toolSources,
    },
  };
  let state: IncidentState;
  try {
    state = await onSide('target', o.limits, temporal, () =>
      temporal.workflow
        .getHandle(target.workflowId)
        .executeUpdate(absorbIncident, { args: [absorb], ...(person ? { updateId: `absorb-${person.id}` } : {}) }),
    );
  } catch (err) {
    // The target refused (resolved meanwhile): nothing more can be done for this merge.
    if (person && refusedByWorkflow((err as FoldError).cause)) await dropMark(sql, person.id);
    throw err;
  }
  if (person) await finishMark(sql, person.id);
  return { state, moved };
}

/** The source's projection says it was merged into the target: a merge sent before took effect. */
async function mergedInto(sql: Sql, source: FoldSide, target: FoldSide): Promise<boolean> {
  const [row] = await sql<{ mergedInto: string | null }[]>`
    SELECT merged_into AS "mergedInto" FROM incidents WHERE id = ${source.id}`;
  return row?.mergedInto === target.id;
}

/**
 * Points the source's groups at the target's (later alerts of its key follow into it) and links the source's alerts
 * still on their way (placed by a pass in flight, or queued, in no incident yet) to the target. Under the placement's company lock, so a
 * placement either saw the merge or placed its alerts before this link.
 */
async function fence(
  sql: Sql,
  source: FoldSide,
  target: FoldSide,
  mark: Parameters<typeof markMerge>[1] | null,
): Promise<Fence> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('correlation'), hashtext(${target.companyId}))`;
    const groups = await tx<{ id: string; was: string | null }[]>`
      WITH old AS (
        SELECT id, merged_into FROM correlation_groups
        WHERE workflow_id = ${source.workflowId} AND company_id = ${target.companyId} FOR UPDATE
      ), dest AS (
        SELECT id FROM correlation_groups WHERE workflow_id = ${target.workflowId} ORDER BY seq DESC LIMIT 1
      )
      UPDATE correlation_groups g SET merged_into = (SELECT id FROM dest) FROM old
      WHERE g.id = old.id AND old.merged_into IS DISTINCT FROM (SELECT id FROM dest)
      RETURNING g.id, old.merged_into AS was`;
    // A pass in flight carries its placements until the alerts' outcome is written (router/routing/passes.ts).
    // Two branches, each found by its own index (the groups' alerts by alerts_group, the placed ones by key): under an
    // OR PostgreSQL read every alert of the install without an incident, a storm's whole backlog, to find these.
    const alerts = await tx<{ id: string }[]>`
      WITH src AS (
        SELECT id FROM correlation_groups WHERE workflow_id = ${source.workflowId} AND company_id = ${target.companyId}
      ), placed AS (
        SELECT p.key AS id FROM route_passes r CROSS JOIN jsonb_each(r.placements) AS p
        WHERE p.value ->> 'groupId' IN (SELECT id FROM src)
      )
      UPDATE alerts SET incident_id = ${target.id}
      WHERE company_id = ${target.companyId} AND incident_id IS NULL AND status = 'firing' AND dead_lettered_at IS NULL
        AND id IN (
          SELECT a.id FROM alerts a WHERE a.group_id IN (SELECT id FROM src)
          UNION ALL
          SELECT a.id FROM alerts a JOIN placed USING (id) WHERE a.group_id IS NULL)
      RETURNING id`;
    const fenced = { groups: [...groups], alertIds: alerts.map((a) => a.id) };
    return mark ? markMerge(tx, mark, fenced) : fenced;
  });
}

/** The source refused (or could not be reached): its key and its alerts on their way stay its own. */
async function unfence(sql: Sql, source: FoldSide, target: FoldSide, f: Fence, person?: PersonMerge): Promise<void> {
  if (f.groups.length === 0 && f.alertIds.length === 0 && !person) return;
  await sql.begin(async (tx) => {
    if (person) await dropMark(tx, person.id);
    await tx`SELECT pg_advisory_xact_lock(hashtext('correlation'), hashtext(${target.companyId}))`;
    await tx`
      UPDATE correlation_groups g SET merged_into = v.was
      FROM unnest(${f.groups.map((g) => g.id)}::text[], ${f.groups.map((g) => g.was)}::text[]) AS v(id, was)
      WHERE g.id = v.id`;
    // Linked to the source rather than queued again: the router may have sent them to its run already, which
    // drops an alert it saw; they are the source's alerts either way.
    await tx`
      UPDATE alerts SET incident_id = ${source.id}
      WHERE id = ANY(${f.alertIds}) AND incident_id = ${target.id} AND company_id = ${target.companyId}`;
  });
}

const byCorrelation = (o: FoldOptions) => (o.byCorrelation ? { byCorrelation: true as const } : {});

/** Which side of a fold refused or failed: callers map the refusal to that incident. */
export class FoldError extends Error {
  constructor(
    readonly side: 'source' | 'target',
    override readonly cause: unknown,
  ) {
    super(`${side} of the merge: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

async function onSide<T>(
  side: 'source' | 'target',
  limits: CallLimits | undefined,
  temporal: Client,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await (limits ? callTemporal(temporal, limits, call) : call());
  } catch (err) {
    throw new FoldError(side, err);
  }
}
