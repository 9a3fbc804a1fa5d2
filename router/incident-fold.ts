// Folding one incident into another, for a person's merge (api/graphql/types/incident-merge.ts) and for the
// router's when a host fault takes its asset's symptoms (router/routing/symptoms.ts). Each side's workflow
// takes an Update, so its count, timeline and status stay its own; the alerts and the correlation group move
// in PostgreSQL between the two, where the router and the dashboard read them. Every step may run again after a
// crash: the source refuses a second merge (it is closed), moving alerts twice moves nothing, and the target
// ignores a source it already took in.
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/sql.ts';
import { absorbIncident, mergeIncident } from '../workflows/messages.ts';
import type { Actor, IncidentState } from '../workflows/types.ts';
import type { IncidentRecord } from '../api/incident-queries.ts';

export type FoldSide = Pick<
  IncidentRecord,
  'id' | 'companyId' | 'workflowId' | 'assetName' | 'signature' | 'alertCount' | 'severity' | 'toolSources'
>;

export interface FoldOptions {
  actor: Actor;
  comment?: string;
  /** The correlation folds, not a person: the source refuses if a person has taken it up. */
  byCorrelation?: boolean;
  /** The source already took its mergeIncident Update (a retry after a crash): go on from the move. */
  sourceMerged?: boolean;
}

export const incidentLabel = (i: Pick<IncidentRecord, 'id' | 'assetName' | 'signature'>) =>
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
  if (!o.sourceMerged) {
    const cmd = { ...common, incidentId: source.id, into: { incidentId: target.id, label: incidentLabel(target) } };
    await onSide('source', () =>
      temporal.workflow.getHandle(source.workflowId).executeUpdate(mergeIncident, { args: [cmd] }),
    );
  }
  const moved = await sql.begin(async (tx) => {
    const rows = await tx`
      UPDATE alerts SET incident_id = ${target.id} WHERE incident_id = ${source.id} AND company_id = ${target.companyId}
      RETURNING 1`;
    // Later alerts of the merged key follow into the target's group (router/routing/placement.ts).
    await tx`
      UPDATE correlation_groups SET merged_into = (
        SELECT id FROM correlation_groups WHERE workflow_id = ${target.workflowId} ORDER BY seq DESC LIMIT 1)
      WHERE workflow_id = ${source.workflowId} AND company_id = ${target.companyId}`;
    return rows.length;
  });
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
  const state = await onSide('target', () =>
    temporal.workflow.getHandle(target.workflowId).executeUpdate(absorbIncident, { args: [absorb] }),
  );
  return { state, moved };
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

async function onSide<T>(side: 'source' | 'target', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new FoldError(side, err);
  }
}
