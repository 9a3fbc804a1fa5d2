import { DAYS, wallClock, type Day } from './wall-clock.ts';
import type { Severity } from './types.ts';

export interface SlaPolicy {
  /** Minutes until someone must have responded (acknowledged, approved, or remediation started). */
  responseMinutes: Record<Severity, number>;
  /** Minutes until the incident must be resolved before it escalates. */
  resolutionMinutes: Record<Severity, number>;
  /** When set, only these hours count, in `timeZone`. */
  businessHours?: BusinessHours;
  timeZone?: string;
}

/** Seed 001 "SLA Monitoring Flow": response 5-30 min, resolution 1-24 h, by severity. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  responseMinutes: { critical: 5, high: 15, medium: 30, low: 30 },
  resolutionMinutes: { critical: 60, high: 240, medium: 480, low: 1440 },
};

export interface SlaDeadlines {
  responseDeadline: number;
  resolutionDeadline: number;
}

/** Deadlines in epoch milliseconds, counted from the incident's creation (in business hours when it has them). */
export function slaDeadlines(
  createdAtMs: number,
  severity: Severity,
  policy: SlaPolicy = DEFAULT_SLA_POLICY,
): SlaDeadlines {
  const after = (minutes: number): number =>
    policy.businessHours
      ? addBusinessMinutes(createdAtMs, minutes, policy.businessHours, policy.timeZone ?? 'UTC')
      : createdAtMs + minutes * 60_000;
  return {
    responseDeadline: after(policy.responseMinutes[severity]),
    resolutionDeadline: after(policy.resolutionMinutes[severity]),
  };
}

// ---- business hours ------------------------------------------------------------------------

/** Hours the SLA clock runs, on the company's wall clock; outside them the clock stops (seed 001 calendars). */
export interface BusinessHours {
  days: Day[];
  /** "HH:MM", before `end`: business hours do not cross midnight. */
  start: string;
  end: string;
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/**
 * `minutes` of business time after `startMs`, as an instant. Walks the wall clock of `timeZone` a window at a time
 * and re-reads it after every step, so a night the clocks change costs an extra step, never a wrong deadline.
 */
export function addBusinessMinutes(startMs: number, minutes: number, hours: BusinessHours, timeZone: string): number {
  const open = toMinutes(hours.start);
  const close = toMinutes(hours.end);
  if (hours.days.length === 0 || close <= open) return startMs + minutes * 60_000;
  let t = startMs;
  let left = minutes;
  while (left > 0) {
    const { day, minutes: m } = wallClock(t, timeZone);
    const businessDay = hours.days.includes(DAYS[day]!);
    if (businessDay && m >= open && m < close) {
      const step = Math.min(left, close - m);
      const next = backOntoWallClock(t + step * 60_000, day, close, timeZone);
      left -= (next - t) / 60_000;
      t = next;
    } else {
      // To today's opening, or to the next midnight; seconds past the minute are dropped on the first jump.
      const toOpen = businessDay && m < open;
      const jump = toOpen ? open - m : 24 * 60 - m;
      const next = Math.floor(t / 60_000) * 60_000 + jump * 60_000;
      t = toOpen ? backOntoWallClock(next, day, open, timeZone) : backOntoWallClock(next, (day + 1) % 7, 0, timeZone);
    }
  }
  return t;
}

/**
 * A move of N wall-clock minutes lands N minutes later only when the clocks do not spring forward on the way; over a
 * skipped hour it lands that hour past `target` (minutes on weekday `day`). Steps back onto `target` when that wall
 * time exists, so no business time is skipped and none outside the window is counted.
 */
function backOntoWallClock(at: number, day: number, target: number, timeZone: string): number {
  const landed = wallClock(at, timeZone);
  if (landed.day !== day || landed.minutes <= target) return at;
  const back = at - (landed.minutes - target) * 60_000;
  const w = wallClock(back, timeZone);
  return w.day === day && w.minutes >= target ? back : at;
}

// ---- status ----------------------------------------------------------------------------------

export const SLA_STATUSES = ['ok', 'at_risk', 'breached', 'met'] as const;
export type SlaStatus = (typeof SLA_STATUSES)[number];

/** The share of a deadline's window left below which an incident is at risk. */
export const AT_RISK_SHARE = 0.25;

/**
 * Whether someone responded, which stops the response clock: a person acknowledged, a runbook ran, the incident
 * resolved, or a person decided its approval (an expired one is nobody's answer). The workflow's timer and the
 * dashboard's status read this one rule.
 */
export function responded(i: { acknowledged: boolean; status: string; approvalStatus: string | null }): boolean {
  return (
    i.acknowledged ||
    i.status === 'remediating' ||
    i.status === 'resolved' ||
    (i.approvalStatus !== null && i.approvalStatus !== 'pending' && i.approvalStatus !== 'expired')
  );
}

export interface SlaClock {
  createdAt: string;
  responded: boolean;
  resolved: boolean;
  breached: boolean;
  responseDeadline: string;
  resolutionDeadline: string;
}

/**
 * ok / at risk / breached for an open incident, met or breached for a closed one, with the deadline that
 * counts now (response until someone responds, then resolution) and the time left to it.
 */
export function slaStatus(
  c: SlaClock,
  nowMs: number,
): { status: SlaStatus; deadline: string | null; msLeft: number | null } {
  if (c.resolved) return { status: c.breached ? 'breached' : 'met', deadline: null, msLeft: null };
  const deadline = c.responded ? c.resolutionDeadline : c.responseDeadline;
  const msLeft = Date.parse(deadline) - nowMs;
  if (c.breached || msLeft <= 0) return { status: 'breached', deadline, msLeft };
  const window = Date.parse(deadline) - Date.parse(c.createdAt);
  return { status: msLeft < window * AT_RISK_SHARE ? 'at_risk' : 'ok', deadline, msLeft };
}
