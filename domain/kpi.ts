// The overview's KPI formulas (seed 004 "KPI Metrics"), over counts the database gathers for a period. Every ratio is
// a fraction 0–1, or null when nothing was there to divide (no alerts: no noise reduction, rather than 100 % or 0 %).

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** The longest period the overview computes (a year and a day, so "the last 12 months" always fits). */
export const MAX_PERIOD_DAYS = 366;
/** Periods up to this long are drawn by the hour, longer ones by the day (at most 48 or 366 points a series). */
export const HOURLY_UP_TO_MS = 2 * DAY_MS;

export type Bucket = 'hour' | 'day';

export interface PeriodProblem {
  field: 'from' | 'to';
  message: string;
}

/** The period the caller asked for, or the field that makes it unusable. */
export function checkPeriod(fromMs: number, toMs: number): PeriodProblem | null {
  if (Number.isNaN(fromMs)) return { field: 'from', message: 'must be a time' };
  if (Number.isNaN(toMs)) return { field: 'to', message: 'must be a time' };
  if (fromMs >= toMs) return { field: 'from', message: 'must be before `to`' };
  if (toMs - fromMs > MAX_PERIOD_DAYS * DAY_MS) {
    return { field: 'from', message: `the overview covers ${MAX_PERIOD_DAYS} days at most` };
  }
  return null;
}

export function bucketFor(fromMs: number, toMs: number): Bucket {
  return toMs - fromMs <= HOURLY_UP_TO_MS ? 'hour' : 'day';
}

/** `part / whole`, or null when `whole` is 0. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** 1 − incidents / raw alerts (seed 004): 1,000 alerts → 350 incidents is 0.65. Never below 0. */
export function noiseReduction(alerts: number, incidents: number): number | null {
  return alerts > 0 ? Math.max(0, 1 - incidents / alerts) : null;
}

/**
 * SLA compliance of the incidents whose outcome is known: met = resolved without a breach, missed = breached
 * (resolved or not). An open incident still inside its deadlines counts for neither yet.
 */
export function slaCompliance(met: number, missed: number): number | null {
  return ratio(met, met + missed);
}

/** The start of each bucket from `fromMs` (floored to the bucket, UTC) up to `toMs`, as epoch milliseconds. */
export function bucketStarts(fromMs: number, toMs: number, bucket: Bucket): number[] {
  const step = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const starts: number[] = [];
  for (let t = Math.floor(fromMs / step) * step; t < toMs; t += step) starts.push(t);
  return starts;
}
