// The incident run's inbox: alerts and repeat ids the router signals, deduplicated (the router delivers at
// least once), held until the run folds them in. Once the incident has closed, arrivals are kept apart as
// `late`: they open the next incident of this key. Plain code with no Temporal import, unit-tested as is.
import type { AlertSignal } from './types.ts';

/** Ids a run remembers to drop redeliveries; bounded so a long-lived incident's state stays small. */
export const SEEN_ALERT_IDS = 2000;

export interface Batch {
  alerts: AlertSignal[];
  repeatIds: string[];
}

export class AlertInbox {
  private readonly seen: Set<string>;
  private pending: Batch = { alerts: [], repeatIds: [] };
  private readonly late: Batch = { alerts: [], repeatIds: [] };
  private closed = false;

  constructor(recentAlertIds: string[] = []) {
    this.seen = new Set(recentAlertIds);
  }

  /** False for an id already seen. */
  private firstSighting(alertId: string): boolean {
    if (this.seen.has(alertId)) return false;
    this.seen.add(alertId);
    if (this.seen.size > SEEN_ALERT_IDS) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  accept(alert: AlertSignal): void {
    if (this.firstSighting(alert.alertId)) (this.closed ? this.late : this.pending).alerts.push(alert);
  }

  acceptRepeat(alertId: string): void {
    if (this.firstSighting(alertId)) (this.closed ? this.late : this.pending).repeatIds.push(alertId);
  }

  hasPending(): boolean {
    return this.pending.alerts.length > 0 || this.pending.repeatIds.length > 0;
  }

  hasPendingAlerts(): boolean {
    return this.pending.alerts.length > 0;
  }

  /** Everything pending, handed over once. */
  take(): Batch {
    const batch = this.pending;
    this.pending = { alerts: [], repeatIds: [] };
    return batch;
  }

  /** From now on arrivals belong to the next incident. */
  close(): void {
    this.closed = true;
  }

  /** What the next incident of this key starts from: whatever is pending, then whatever came late. */
  carried(): Batch {
    return {
      alerts: [...this.pending.alerts, ...this.late.alerts],
      repeatIds: [...this.pending.repeatIds, ...this.late.repeatIds],
    };
  }

  hasCarried(): boolean {
    const c = this.carried();
    return c.alerts.length > 0 || c.repeatIds.length > 0;
  }
}
