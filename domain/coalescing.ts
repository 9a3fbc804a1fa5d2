// Which alerts must reach the incident workflow, and which are plain repeats that PostgreSQL can count.
// A storm on one key is thousands of alerts but only a handful of changes (the first alert, a worse
// severity, another tool reporting it, a recurrence after the source said it recovered); the workflow
// gets those, so a 100,000-alert storm stays far inside Temporal's per-run signal and history limits.
import { severityRank } from './severity.ts';
import type { Severity } from './types.ts';

export interface RoutableAlert {
  id: string;
  severity: Severity;
  toolSource: string;
}

/** The open incident of a lane, as its row says. */
export interface OpenIncident {
  id: string;
  severity: Severity;
  toolSources: string[];
  /** Every alert had resolved at source: the next firing alert is news to the workflow. */
  sourceResolved: boolean;
}

export interface LanePlan<A extends RoutableAlert> {
  /** Alerts that change the incident: sent to the workflow in full. */
  changes: A[];
  /** Repeats while no incident row exists yet: sent to the workflow by id, so its first save links them. */
  repeatIds: string[];
  /** Repeats of an open incident: linked and counted in PostgreSQL, never sent to Temporal. */
  repeatsOfOpen: A[];
}

/** Alerts in full per signal at most; the rest of a lane's changes are carried as repeats. */
export const MAX_CHANGES_PER_SIGNAL = 100;

/** `alerts` in arrival order, all of one lane (company + aggregation key). */
export function planLane<A extends RoutableAlert>(alerts: A[], open: OpenIncident | null): LanePlan<A> {
  const plan: LanePlan<A> = { changes: [], repeatIds: [], repeatsOfOpen: [] };
  let severity: Severity | null = open?.severity ?? null;
  const tools = new Set(open?.toolSources ?? []);
  let news = open === null || open.sourceResolved;
  for (const a of alerts) {
    const changes =
      news || severity === null || severityRank(a.severity) > severityRank(severity) || !tools.has(a.toolSource);
    if (changes && plan.changes.length < MAX_CHANGES_PER_SIGNAL) {
      plan.changes.push(a);
      severity = severity === null || severityRank(a.severity) > severityRank(severity) ? a.severity : severity;
      tools.add(a.toolSource);
      news = false;
    } else if (open) {
      plan.repeatsOfOpen.push(a);
    } else {
      plan.repeatIds.push(a.id);
    }
  }
  return plan;
}
