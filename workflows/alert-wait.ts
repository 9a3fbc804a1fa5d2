// Waiting inside an incident run while alerts keep arriving: each wake folds the new alerts in (saved as one
// "alerts correlated" event), and a wait ends on its condition, its deadline, or Temporal's suggestion to continue
// in a fresh history. Split from incidentWorkflow so the workflow body reads as its phases.
import { condition, workflowInfo } from '@temporalio/workflow';
import type { AlertInbox } from './alert-inbox.ts';
import * as T from './incident-state.ts';
import type { IncidentState } from './types.ts';

export interface AlertWaiter {
  /** Folds the alerts waiting in the inbox into the incident and saves; nothing when none wait. */
  flushAlerts(): Promise<void>;
  /**
   * Waits until `done()` or the timeout, folding in alerts as they arrive. Returns whether `done()` became true,
   * or 'continue' when Temporal suggests a fresh history and it is safe to take one.
   */
  waitFor(done: () => boolean, timeoutMs?: number, mayContinue?: boolean): Promise<boolean | 'continue'>;
}

export function createAlertWaiter(deps: {
  inbox: AlertInbox;
  state: () => IncidentState;
  journal: T.Journal;
  now: () => string;
  save: () => Promise<void>;
}): AlertWaiter {
  const { inbox, journal } = deps;
  const flushAlerts = async (): Promise<void> => {
    if (!inbox.hasPending()) return;
    const { alerts: batch, repeatIds: repeats } = inbox.take();
    const s = deps.state();
    T.absorb(s, journal, batch, repeats, Date.now());
    const n = batch.length + repeats.length;
    const message = `${n} more alert(s) correlated (${s.alertCount} in total)`;
    T.record(s, journal, deps.now(), 'alerts_correlated', message, null, T.alertBatchData(batch, repeats));
    await deps.save();
  };

  const waitFor = async (
    done: () => boolean,
    timeoutMs?: number,
    mayContinue = false,
  ): Promise<boolean | 'continue'> => {
    const until = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const remaining = until === undefined ? undefined : Math.max(until - Date.now(), 0);
      const wake = (): boolean =>
        done() || inbox.hasPending() || (mayContinue && workflowInfo().continueAsNewSuggested);
      if (remaining === undefined) await condition(wake);
      else await condition(wake, remaining);
      if (inbox.hasPending()) await flushAlerts();
      if (done()) return true;
      if (mayContinue && workflowInfo().continueAsNewSuggested) return 'continue';
      // A steady stream of alerts must not hold the deadline off: it ends the wait even if the last wake was an alert.
      if (until !== undefined && Date.now() >= until) return false;
    }
  };

  return { flushAlerts, waitFor };
}
