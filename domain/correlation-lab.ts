// The correlation lab: what a proposed configuration would have made of a set of alerts, in event time, through the
// same correlate() the live router uses, and how that differs from what happened. The company's inhibition rules
// are replayed first, through the router's own Inhibitor: an inhibited alert opens nothing, so it forms no group of
// its own. Pure, for the API and the bench.
import { correlate, type CorrelationAlert, type CorrelationConfig } from './correlate.ts';
import type { Inhibition, Inhibitor } from './inhibition.ts';

/** An alert as the lab replays it: what correlation reads, plus what inhibition rules match and how long it fired. */
export interface LabAlert extends CorrelationAlert {
  severity: string;
  /** When its source said it recovered (epoch ms); null or absent: still firing. */
  resolvedAt?: number | null;
  /**
   * It has a source identity, so its tool says when it recovers: as a source it counts until then. Without one it
   * counts within the correlation window of a target only, as the router has it (router/routing/inhibition.ts).
   */
  keyed?: boolean;
}

/** Event-time order, stable: the order the router would have met them in. */
function inEventTime<T extends { at: number }>(alerts: T[]): T[] {
  return alerts
    .map((a, i) => ({ a, i }))
    .sort((x, y) => x.a.at - y.a.at || x.i - y.i)
    .map(({ a }) => a);
}

export interface InhibitionReplay {
  /** The correlation window of the setting replayed: how long a source without a source identity counts. */
  windowMs: number;
  /** Alerts from before the replayed ones, still firing when they begin: sources only, never judged. */
  earlier?: LabAlert[];
}

/**
 * Which alerts the rules inhibit, replayed in event time: a target is judged against the sources firing when it
 * arrived, as the router judges it on arrival. An inhibited alert still fires and is attached to its source's
 * incident, so it may itself be a source for a later alert (as across the router's claims).
 */
export function replayInhibition(
  alerts: LabAlert[],
  inhibitor: Inhibitor,
  { windowMs, earlier = [] }: InhibitionReplay,
): Map<string, Inhibition> {
  const out = new Map<string, Inhibition>();
  if (inhibitor.empty) return out;
  const counts = (s: LabAlert, at: number) =>
    (s.resolvedAt == null || s.resolvedAt > at) && (s.keyed === true || at - s.at <= windowMs);
  let firing = inEventTime(earlier).filter((a) => inhibitor.isSource(a));
  for (const a of inEventTime(alerts)) {
    // Time only moves forward, so a source that stopped counting stays out for every later alert. The list is
    // replaced, never changed in place: the Inhibitor indexes a list of sources once, by its identity.
    if (firing.some((s) => !counts(s, a.at))) firing = firing.filter((s) => counts(s, a.at));
    const by = firing.length && inhibitor.isTarget(a) ? inhibitor.inhibitedBy(a, firing) : null;
    if (by) out.set(a.id, by);
    if (counts(a, a.at) && inhibitor.isSource(a)) firing = [...firing, a];
  }
  return out;
}

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
  /** Alerts an inhibition rule held: attached to their source's incident, in no group of their own. */
  inhibitedAlerts: number;
  /** 1 − incidents / alerts. */
  noiseReduction: number;
  groups: LabGroup[];
  /** Alert id → its group id. */
  groupOf: Map<string, string>;
}

/** `inhibited`: what replayInhibition() found for these alerts; those alerts are left out of the grouping. */
export function simulate(
  alerts: CorrelationAlert[],
  config: CorrelationConfig,
  inhibited: ReadonlyMap<string, Inhibition> = new Map(),
): LabRun {
  const grouped = inhibited.size ? alerts.filter((a) => !inhibited.has(a.id)) : alerts;
  const { placements, groups, groupOf } = correlate(grouped, config, { newId: (n) => `g${n}` });
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
    inhibitedAlerts: alerts.length - grouped.length,
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
