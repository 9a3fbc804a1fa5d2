// What a claim goes through before its alerts reach their incidents: an alert claimed more often than its recorded
// failures explain is parked (its router kept stopping on it); the firing alerts are judged for muting within the
// pass's budget, and those a company's budget leaves over wait for the next pass; the rest are placed, a failing
// placement narrowed to the alerts that make it fail. The router (router/alert-router.ts) then signals the incidents.
import type { Sql } from '../../db/sql.ts';
import { claimedTooOften, classifyRouteError, isolateFailures, routeFailure, type RetryPolicy } from './failures.ts';
import { judgeMutings, type Judged, type MutingBudget } from './muting.ts';
import type { RoutePlacement } from './passes.ts';
import { placeAlerts, type PlacedAlert } from './placement.ts';
import type { ClaimedAlert, RouteFailure } from './queue.ts';

export interface Screened {
  firing: ClaimedAlert[];
  notes: ClaimedAlert[];
  /** Alerts parked before any work on them. */
  failures: RouteFailure[];
  invalid: Judged['invalid'];
  /** Alerts put back in the queue for the next pass. */
  deferred: number;
}

/** `live`: the claim's alerts still to route (not the ones an incident already took). */
export async function screenClaim(
  sql: Sql,
  live: ClaimedAlert[],
  policy: RetryPolicy,
  budget: MutingBudget,
): Promise<Screened> {
  const failures: RouteFailure[] = [];
  for (const a of live.filter((x) => claimedTooOften(x.routeAttempts, policy.maxAttempts))) {
    const message = `Routing it never finished: claimed ${a.routeAttempts} times, its router stopping each time`;
    failures.push(routeFailure(a.id, { outage: false, atOnce: true, message }, a.routeAttempts, policy));
  }
  const parked = new Set(failures.map((f) => f.id));
  const firing = live.filter((a) => a.status === 'firing' && !parked.has(a.id));
  const notes = live.filter((a) => a.status === 'resolved' && !parked.has(a.id));
  const judged = await judgeMutings(sql, firing, budget);
  // Deferred alerts need no write: unrouted and due, they are read again by the next pass.
  const deferred = new Set(judged.deferred);
  return {
    firing: firing.filter((a) => !deferred.has(a)),
    notes,
    failures,
    invalid: judged.invalid,
    deferred: deferred.size,
  };
}

/**
 * Places the alerts; a placement that fails other than by an outage is narrowed to the alerts that make it fail,
 * which join `failures` (parked at once when their data is at fault) while the others go on.
 */
export async function placeIsolated(
  sql: Sql,
  firing: ClaimedAlert[],
  workflowIdFor: (companyId: string, key: string) => string,
  passId: string | null,
  policy: RetryPolicy,
  failures: RouteFailure[],
): Promise<{ routable: PlacedAlert[]; folds: number; placements: Map<string, RoutePlacement> }> {
  const { done, failed } = await isolateFailures(firing, (part) => placeAlerts(sql, part, workflowIdFor, passId));
  for (const { item, error } of failed) {
    failures.push(routeFailure(item.id, classifyRouteError(error), item.routeAttempts, policy));
  }
  const routable = done.flatMap((r) => r.routable);
  // In event time across the parts, as one placement returns them: a lane's first alert names the incident.
  routable.sort((x, y) => x.receivedAt.localeCompare(y.receivedAt) || x.id.localeCompare(y.id));
  return {
    routable,
    folds: done.reduce((n, r) => n + r.folds, 0),
    placements: new Map(done.flatMap((r) => [...r.placements])),
  };
}
