// The group wait (Alertmanager's group_wait): how long an incident lets a burst of alerts settle before it decides.
// It counts from the first alert's arrival, as Alertmanager's does, so the time the alert spent being routed and the
// incident being opened is not waited again on top (bench:remediation measured that as most of a second).
import { since } from './patches.ts';

/** Runs recorded before the wait counted from the first alert waited the whole group wait after opening. */
export const GROUP_WAIT_FROM_FIRST_ALERT = 'group-wait-from-first-alert';

/**
 * What is left of the group wait at `nowMs` when the first alert arrived at `firstAlertMs`: never below 0, never
 * more than the whole wait (a first alert stamped "in the future" by a skewed database clock waits no longer).
 */
export function groupWaitLeftMs(groupWaitSeconds: number, firstAlertMs: number, nowMs: number): number {
  const whole = groupWaitSeconds * 1000;
  if (!Number.isFinite(firstAlertMs)) return whole;
  return Math.min(Math.max(firstAlertMs + whole - nowMs, 0), whole);
}

/**
 * The wait this run takes, or null for none: a run recorded before the change waits the whole group wait after
 * opening (and also when it did not open the incident itself, e.g. continued from an earlier run).
 */
export function groupWaitFor(groupWaitSeconds: number, firstAlertMs: number | null, nowMs: number): number | null {
  if (firstAlertMs === null || !since(GROUP_WAIT_FROM_FIRST_ALERT)) return groupWaitSeconds * 1000;
  const left = groupWaitLeftMs(groupWaitSeconds, firstAlertMs, nowMs);
  return left > 0 ? left : null;
}
