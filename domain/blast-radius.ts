// The blast-radius guard: how many runbook runs a company may start, per asset and per runbook in an hour and at
// once. A runaway alert loop (a flapping disk check, a runbook that "fixes" nothing) must end in a person's hands,
// not in the same command sent to the same host every few seconds. Pure: the counts come from the claim's
// transaction (activities/ssm.ts), which holds the company's lock while it counts and inserts.

/** The limits a company's runs are held to: its own settings, else the install's defaults, never above a ceiling. */
export interface BlastRadiusLimits {
  maxRunsPerAssetPerHour: number;
  maxRunsPerRunbookPerHour: number;
  maxConcurrentRuns: number;
}

/** The company's runs the new one would join, counted before it is claimed. */
export interface RecentRuns {
  /** Runs on this asset started in the last hour (dry runs included: they show what a live run would do). */
  assetRunsLastHour: number;
  /** Runs of this runbook, on any of the company's assets, started in the last hour. */
  runbookRunsLastHour: number;
  /** Runs of the company not finished yet. */
  concurrentRuns: number;
}

export type BlastRadiusLimit = keyof BlastRadiusLimits;

/** The failure type of a run the guard refused; the workflow escalates with its message (a tenant-safe sentence). */
export const BLAST_RADIUS_EXCEEDED = 'BlastRadiusExceeded';

export type BlastRadiusVerdict = { allowed: true } | { allowed: false; limit: BlastRadiusLimit; reason: string };

/** The install's defaults when neither the environment nor the company says otherwise. */
export const DEFAULT_BLAST_RADIUS: BlastRadiusLimits = {
  maxRunsPerAssetPerHour: 3,
  maxRunsPerRunbookPerHour: 20,
  maxConcurrentRuns: 5,
};

/** The highest a company may ask for unless the install raises it. */
export const DEFAULT_BLAST_RADIUS_CEILING: BlastRadiusLimits = {
  maxRunsPerAssetPerHour: 20,
  maxRunsPerRunbookPerHour: 200,
  maxConcurrentRuns: 50,
};

const FIELDS: BlastRadiusLimit[] = ['maxRunsPerAssetPerHour', 'maxRunsPerRunbookPerHour', 'maxConcurrentRuns'];

/** The company's own values where set, else the install defaults; each held to the install's ceiling. */
export function effectiveLimits(
  company: Partial<BlastRadiusLimits> | undefined,
  defaults: BlastRadiusLimits,
  ceilings: BlastRadiusLimits,
): BlastRadiusLimits {
  const out = { ...defaults };
  for (const f of FIELDS) out[f] = Math.min(company?.[f] ?? defaults[f], ceilings[f]);
  return out;
}

/** The company settings fields asking for more than the install allows, as (field, message) for the API. */
export function limitsAboveCeiling(
  company: Partial<BlastRadiusLimits> | undefined,
  ceilings: BlastRadiusLimits,
): Array<{ field: string; message: string }> {
  return FIELDS.filter((f) => (company?.[f] ?? 0) > ceilings[f]).map((f) => ({
    field: `remediation.${f}`,
    message: `must be at most ${ceilings[f]} (this install's ceiling)`,
  }));
}

const runs = (n: number): string => `${n} runbook run${n === 1 ? '' : 's'}`;

/** Whether one more run may start; when not, the sentence the incident escalates with (the tenant reads it). */
export function judgeBlastRadius(
  recent: RecentRuns,
  limits: BlastRadiusLimits,
  runbookName: string,
): BlastRadiusVerdict {
  if (recent.assetRunsLastHour >= limits.maxRunsPerAssetPerHour) {
    return {
      allowed: false,
      limit: 'maxRunsPerAssetPerHour',
      reason: `Not run: this asset already had ${runs(recent.assetRunsLastHour)} in the last hour (limit ${limits.maxRunsPerAssetPerHour})`,
    };
  }
  if (recent.runbookRunsLastHour >= limits.maxRunsPerRunbookPerHour) {
    return {
      allowed: false,
      limit: 'maxRunsPerRunbookPerHour',
      reason: `Not run: the runbook "${runbookName}" already ran ${recent.runbookRunsLastHour} time${recent.runbookRunsLastHour === 1 ? '' : 's'} for this company in the last hour (limit ${limits.maxRunsPerRunbookPerHour})`,
    };
  }
  if (recent.concurrentRuns >= limits.maxConcurrentRuns) {
    return {
      allowed: false,
      limit: 'maxConcurrentRuns',
      reason: `Not run: ${runs(recent.concurrentRuns)} already in progress for this company (limit ${limits.maxConcurrentRuns} at once)`,
    };
  }
  return { allowed: true };
}
