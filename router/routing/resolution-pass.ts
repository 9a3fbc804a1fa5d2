// A claim's resolutions, routed after its firing alerts so a firing-then-resolved pair lands in order: applied in
// PostgreSQL (resolutions.ts), each incident that recovered at source told (signals.ts), and what must wait or be
// tried again handed back as failures carrying their retry times.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../../db/sql.ts';
import { classifyRouteError, STOPPED, type RouteErrorKind } from './failures.ts';
import { markRouted, type ClaimedAlert, type RouteFailure } from './queue.ts';
import { applyResolutions, WAITING_FOR_ROUTING } from './resolutions.ts';
import { signalRecovery, type CallLimits } from './signals.ts';

const WAITING_FOR_LINK = 'Waiting for the alerts it resolves to join their incident';

/** `retry` makes the failure of a note Temporal could not be told of, counted against the note's own attempts. */
export async function routeResolutions(
  sql: Sql,
  temporal: Client,
  notes: ClaimedAlert[],
  retry: (id: string, kind: RouteErrorKind) => RouteFailure,
  limits: CallLimits = {},
): Promise<RouteFailure[]> {
  const { stop } = limits;
  if (notes.length === 0) return [];
  const failures: RouteFailure[] = [];
  const r = await applyResolutions(sql, notes);
  for (const id of r.waiting) {
    // Counted, so that after MAX_LINK_WAITS passes it applies to whatever has joined by then.
    failures.push({ id, error: WAITING_FOR_LINK, counts: true, retryInMs: 1000, deadLetter: false });
  }
  for (const id of r.queued) {
    // Not counted: it waits as long as its firing alerts are queued, then applies to the incident they open.
    failures.push({ id, error: WAITING_FOR_ROUTING, counts: false, retryInMs: 2000, deadLetter: false });
  }
  const untold = new Map<string, string>();
  // Set once Temporal is away (or the router stops): the incidents after it are not told this pass either, rather
  // than each waiting out its own deadline.
  let away: string | null = null;
  for (const rec of r.recovered) {
    if (stop?.aborted) away ??= STOPPED.message;
    if (away) {
      untold.set(rec.incidentId, away);
      continue;
    }
    try {
      await signalRecovery(temporal, rec, limits);
    } catch (err) {
      // The incident's run is over: nothing is left to tell. Otherwise try again: its notes stay queued.
      if (err instanceof WorkflowNotFoundError) continue;
      const kind = stop?.aborted ? STOPPED : classifyRouteError(err);
      untold.set(rec.incidentId, kind.message);
      if (kind.outage) away = kind.message;
    }
  }
  await markRouted(
    sql,
    r.done.filter((n) => !n.incidentId || !untold.has(n.incidentId)).map((n) => n.id),
  );
  for (const n of r.done) {
    const error = n.incidentId ? untold.get(n.incidentId) : undefined;
    if (error) failures.push(retry(n.id, { outage: true, message: error }));
  }
  return failures;
}
