// The correlation lab: what a proposed configuration would have made of a set of alerts, in event time, through the
// same correlate() the live router uses, and how that differs from what happened. Pure, for the API and the bench.
import { correlate, type CorrelationAlert, type CorrelationConfig } from './correlate.ts';

export interface LabGroup {
  id: string;
  key: string;
  asset: string;
  signature: string;
  alertCount: number;
  firstAt: number;
  lastAt: number;
  tools: string[];
  /** How it began: a new key, a recurrence after its window closed, or a host fault. */
  rule: string;
  /** Whether it reached the minimum count and so would be an incident. */
  opened: boolean;
}

export interface LabRun {
  alertCount: number;
  /** Groups that reach the minimum count: the incidents people would see. */
  incidentCount: number;
  /** Alerts in groups below the minimum: stored, but they open nothing. */
  heldAlerts: number;
  /** 1 − incidents / alerts. */
  noiseReduction: number;
  groups: LabGroup[];
  /** Alert id → its group id. */
  groupOf: Map<string, string>;
}

export function simulate(alerts: CorrelationAlert[], config: CorrelationConfig): LabRun {
  const { placements, groups, groupOf } = correlate(alerts, config, { newId: (n) => `g${n}` });
  const firstRule = new Map<string, string>();
  for (const p of placements) if (!firstRule.has(p.groupId)) firstRule.set(p.groupId, p.rule);
  const out: LabGroup[] = groups.map((g) => ({
    id: g.id,
    key: g.key,
    asset: g.asset,
    signature: g.signature,
    alertCount: g.alertIds.length,
    firstAt: g.firstAt,
    lastAt: g.lastAt,
    tools: g.tools,
    rule: g.hostFault ? 'host_fault' : (firstRule.get(g.id) ?? 'opened'),
    opened: g.opened,
  }));
  const incidentCount = out.filter((g) => g.opened).length;
  return {
    alertCount: alerts.length,
    incidentCount,
    heldAlerts: out.filter((g) => !g.opened).reduce((n, g) => n + g.alertCount, 0),
    noiseReduction: alerts.length === 0 ? 0 : 1 - incidentCount / alerts.length,
    groups: out,
    groupOf,
  };
}

export interface GroupingDiff {
  /** Proposed incidents that would join alerts of several incidents that happened. */
  merges: Array<{ groupId: string; key: string; incidentIds: string[] }>;
  /** Incidents that happened whose alerts the proposal would spread over several incidents. */
  splits: Array<{ incidentId: string; groupKeys: string[] }>;
  /** Incidents that happened and would be made the same way. */
  unchanged: number;
}

/**
 * The difference between two groupings of the same alerts: `happened` maps an alert to its incident (absent: none),
 * `proposed` is a lab run. Only alerts that had an incident and get an opened group are compared.
 */
export function compareGroupings(happened: Map<string, string>, proposed: LabRun): GroupingDiff {
  const opened = new Map(proposed.groups.filter((g) => g.opened).map((g) => [g.id, g]));
  const incidentsOf = new Map<string, Set<string>>();
  const groupsOf = new Map<string, Set<string>>();
  for (const [alertId, incidentId] of happened) {
    const groupId = proposed.groupOf.get(alertId);
    if (!groupId || !opened.has(groupId)) continue;
    if (!incidentsOf.has(groupId)) incidentsOf.set(groupId, new Set());
    incidentsOf.get(groupId)!.add(incidentId);
    if (!groupsOf.has(incidentId)) groupsOf.set(incidentId, new Set());
    groupsOf.get(incidentId)!.add(groupId);
  }
  const merges = [...incidentsOf]
    .filter(([, ids]) => ids.size > 1)
    .map(([groupId, ids]) => ({ groupId, key: opened.get(groupId)!.key, incidentIds: [...ids].sort() }));
  const splits = [...groupsOf]
    .filter(([, ids]) => ids.size > 1)
    .map(([incidentId, ids]) => ({ incidentId, groupKeys: [...ids].map((id) => opened.get(id)!.key) }));
  const unchanged = [...groupsOf].filter(
    ([incidentId, ids]) => ids.size === 1 && incidentsOf.get([...ids][0]!)?.size === 1 && incidentId,
  ).length;
  return { merges, splits, unchanged };
}
