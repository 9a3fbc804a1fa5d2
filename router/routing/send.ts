// The pass's Temporal step: per lane (one incident's workflow ID) the alerts that change the incident go in one
// signalWithStart, plain repeats of an open incident are linked and counted in PostgreSQL and never reach Temporal,
// and what the lanes took is marked routed with where the pass placed it (passes.ts). Lanes are signalled a few at
// a time; a lane that fails hands its alerts to `failed`, the others go on.
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/sql.ts';
import { planLane } from '../../domain/coalescing.ts';
import type { AlertBatch } from '../../workflows/types.ts';
import { classifyRouteError, STOPPED, type RouteErrorKind } from './failures.ts';
import { resolveLanes } from './lanes.ts';
import type { RoutePlacement } from './passes.ts';
import type { PlacedAlert } from './placement.ts';
import { linkRepeats, markRouted } from './queue.ts';
import { signalLane, toSignal } from './signals.ts';

/** Lanes signalled at once. */
const ROUTING_CONCURRENCY = 16;
const NOT_SIGNALLED: RouteErrorKind = {
  outage: true,
  message: "alert router: not signalled, Temporal did not answer this pass's other lanes",
};

export interface SendContext {
  sql: Sql;
  /**
   * Where the outcomes are written (linked, routed): the router's pass connection, which commits without waiting for
   * the WAL flush (partitions.ts). Safe because the placement before them was flushed: an outcome a database crash
   * loses leaves its alerts unrouted with the pass's mark, and the next pass routes them again, counted once.
   */
  outcomes: Sql;
  temporal: Client;
  taskQueue: string;
  /**
   * The router stopping: lanes not yet signalled are left for the next pass and those in flight are cancelled, so a
   * stop waits out no deadline. A cancelled signal may still have reached its workflow, which counts a re-sent alert
   * once.
   */
  stop?: AbortSignal;
  /** Tests: each signal's deadline (signals.ts: 10 s). */
  signalDeadlineMs?: number | undefined;
  /** Tests: awaited with the alert ids just before signalling (a merge while in flight). */
  hold?: ((stage: 'placed' | 'signalling', alertIds: string[]) => Promise<void>) | undefined;
}

/**
 * Returns how many lanes were signalled (`sent`), how many of those Temporal took (`reached`), and whether every alert
 * was routed (`settled`: no repeat left unlinked, no lane failed).
 */
export async function sendLanes(
  ctx: SendContext,
  routable: PlacedAlert[],
  placements: ReadonlyMap<string, RoutePlacement>,
  failed: (alertId: string, kind: RouteErrorKind) => void,
): Promise<{ sent: number; reached: number; settled: boolean }> {
  const { sql } = ctx;
  // Per lane, its open incident, or the incident its group or incident was merged into (lanes.ts).
  const { lanes, linked } = await resolveLanes(sql, routable);
  const routed: string[] = [...linked];
  const repeats: Array<{ alertId: string; incidentId: string; placement?: RoutePlacement }> = [];
  const sends: Array<{ workflowId: string; first: PlacedAlert; batch: AlertBatch; ids: string[] }> = [];
  for (const { workflowId, first, alerts, incident } of lanes) {
    const plan = planLane(alerts, incident);
    for (const a of plan.repeatsOfOpen) {
      const placement = placements.get(a.id);
      repeats.push({ alertId: a.id, incidentId: incident!.id, ...(placement ? { placement } : {}) });
    }
    if (plan.changes.length > 0 || plan.repeatIds.length > 0) {
      sends.push({
        workflowId,
        first,
        batch: { alerts: plan.changes.map(toSignal), repeatIds: plan.repeatIds },
        ids: [...plan.changes.map((a) => a.id), ...plan.repeatIds],
      });
    }
  }
  const linkedRepeats = await linkRepeats(ctx.outcomes, repeats);
  await ctx.hold?.(
    'signalling',
    sends.flatMap((x) => x.ids),
  );

  let reached = 0;
  const queue = [...sends];
  const runLane = async (): Promise<void> => {
    for (let s = queue.shift(); s && !ctx.stop?.aborted; s = queue.shift()) {
      const reachedBefore = reached;
      try {
        await signalLane(ctx.temporal, ctx.taskQueue, s, { stop: ctx.stop, deadlineMs: ctx.signalDeadlineMs });
        routed.push(...s.ids);
        reached += 1;
      } catch (err) {
        const kind = ctx.stop?.aborted ? STOPPED : classifyRouteError(err);
        for (const id of s.ids) failed(id, kind);
        // Temporal away: this runner stops, and so does each of the others as its lane fails the same way, so a pass
        // waits out one signal deadline rather than one per ROUTING_CONCURRENCY lanes. A lane that failed while
        // other lanes reached Temporal failed on its own (one overloaded workflow): the runner goes on.
        if (kind.outage && reached === reachedBefore) return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROUTING_CONCURRENCY, queue.length) }, runLane));
  // Lanes no runner reached: not routed this time, and not counted against their alerts (an outage's kind).
  const unsent: RouteErrorKind = ctx.stop?.aborted ? STOPPED : NOT_SIGNALLED;
  for (const s of queue.splice(0)) for (const id of s.ids) failed(id, unsent);
  await markRouted(ctx.outcomes, routed, placements);
  return { sent: sends.length, reached, settled: reached === sends.length && linkedRepeats === repeats.length };
}
