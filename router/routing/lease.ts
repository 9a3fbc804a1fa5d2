// A claim is a lease: route_next_at pushed forward by the lease (queue.ts claimAlerts). A pass that outlives it (a
// loaded machine, Temporal slow to answer) would let another router claim the same alerts and count them again: the
// first router's signal reaches the workflow, and the second links them as repeats of the incident it opened. So
// while a pass runs its lease is renewed every third of its length, on the claimed alerts still leased and not yet
// routed. One put back in the queue (route_next_at now) or whose lease already ran out is left to its next claim.
import type { Sql } from '../../db/sql.ts';

export interface Lease {
  /** Stops renewing, after a renewal in flight; call it before writing retry times the renewal would overwrite. */
  stop(): Promise<void>;
}

export function keepLease(sql: Sql, ids: string[], leaseSeconds: number): Lease {
  let renewing: Promise<unknown> = Promise.resolve();
  // SKIP LOCKED: a renewal never waits on a row another statement holds (the worker's save linking it, this pass
  // marking it routed), so it can never be half of a deadlock; a row skipped now is renewed at the next turn.
  const renew = () =>
    sql`
      UPDATE alerts SET route_next_at = now() + make_interval(secs => ${leaseSeconds})
      WHERE id IN (
        SELECT id FROM alerts
        WHERE id = ANY(${ids}) AND routed_at IS NULL AND dead_lettered_at IS NULL AND route_next_at > now()
        FOR UPDATE SKIP LOCKED)`;
  const timer = setInterval(
    () => {
      // One renewal at a time; a failed one (the database away) is the pass's problem, not the timer's.
      renewing = renewing.then(renew).catch(() => undefined);
    },
    (leaseSeconds * 1000) / 3,
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await renewing;
    },
  };
}
