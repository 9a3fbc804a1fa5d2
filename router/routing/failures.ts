// Why a routing step failed decides what happens to its alerts: an outage (Temporal or PostgreSQL unreachable,
// overloaded, a deadline) delays every alert without counting against it; a failure the alert's own data causes
// every time (PostgreSQL refusing its values) parks it as dead-lettered at once; anything else is retried with a
// growing delay and parked after a few tries. A step that fails for a whole claim is narrowed down to the alerts
// that make it fail (isolateFailures), so one bad alert never holds up the others.
import { isGrpcServiceError } from '@temporalio/client';
import type { RouteFailure } from './queue.ts';
import { MAX_LINK_WAITS } from './resolutions.ts';

// gRPC status codes: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10, UNAVAILABLE 14.
const OUTAGE_CODES = new Set<number>([1, 4, 8, 10, 14]);
// SQLSTATE classes: connection (08), rollback/deadlock (40), resources (53), lock not available (55P03), operator
// intervention and statement timeouts (57), system (58), internal (XX): the database's state, not the alert's.
const PG_OUTAGE = /^(08|40|53|55P03|57|58|XX)/;
// Data exceptions (22: a NUL byte, a bad encoding, a value out of range), integrity (23) and program limits (54: an
// index row too large): the same values fail the same way on every try.
const PG_OWN_DATA = /^(22|23|54)/;

export interface RouteErrorKind {
  outage: boolean;
  message: string;
  /** Deterministic and the alert's own: retrying cannot help, so it is dead-lettered at once. */
  atOnce?: boolean;
}

/** A step the router's stop cut short or never took: an outage's kind, so it is not counted against its alerts. */
export const STOPPED: RouteErrorKind = { outage: true, message: 'alert router: stopped before this step was done' };

function sqlState(err: unknown): string | null {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e && e.name === 'PostgresError' && typeof e.code === 'string' ? e.code : null;
}

export function classifyRouteError(err: unknown): RouteErrorKind {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
  const state = sqlState(err);
  if (state) return { outage: PG_OUTAGE.test(state), atOnce: PG_OWN_DATA.test(state), message };
  // The client wraps the gRPC error (ServiceError.cause); look down the chain for its status.
  let grpc = null;
  for (let e: unknown = err, depth = 0; e && depth < 4 && !grpc; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) grpc = e;
  }
  if (grpc)
    return {
      outage: OUTAGE_CODES.has(grpc.code),
      message: `${message}${grpc.details && !message.includes(grpc.details) ? `: ${grpc.details}` : ''}`.slice(0, 500),
    };
  // Errors without a status (a dropped connection before any call) are outages too.
  return { outage: /connect|ECONNREFUSED|ECONNRESET|socket|transport|unavailable/i.test(message), message };
}

/** 2 s, 4 s, 8 s… at most 5 minutes, with jitter so a crowd of failed alerts does not retry in step. */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(attempt - 1, 0), 300_000);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

export interface RetryPolicy {
  /** After this many failures that are the alert's own, it is dead-lettered. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  retryBaseMs: number;
}

/** What a failure of the `attempts`-th claim of an alert does to it. */
export function routeFailure(id: string, kind: RouteErrorKind, attempts: number, policy: RetryPolicy): RouteFailure {
  if (kind.outage) return { id, error: kind.message, counts: false, retryInMs: 2000, deadLetter: false };
  if (kind.atOnce) return { id, error: kind.message, counts: true, retryInMs: 0, deadLetter: true };
  return {
    id,
    error: kind.message,
    counts: true,
    retryInMs: retryDelayMs(attempts, policy.retryBaseMs),
    deadLetter: attempts >= policy.maxAttempts,
  };
}

/**
 * Runs `step` on all items; when it fails other than by an outage, runs it on each half, down to the single items
 * that fail on their own. The halves that succeed keep their results; an outage is thrown as it is (every item waits).
 * At most about 2 × items runs, and only when something failed.
 */
export async function isolateFailures<T, R>(
  items: T[],
  step: (items: T[]) => Promise<R>,
): Promise<{ done: R[]; failed: Array<{ item: T; error: unknown }> }> {
  const out: { done: R[]; failed: Array<{ item: T; error: unknown }> } = { done: [], failed: [] };
  const run = async (part: T[]): Promise<void> => {
    try {
      out.done.push(await step(part));
    } catch (error) {
      if (classifyRouteError(error).outage) throw error;
      if (part.length === 1) out.failed.push({ item: part[0]!, error });
      else {
        const half = Math.ceil(part.length / 2);
        await run(part.slice(0, half));
        await run(part.slice(half));
      }
    }
  };
  await run(items);
  return out;
}

/** Passes over one alert that may end with nothing recorded (its router stopped, its connection cut) before it is parked. */
export const MAX_UNFINISHED_CLAIMS = 3;

/**
 * Whether an alert claimed for the `routeAttempts`-th time has been taken more often than its recorded failures
 * explain: counted failures park it at `maxAttempts`, a resolution waits at most MAX_LINK_WAITS passes, and outages
 * and deferrals count nothing, so what is beyond is passes that never finished (passes.ts counts them). An alert that makes its
 * router stop every time is parked after a few restarts instead of taken by every one of them.
 */
export function claimedTooOften(routeAttempts: number, maxAttempts: number): boolean {
  return routeAttempts > Math.max(maxAttempts, MAX_LINK_WAITS) + MAX_UNFINISHED_CLAIMS;
}
