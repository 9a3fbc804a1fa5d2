// Why a signal failed decides what happens to its alerts: an outage (Temporal unreachable, overloaded,
// a deadline) delays every alert without counting against it; anything else is the alert's own problem,
// retried with a growing delay and parked as dead-lettered after a few tries.
import { isGrpcServiceError } from '@temporalio/client';

// gRPC status codes: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10, UNAVAILABLE 14.
const OUTAGE_CODES = new Set<number>([1, 4, 8, 10, 14]);

export function classifyRouteError(err: unknown): { outage: boolean; message: string } {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
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
