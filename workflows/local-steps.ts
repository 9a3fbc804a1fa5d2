// The incident's short PostgreSQL steps (its context, its saves, the on-call pick) run as local activities: in the
// worker, inside the workflow task that asked for them. A local activity records one marker event where an activity
// task records scheduled, started and completed, and needs no further workflow task when it finishes quickly; on a
// single-shard server each of those events is a disk write (issue 16 item 3: a new incident wrote 56 events before it
// waited, now 33). Slow or outward steps (the decision's LLM, pages, SSM) stay activity tasks: a local activity holds
// its workflow task open while it runs. Each step's proxy and policy live beside its caller.
import { since } from './patches.ts';

/** Runs recorded before these steps ran locally replay with their activity tasks. */
export const LOCAL_STEPS_PATCH = 'local-store-steps';

/** Whether this run takes its short database steps as local activities (decided once, at the first step). */
export function runsStepsLocally(): boolean {
  return since(LOCAL_STEPS_PATCH);
}

/** Runs a run's local activities one at a time, in the order they were asked for. */
export interface LocalSteps {
  run<T>(step: () => Promise<T>): Promise<T>;
}

/**
 * One queue per run. Two local activities in flight at once finish in wall-clock order, and that order is recorded
 * in the markers; this SDK's replay resolves them in the order they were scheduled (fixed upstream later, sdk-rust
 * #1075), so a reopen whose save finished after the context read it started before left a recording that did not
 * replay. One at a time, the two orders are the same. A step waits for the one before it to settle, either way.
 */
export function createLocalSteps(): LocalSteps {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(step: () => Promise<T>): Promise<T> {
      const result = tail.then(step);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
