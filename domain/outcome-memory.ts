// Outcome memory (issue 14, item 3): what past runbook runs did for a company's incidents of one signature, and on
// one asset. Pure: db/outcome-memory.ts reads the runs, the decision engine, the prompt and the dashboard read the
// summary. Only runs through SSM count (a dry run ran nothing, as Runbook.runStats counts them too).

/** One finished SSM run of a runbook for an incident, newest first in every list. */
export interface OutcomeRun {
  incidentId: string;
  attempt: number;
  runbookId: string | null;
  runbookName: string | null;
  /** The immutable runbook version the incident's decision ran (null: recorded before versions). */
  runbookVersion: number | null;
  assetName: string;
  signature: string;
  /** SSM's final status: Success, Failed, TimedOut, Cancelled, NotSent… */
  status: string;
  finishedAt: string;
  /** Seconds from the incident's start to its resolution, when it resolved. */
  secondsToResolve: number | null;
  /** Who approved the run, as the tenant sees them (null: it ran without approval). */
  approvedBy: string | null;
}

/** An approver's answer to a runbook an earlier incident's decision proposed: a rejection overrides the decision. */
export interface ApprovalAnswer {
  incidentId: string;
  assetName: string;
  runbookName: string | null;
  runbookVersion: number | null;
  status: 'approved' | 'rejected';
  /** As the tenant sees them (a company person by address, MSP staff as "Name (MSP)"). */
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

export interface OutcomeTally {
  /** Incidents counted (each by its latest run), at most MEMORY_INCIDENTS. */
  incidents: number;
  fixed: number;
  /** Median seconds to resolve over the fixed ones. */
  medianSecondsToResolve: number | null;
}

export interface OutcomeMemory {
  signature: string;
  assetName: string;
  /** The company's incidents of the signature, every asset. */
  company: OutcomeTally;
  /** The same on this asset. */
  asset: OutcomeTally;
  /** The latest runs on this asset for the signature, newest first, at most MEMORY_RECENT_RUNS. */
  recent: OutcomeRun[];
  /** Of the client's latest incidents of the signature whose runbook an approver answered: how many, how many no. */
  approvals: { answered: number; rejected: number };
  /** The rejections among them (decisions people overrode), newest first, at most MEMORY_RECENT_RUNS. */
  overrides: ApprovalAnswer[];
  /** What people read, e.g. "Fixed 9 of the last 10 disk_full incidents for this client, median 42 s". */
  sentence: string;
}

/** The sentence counts at most this many of the latest incidents. */
export const MEMORY_INCIDENTS = 10;
/** Runs listed per asset (GraphQL list bound and prompt size). */
export const MEMORY_RECENT_RUNS = 5;
/** A runbook that failed this many times in a row on an asset does not run again without a person. */
export const FAILURE_STREAK = 3;

export function succeeded(run: Pick<OutcomeRun, 'status'>): boolean {
  return run.status === 'Success';
}

export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Each incident once, by its latest run (a retried incident is fixed or not by how it ended). */
function latestPerIncident(runs: readonly OutcomeRun[]): OutcomeRun[] {
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.incidentId) && Boolean(seen.add(r.incidentId)));
}

export function tally(runs: readonly OutcomeRun[]): OutcomeTally {
  const incidents = latestPerIncident(runs).slice(0, MEMORY_INCIDENTS);
  const fixed = incidents.filter(succeeded);
  const times = fixed.map((r) => r.secondsToResolve).filter((s): s is number => s !== null);
  return { incidents: incidents.length, fixed: fixed.length, medianSecondsToResolve: median(times) };
}

/** "42 s", "12 min", "3 h": the unit a person reads at a glance. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3_600)} h`;
}

function countText(t: OutcomeTally): string {
  return `${t.fixed} of ${t.incidents === 1 ? 'the last' : `the last ${t.incidents}`}`;
}

function timeText(t: OutcomeTally): string {
  return t.medianSecondsToResolve === null ? '' : `, median ${formatDuration(t.medianSecondsToResolve)}`;
}

/**
 * The line shown to approvers: the client's record for the signature, then the asset's when it differs
 * (an asset where the runbook keeps failing is what an approver most needs to see).
 */
export function memorySentence(
  signature: string,
  assetName: string,
  company: OutcomeTally,
  asset: OutcomeTally,
): string {
  if (!company.incidents) return `No runbook has run on ${signature} incidents for this client yet.`;
  const noun = company.incidents === 1 ? 'incident' : 'incidents';
  const head = `Fixed ${countText(company)} ${signature} ${noun} for this client${timeText(company)}`;
  if (!asset.incidents) return `${head}; none on ${assetName} yet.`;
  const same =
    asset.incidents === company.incidents &&
    asset.fixed === company.fixed &&
    asset.medianSecondsToResolve === company.medianSecondsToResolve;
  return same ? `${head}.` : `${head}; on ${assetName}: ${countText(asset)}${timeText(asset)}.`;
}

function overridesText(answered: number, rejected: number): string {
  if (!rejected) return '';
  const which = answered === 1 ? 'the last incident' : `${rejected} of the last ${answered} incidents`;
  return ` Approvers rejected the runbook on ${which} that asked.`;
}

/**
 * The memory for an incident of `signature` on `assetName`, from the company's latest runs of that signature
 * (`runs`, newest first, any asset) and its latest approvers' answers for it (`answers`, newest first).
 */
export function summariseOutcomes(
  signature: string,
  assetName: string,
  runs: readonly OutcomeRun[],
  answers: readonly ApprovalAnswer[] = [],
): OutcomeMemory {
  const ofSignature = runs.filter((r) => r.signature === signature);
  const onAsset = ofSignature.filter((r) => r.assetName === assetName);
  const company = tally(ofSignature);
  const asset = tally(onAsset);
  const answered = answers.slice(0, MEMORY_INCIDENTS);
  const rejections = answered.filter((a) => a.status === 'rejected');
  return {
    signature,
    assetName,
    company,
    asset,
    recent: onAsset.slice(0, MEMORY_RECENT_RUNS),
    approvals: { answered: answered.length, rejected: rejections.length },
    overrides: rejections.slice(0, MEMORY_RECENT_RUNS),
    sentence: memorySentence(signature, assetName, company, asset) + overridesText(answered.length, rejections.length),
  };
}

/**
 * How many times in a row `runbookId` failed on the asset, counting back from its latest run there
 * (`assetRuns`: the asset's latest runs, newest first, any signature).
 */
export function failureStreak(runbookId: string, assetRuns: readonly OutcomeRun[]): number {
  let streak = 0;
  for (const run of assetRuns) {
    if (run.runbookId !== runbookId) continue;
    if (succeeded(run)) break;
    streak += 1;
  }
  return streak;
}
