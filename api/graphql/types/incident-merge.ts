// Merge and split by hand: a person who knows better than the correlation puts incidents together or takes alerts
// out of one. Each side's workflow takes an Update (so its count, timeline and status stay its own); the alerts and
// the correlation groups move in PostgreSQL, where the router reads them (the merge itself: router/incident-fold.ts).
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { INCIDENT_CHANNEL } from '../../../db/channels.ts';
import { incidentWorkflowId } from '../../../domain/correlation.ts';
import { detachAlerts } from '../../../workflows/messages.ts';
import { FoldError, foldIncident } from '../../../router/incident-fold.ts';
import { companyScope } from '../../auth.ts';
import { fromState, getIncident, type IncidentRecord } from '../../incident-queries.ts';
import { ALERT_CHANNEL } from '../../ingest/alert-writer.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { audited, auditLine, commandOf, notFound, refusal } from './incident-commands.ts';
import { IncidentRef } from './incident.ts';

const MAX_SOURCES = 20;
const MAX_SPLIT = 1_000;

function bad(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

async function mergeIncidents(ctx: GraphQLContext, targetId: string, sourceIds: string[], comment?: string | null) {
  const user = requireUser(ctx);
  const scope = companyScope(user);
  const target = await getIncident(ctx.sql, scope, targetId);
  if (!target) throw notFound(targetId);
  const ids = [...new Set(sourceIds)].filter((id) => id !== targetId);
  if (ids.length === 0) throw bad('Name at least one other incident to merge', 'sourceIds');
  if (ids.length > MAX_SOURCES) throw bad(`Merge at most ${MAX_SOURCES} incidents at once`, 'sourceIds');
  if (target.status === 'resolved') {
    throw new GraphQLError('The incident to merge into is resolved', { extensions: { code: 'CONFLICT' } });
  }
  const sources: IncidentRecord[] = [];
  for (const id of ids) {
    const s = await getIncident(ctx.sql, scope, id);
    // Another company's incident reads as missing, like every other cross-tenant id.
    if (!s || s.companyId !== target.companyId) throw notFound(id);
    if (s.status === 'resolved')
      throw new GraphQLError(`Incident ${id} is resolved`, { extensions: { code: 'CONFLICT' } });
    sources.push(s);
  }

  const { actor, comment: note } = commandOf(user, target, comment);
  return ctx.commands.run(target.id, 'mergeIncidents', async () => {
    let state = null;
    for (const source of sources) {
      // Marked durably with its audit line (router/merge-marks.ts): if this process goes away mid-merge, a router
      // finishes it as asked, and the line is written once the target took the source in, by whoever finished it.
      const person = {
        id: randomUUID(),
        audit: auditLine(ctx, 'mergeIncidents', target, { source: source.id, ...(comment ? { comment } : {}) }),
      };
      try {
        ({ state } = await foldIncident(ctx.sql, ctx.temporal, source, target, {
          actor,
          ...(note ? { comment: note } : {}),
          person,
        }));
      } catch (err) {
        if (!(err instanceof FoldError)) throw err;
        throw refusal(err.cause, err.side === 'source' ? source : target) ?? err.cause;
      }
    }
    return fromState(state!, target.companyName);
  });
}

async function splitIncident(ctx: GraphQLContext, id: string, alertIds: string[], comment?: string | null) {
  const user = requireUser(ctx);
  const incident = await getIncident(ctx.sql, companyScope(user), id);
  if (!incident) throw notFound(id);
  const wanted = [...new Set(alertIds)];
  if (wanted.length === 0 || wanted.length > MAX_SPLIT) {
    throw bad(`Choose between 1 and ${MAX_SPLIT} alerts to split off`, 'alertIds');
  }
  const found = await ctx.sql<{ id: string; assetName: string; signature: string }[]>`
    SELECT id, asset_name AS "assetName", signature FROM alerts
    WHERE incident_id = ${incident.id} AND id = ANY(${wanted}) ORDER BY received_at`;
  if (found.length !== wanted.length) throw bad('Some of those alerts are not part of this incident', 'alertIds');
  const [linked] = await ctx.sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM alerts WHERE incident_id = ${incident.id}`;
  if (found.length >= (linked?.n ?? 0)) throw bad('Split off at least one alert, and leave at least one', 'alertIds');

  const cmd = { ...commandOf(user, incident, comment), alertCount: found.length };
  const [row] = await ctx.sql<{ n: number }[]>`
    SELECT alert_count - routed_repeats AS n FROM incidents WHERE id = ${incident.id}`;
  const before = row?.n ?? 0;
  return ctx.commands.run(incident.id, 'splitIncident', async () => {
    const state = await ctx.temporal.workflow
      .getHandle(incident.workflowId)
      .executeUpdate(detachAlerts, { args: [cmd] })
      .catch((err: unknown) => {
        throw refusal(err, incident) ?? err;
      });
    await moveSplit(ctx, incident, found, { before, after: state.alertCount });
    await audited(ctx, 'splitIncident', incident, { alertCount: found.length, ...(comment ? { comment } : {}) });
    return fromState(state, incident.companyName);
  });
}

/** The split's alerts into a group of their own, once the incident's workflow took them off its count. */
async function moveSplit(
  ctx: GraphQLContext,
  incident: IncidentRecord,
  found: Array<{ id: string; assetName: string; signature: string }>,
  count: { before: number; after: number },
): Promise<void> {
  const wanted = found.map((a) => a.id);
  // A group of their own, under a key of its own, so the incident's key keeps its group; the router opens it.
  const key = `${incident.aggregationKey}~split`;
  await ctx.sql.begin(async (tx) => {
    const [next] = await tx<{ seq: number }[]>`
      SELECT coalesce(max(seq), 0) + 1 AS seq FROM correlation_groups
      WHERE company_id = ${incident.companyId} AND correlation_key = ${key}`;
    const seq = next!.seq;
    const groupId = randomUUID();
    const first = found[0]!;
    await tx`
      INSERT INTO correlation_groups (id, company_id, correlation_key, seq, workflow_id, asset_name, signature,
        host_fault, rule, first_at, last_at, alert_count, tools, opened_at)
      SELECT ${groupId}, ${incident.companyId}, ${key}, ${seq},
        ${incidentWorkflowId(incident.companyId, `${key}|#${seq}`)}, ${first.assetName}, ${first.signature}, false,
        'split', min(received_at), max(received_at), count(*), array_agg(DISTINCT tool_source), now()
      FROM alerts WHERE id = ANY(${wanted})`;
    await tx`
      UPDATE alerts SET group_id = ${groupId}, incident_id = NULL, routed_at = NULL, route_next_at = now(),
        correlation = ${tx.json({ rule: 'split', matched: [] })}
      WHERE id = ANY(${wanted})`;
    // What the workflow could not take off its own count were repeats the router counted here. The row changes
    // after the workflow's own save, so it is newer than that save: a live header taking only newer rows shows it.
    const fromWorkflow = count.before - count.after;
    await tx`
      UPDATE incidents SET routed_repeats = greatest(routed_repeats - ${found.length - fromWorkflow}, 0),
        alert_count = ${count.after} + greatest(routed_repeats - ${found.length - fromWorkflow}, 0),
        updated_at = greatest(updated_at + interval '1 millisecond', now())
      WHERE id = ${incident.id}`;
    await tx`SELECT pg_notify(${ALERT_CHANNEL}, ${incident.companyId}), pg_notify(${INCIDENT_CHANNEL}, ${incident.id})`;
  });
}

builder.mutationField('mergeIncidents', (t) =>
  t.field({
    type: IncidentRef,
    description:
      'Merges incidents of one company into `targetId`: they resolve pointing at it, their alerts move to it, and ' +
      'later alerts of their keys join it.',
    args: {
      targetId: t.arg.id({ required: true }),
      sourceIds: t.arg.idList({ required: true }),
      comment: t.arg.string(),
    },
    resolve: (_root, args, ctx) => mergeIncidents(ctx, String(args.targetId), args.sourceIds.map(String), args.comment),
  }),
);

builder.mutationField('splitIncident', (t) =>
  t.field({
    type: IncidentRef,
    description: 'Takes these alerts out of the incident into a new incident of their own.',
    args: { id: t.arg.id({ required: true }), alertIds: t.arg.idList({ required: true }), comment: t.arg.string() },
    resolve: (_root, args, ctx) => splitIncident(ctx, String(args.id), args.alertIds.map(String), args.comment),
  }),
);
