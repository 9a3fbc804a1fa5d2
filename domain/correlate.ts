// Which alerts belong together: one pure function of the alerts (in event time) and a company's correlation
// configuration, shared by the live path, the what-if lab and `npm run bench:correlation`. Rules, in order:
//   same key   — the configured fields match an open group whose last alert is within the window;
//   host fault — an asset with a host-level fault (host down, unreachable) takes its other alerts while the fault's
//                own alerts fired within the window or still fire (domain/host-fault-scope.ts); a symptom never
//                extends that span, and a signature firing across the fleet at once is left to its own grouping;
//   recurrence — the key's earlier group went quiet longer than the window: a new group, linked to it.
// A host fault also takes the asset's groups opened up to a minute before it (its symptoms, seen first because
// checks run on different intervals): they merge into it, and the placement names them.
// Signatures are compared in canonical form, so the same fault named by two tools ("HighCPU", "cpu_high",
// "CPU utilization is too high") shares a key. Every placement says which rule and fields matched.
import type { CorrelationConfig } from './correlation-config.ts';
import { DEFAULT_CORRELATION } from './correlation-config.ts';
import { faultCovers, FleetSightings } from './host-fault-scope.ts';
import { canonicalSignature, isHostFault } from './signatures.ts';

export {
  correlationConfigOf,
  DEFAULT_CORRELATION,
  type CorrelationConfig,
  type KeyField,
} from './correlation-config.ts';

export interface CorrelationAlert {
  id: string;
  /** Event time, epoch ms. */
  at: number;
  asset: string;
  signature: string;
  tool: string;
  labels?: Record<string, string>;
}

export type Rule = 'opened' | 'same_key' | 'host_fault' | 'recurrence' | 'alone';

export interface Placement {
  alertId: string;
  groupId: string;
  rule: Rule;
  /** What matched, for the incident's "why are these together": fields, and "cross_tool" when tools differ. */
  matched: string[];
  /** For a recurrence: the group it recurs after. */
  recurrenceOf?: string;
  /** Groups merged into this one by this placement (a host fault taking symptoms seen just before it). */
  merged?: string[];
}

export interface Group {
  id: string;
  key: string;
  asset: string;
  signature: string;
  firstAt: number;
  /** Its last alert; for a host fault, its own last alert (the symptoms it took do not move it). */
  lastAt: number;
  alertIds: string[];
  /** Alerts it holds (a restored group knows its count, not its alert ids). */
  count: number;
  tools: string[];
  hostFault: boolean;
  /** A host fault whose own alerts still fire (known on the live path): it covers its asset past its window. */
  firing?: boolean;
  recurrenceOf: string | null;
  /** Whether it reached minAlerts and so is an incident. */
  opened: boolean;
  /** Set when a host fault took this group's alerts. */
  mergedInto: string | null;
  /** Its incident is over (resolved): nothing joins it any more, and the key's next alert is a recurrence. */
  closed?: boolean;
}

export interface CorrelatorOptions {
  newId?: (n: number) => string;
}

const MINUTE = 60_000;
/** How long before a host fault its symptoms may have been seen. */
export const HOST_FAULT_LOOKBACK_MS = 60_000;

export function correlationKey(a: CorrelationAlert, config: CorrelationConfig): string {
  return config.keyFields
    .map((f) => {
      if (f === 'asset') return a.asset;
      if (f === 'signature') return config.crossTool ? canonicalSignature(a.signature) : a.signature;
      if (f === 'tool') return a.tool;
      return a.labels?.[f.slice('label:'.length)] ?? '';
    })
    .join('|');
}

/** What an alert joining a host fault matched: its asset, under that fault. */
export function hostFaultMatch(fault: Pick<Group, 'signature'>): string[] {
  return ['asset', `host_fault:${canonicalSignature(fault.signature)}`];
}

/** Streaming correlation: feed alerts in event time (a late one is placed at the latest time seen). */
export class Correlator {
  private readonly byKey = new Map<string, Group>();
  private readonly hostFaultByAsset = new Map<string, Group>();
  private readonly all: Group[] = [];
  private readonly byId = new Map<string, Group>();
  private readonly fleet = new FleetSightings();
  private clock = -Infinity;
  private seq = 0;
  private readonly newId: (n: number) => string;

  constructor(
    private readonly config: CorrelationConfig,
    options: CorrelatorOptions = {},
  ) {
    this.newId = options.newId ?? ((n) => `g${n}`);
  }

  groups(): Group[] {
    return this.all;
  }

  /**
   * Continues from stored groups: each key's latest group and the assets' host faults. Their alert lists may be
   * empty: `count` says how many alerts they hold.
   */
  restore(groups: Group[]): void {
    for (const g of groups) {
      this.all.push(g);
      this.byId.set(g.id, g);
      const key = this.byKey.get(g.key);
      if (!key || key.firstAt <= g.firstAt) this.byKey.set(g.key, g);
      if (g.hostFault) this.fleet.noteDown(g.asset, g.lastAt);
      if (g.hostFault && !g.closed) {
        const fault = this.hostFaultByAsset.get(g.asset);
        if (!fault || fault.lastAt <= g.lastAt) this.hostFaultByAsset.set(g.asset, g);
      }
      this.clock = Math.max(this.clock, g.lastAt);
    }
    // A group merged by hand into another: its key's alerts go to that one from now on.
    for (const g of groups) {
      const into = g.mergedInto ? groups.find((x) => x.id === g.mergedInto) : undefined;
      if (into && this.byKey.get(g.key) === g) this.byKey.set(g.key, into);
    }
  }

  /**
   * Another alert of the company seen recently (the live path's groups outside this claim), so a storm across the
   * fleet is recognised as one; `hostFault` marks its asset as down then.
   */
  sighting(asset: string, signature: string, at: number, hostFault = false): void {
    if (hostFault) this.fleet.noteDown(asset, at);
    else this.fleet.note(this.signatureOf(signature), asset, at);
  }

  place(a: CorrelationAlert): Placement {
    const at = Math.max(a.at, this.clock);
    this.clock = at;
    const window = this.config.windowMinutes * MINUTE;
    // A plain boolean, not a type guard: a group that is not live may still exist (a recurrence links to it).
    const live = (g: Group | undefined): boolean => g !== undefined && !g.closed && at - g.lastAt <= window;
    if (!this.config.autoCorrelate) return this.join(this.open(a, at, '', null), a, at, 'alone', []);

    const symptom = !isHostFault(a.signature);
    const signature = this.signatureOf(a.signature);
    // Judged before this alert is counted: the storm is the other assets'.
    const fleetWide = symptom && this.fleet.isFleetWide(signature, a.asset, at);
    if (symptom) this.fleet.note(signature, a.asset, at);
    else this.fleet.noteDown(a.asset, at);
    // A symptom takes a host fault only while the fault's own alerts cover it, and never as part of a storm.
    const takes = (fault: Group): boolean =>
      !fault.closed && !fleetWide && faultCovers(fault, at, window) && this.config.hostFaults;

    const key = correlationKey(a, this.config);
    const same = this.byKey.get(key);
    // A symptom key following a fault is a symptom; a key that is the fault's own (keyed on asset alone) is not.
    const follows = same !== undefined && same.hostFault && symptom && same.key !== key;
    if (same && (follows ? takes(same) : live(same))) {
      const matched: string[] = [...this.config.keyFields];
      if (!same.tools.includes(a.tool)) matched.push('cross_tool');
      return this.join(same, a, at, 'same_key', matched);
    }
    const fault = this.hostFaultByAsset.get(a.asset);
    if (fault && symptom && takes(fault)) {
      // Later alerts of this key follow it into the fault's group while that stays open.
      this.byKey.set(key, fault);
      return this.join(fault, a, at, 'host_fault', hostFaultMatch(fault));
    }
    // A symptom key that followed a fault it no longer joins starts afresh: it is no recurrence of the fault.
    const previous = same && !follows ? same : null;
    const group = this.open(a, at, key, previous);
    this.byKey.set(key, group);
    const merged = group.hostFault ? this.takeSymptoms(group, at) : [];
    if (group.hostFault) this.hostFaultByAsset.set(a.asset, group);
    const placed = previous
      ? this.join(group, a, at, 'recurrence', [...this.config.keyFields], previous.id)
      : this.join(group, a, at, 'opened', [...this.config.keyFields]);
    return merged.length ? { ...placed, merged } : placed;
  }

  /** The group an alert placed in `groupId` ends up in, after the merges since. */
  finalGroup(groupId: string): Group | undefined {
    let g = this.byId.get(groupId);
    for (const seen = new Set<string>(); g?.mergedInto && !seen.has(g.id);) {
      seen.add(g.id);
      g = this.byId.get(g.mergedInto) ?? g;
    }
    return g;
  }

  /**
   * A new host fault takes the asset's groups that began within the lookback: they were its first symptoms. A
   * closed one stays as it is (a person resolved it).
   */
  private takeSymptoms(fault: Group, at: number): string[] {
    const taken: string[] = [];
    for (const g of this.all) {
      if (g === fault || g.mergedInto || g.hostFault || g.closed || g.asset !== fault.asset) continue;
      if (at - g.firstAt > HOST_FAULT_LOOKBACK_MS) continue;
      // A group that is part of a storm across the fleet stays the storm's.
      if (this.fleet.isFleetWide(this.signatureOf(g.signature), g.asset, at)) continue;
      fault.alertIds.push(...g.alertIds);
      fault.count += g.count;
      g.count = 0;
      for (const t of g.tools) if (!fault.tools.includes(t)) fault.tools.push(t);
      g.alertIds = [];
      g.mergedInto = fault.id;
      g.opened = false;
      for (const [k, v] of this.byKey) if (v === g) this.byKey.set(k, fault);
      taken.push(g.id);
    }
    return taken;
  }

  private signatureOf(signature: string): string {
    return this.config.crossTool ? canonicalSignature(signature) : signature;
  }

  private open(a: CorrelationAlert, at: number, key: string, previous: Group | null): Group {
    const g: Group = {
      id: this.newId(++this.seq),
      key,
      asset: a.asset,
      signature: a.signature,
      firstAt: at,
      lastAt: at,
      alertIds: [],
      count: 0,
      tools: [],
      hostFault: this.config.hostFaults && isHostFault(a.signature),
      recurrenceOf: previous?.id ?? null,
      opened: false,
      mergedInto: null,
    };
    this.all.push(g);
    this.byId.set(g.id, g);
    return g;
  }

  private join(
    g: Group,
    a: CorrelationAlert,
    at: number,
    rule: Rule,
    matched: string[],
    recurrenceOf?: string,
  ): Placement {
    g.alertIds.push(a.id);
    g.count += 1;
    // A symptom never extends its fault's span: the fault's own alerts (its key's) decide how long it takes its asset's.
    if (!g.hostFault || isHostFault(a.signature) || g.key === correlationKey(a, this.config)) g.lastAt = at;
    if (!g.tools.includes(a.tool)) g.tools.push(a.tool);
    if (g.count >= this.config.minAlerts) g.opened = true;
    return { alertId: a.id, groupId: g.id, rule, matched, ...(recurrenceOf ? { recurrenceOf } : {}) };
  }
}

/**
 * Batch correlation for the lab and the bench: sorts by event time (stable) and places every alert. `groupOf`
 * is each alert's final group, after merges.
 */
export function correlate(
  alerts: CorrelationAlert[],
  config: CorrelationConfig = DEFAULT_CORRELATION,
  options: CorrelatorOptions = {},
): { placements: Placement[]; groups: Group[]; groupOf: Map<string, string> } {
  const c = new Correlator(config, options);
  const sorted = alerts.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i);
  const placements = sorted.map(({ a }) => c.place(a));
  const groups = c.groups().filter((g) => !g.mergedInto);
  const groupOf = new Map<string, string>();
  for (const g of groups) for (const id of g.alertIds) groupOf.set(id, g.id);
  return { placements, groups, groupOf };
}
