// Which incident each claimed alert belongs to. The decision is domain/correlate.ts's, continued from the groups
// stored in PostgreSQL, and taken under a per-company advisory lock: two API processes routing alerts of one
// key at once agree on one group, and so on one workflow ID. The lock is held for this transaction only, never
// across a call to Temporal.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import {
  correlationConfigOf,
  correlationKey,
  Correlator,
  HOST_FAULT_LOOKBACK_MS,
  hostFaultMatch,
  type CorrelationAlert,
  type Placement,
} from '../../domain/correlate.ts';
import { isHostFault } from '../../domain/signatures.ts';
import { mutings, readCompanies } from './muting.ts';
import {
  GROUP_COLUMNS,
  loadGroups,
  renameUnstarted,
  toGroup,
  writePlacement,
  type AlertPlacement,
  type GroupRow,
  type Stored,
} from './groups.ts';
import { CLAIMED_COLUMNS, type ClaimedAlert } from './queue.ts';
import { recordSymptomMerges, type SymptomMerge } from './symptoms.ts';
import { loadFaultScope } from './fault-scope.ts';
import { judgeInhibitions, writeInhibitions } from './inhibition.ts';
import { recordPlacements, type RoutePlacement } from './passes.ts';

export interface PlacedAlert extends ClaimedAlert {
  groupId: string;
  workflowId: string;
  /** The group's key: the incident's aggregation key. */
  groupKey: string;
}

export interface PlacementResult {
  /** Alerts whose group is an incident: route them to its workflow. */
  routable: PlacedAlert[];
  /** Alerts kept in groups still below the company's minimum count: stored and linked, paging nobody. */
  held: string[];
  /** Incidents a new host fault took as its symptoms: to merge into the fault's (routing/symptoms.ts). */
  folds: number;
  /** Where routable alerts were placed: kept on the pass (passes.ts) and written with the alert's outcome. */
  placements: Map<string, RoutePlacement>;
}

export async function placeAlerts(
  sql: Sql,
  firing: ClaimedAlert[],
  workflowIdFor: (companyId: string, key: string) => string,
  /** The pass that carries the placements (passes.ts); null writes them on the alerts at once. */
  passId: string | null,
): Promise<PlacementResult> {
  if (firing.length === 0) return { routable: [], held: [], folds: 0, placements: new Map() };
  return sql.begin(async (tx) => {
    const companies = [...new Set(firing.map((a) => a.companyId))].sort();
    // In one order everywhere, so two processes locking overlapping sets cannot deadlock.
    await tx`
      SELECT pg_advisory_xact_lock(hashtext('correlation'), hashtext(c))
      FROM (SELECT c FROM unnest(${companies}::text[]) c ORDER BY c) s`;

    // A claim that died after placing its alerts left them placed: they keep their group, unless it closed before
    // they reached its incident (then they are placed afresh). One already in an incident goes back to it.
    const placedBefore = firing.filter((a) => a.groupId);
    const known = new Map<string, GroupRow>();
    if (placedBefore.length) {
      const ids = [...new Set(placedBefore.map((a) => a.groupId!))];
      for (const g of await tx.unsafe<GroupRow[]>(
        `SELECT ${GROUP_COLUMNS} FROM correlation_groups g WHERE id = ANY($1)`,
        [ids],
      ))
        known.set(g.id, g);
    }
    const earliest = firing.reduce((m, a) => (a.receivedAt < m ? a.receivedAt : m), firing[0]!.receivedAt);
    // The router judged muting before the claim (judgeMutings): read silences again only for an alert it did not.
    const unjudged = firing.some((a) => !a.groupId && a.muting === undefined);
    const companyInfo = await readCompanies(tx, companies, earliest, unjudged ? undefined : 0);
    const configOf = (companyId: string) => correlationConfigOf(companyInfo.get(companyId)?.settings.correlation ?? {});

    // Only alerts not yet placed: one a crash left placed was not muted when it was placed.
    const muted = mutings(
      firing.filter((a) => !a.groupId),
      companyInfo,
    );
    // Then inhibition (muting wins: a muted alert neither is held nor holds): those held are attached to their
    // source's incident and kept out of correlation.
    const inhibited = await judgeInhibitions(
      tx,
      firing.filter((a) => !a.groupId && !muted.has(a.id)),
      (companyId) => configOf(companyId).windowMinutes * 60_000,
    );
    const toPlace = firing.filter(
      (a) =>
        !muted.has(a.id) &&
        !inhibited.has(a.id) &&
        (!a.groupId || (!a.incidentId && known.get(a.groupId)?.closed !== false)),
    );
    for (const g of known.values()) await renameUnstarted(tx, g, workflowIdFor);

    // Every company's groups in one read: the claim's keys and assets, per company.
    const byCompany = new Map<string, { config: ReturnType<typeof configOf>; input: CorrelationAlert[] }>();
    for (const companyId of companies) {
      const alerts = toPlace
        .filter((a) => a.companyId === companyId)
        .sort((x, y) => x.receivedAt.localeCompare(y.receivedAt) || x.id.localeCompare(y.id));
      if (alerts.length > 0)
        byCompany.set(companyId, { config: configOf(companyId), input: alerts.map(toCorrelationAlert) });
    }
    // A host fault may take its asset's groups of the minute before it (the earliest fault's minute, for all).
    const faults = [...byCompany.values()].flatMap((c) =>
      c.config.hostFaults ? c.input.filter((a) => isHostFault(a.signature)) : [],
    );
    const symptomsSince = faults.length
      ? new Date(Math.min(...faults.map((a) => a.at)) - HOST_FAULT_LOOKBACK_MS).toISOString()
      : null;
    const stored = await loadGroups(
      tx,
      [...byCompany].map(([companyId, { config, input }]) => ({
        companyId,
        keys: [...new Set(input.map((a) => correlationKey(a, config)))],
        assets: [...new Set(input.map((a) => a.asset))],
        faultAssets: [...new Set(faults.filter((a) => input.includes(a)).map((a) => a.asset))],
      })),
      symptomsSince,
    );
    // Which host faults still fire, and the fleet's recent alerts: a fault takes only its own symptoms.
    const scope = await loadFaultScope(tx, stored, [...byCompany.keys()], faults.length > 0, Date.parse(earliest));

    const placements = new Map<string, Placement>();
    const groups = new Map<string, Stored>();
    const merges: SymptomMerge[] = [];
    for (const [companyId, { config, input }] of byCompany) {
      const own = stored.filter((g) => g.companyId === companyId);
      const nextSeq = new Map<string, number>();
      for (const g of own) nextSeq.set(g.correlationKey, Math.max(nextSeq.get(g.correlationKey) ?? 1, g.seq + 1));

      const correlator = new Correlator(config, { newId: () => randomUUID() });
      for (const g of own) await renameUnstarted(tx, g, workflowIdFor);
      correlator.restore(own.map((g) => Object.assign(toGroup(g, groups), { firing: scope.firing.has(g.id) })));
      for (const s of scope.sightings)
        if (s.companyId === companyId) correlator.sighting(s.asset, s.signature, s.at, s.hostFault);
      for (const a of input) {
        const p = correlator.place(a);
        placements.set(a.id, p);
        let g = groups.get(p.groupId);
        if (!g) {
          const created = correlator.groups().find((x) => x.id === p.groupId)!;
          const seq = nextSeq.get(created.key) ?? 1;
          nextSeq.set(created.key, seq + 1);
          g = Object.assign(created, {
            seq,
            companyId,
            workflowId: workflowIdFor(companyId, `${created.key}|#${seq}`),
            isNew: true,
            wasOpened: false,
            started: false,
            added: 0,
          });
          groups.set(g.id, g);
        }
        g.added += 1;
        for (const m of p.merged ?? []) merges.push({ source: groups.get(m)!, target: g });
      }
      // A host fault later in the claim took some groups: their alerts of this claim are the fault's too.
      for (const a of input) {
        const p = placements.get(a.id)!;
        const final = correlator.finalGroup(p.groupId)!;
        if (final.id !== p.groupId)
          placements.set(a.id, { ...p, groupId: final.id, rule: 'host_fault', matched: hostFaultMatch(final) });
      }
    }
    // A new group holds its own alerts and those of the symptoms it took.
    for (const g of groups.values()) if (g.isNew) g.added = g.count;

    const groupOf = (a: ClaimedAlert): { id: string; workflowId: string; key: string; opened: boolean } => {
      const p = placements.get(a.id);
      if (p) {
        const g = groups.get(p.groupId)!;
        return { id: g.id, workflowId: g.workflowId, key: g.key, opened: g.opened };
      }
      const g = known.get(a.groupId!)!;
      return { id: g.id, workflowId: g.workflowId, key: g.correlationKey, opened: g.opened };
    };
    const routable: PlacedAlert[] = [];
    const held: string[] = [];
    const written: AlertPlacement[] = [];
    const deferred = new Map<string, RoutePlacement>();
    // A source of a target inhibited in this pass is written now: the incident it opens finds the targets waiting for
    // it through the source's group (migration 027's trigger), whenever the worker saves it.
    const sources = new Set([...inhibited.values()].map((v) => v.sourceAlertId));
    for (const a of firing) {
      const mute = muted.get(a.id);
      const p = placements.get(a.id);
      if (mute) {
        written.push({ id: a.id, groupId: null, why: null, mutedBy: mute, done: true });
        continue;
      }
      if (inhibited.has(a.id)) continue;
      const g = groupOf(a);
      if (g.opened) routable.push({ ...a, groupId: g.id, workflowId: g.workflowId, groupKey: g.key });
      else held.push(a.id);
      if (p && g.opened && passId !== null && !sources.has(a.id))
        deferred.set(a.id, { groupId: p.groupId, why: why(p) });
      else if (p || !g.opened) {
        written.push({ id: a.id, groupId: p?.groupId ?? null, why: p ? why(p) : null, mutedBy: null, done: !g.opened });
      }
    }
    // Groups, placements, held and muted alerts: one statement. A group a host fault took is written as merged.
    await writePlacement(
      tx,
      [...groups.values()].filter((g) => g.added > 0 && !g.mergedInto),
      written,
    );
    if (passId !== null) await recordPlacements(tx, passId, deferred);
    // After the claim's sources have their groups, which their targets may wait on.
    await writeInhibitions(tx, inhibited);
    const folded = await recordSymptomMerges(tx, merges, firing);
    for (const a of folded.released) {
      const g = groups.get(a.groupId!)!;
      routable.push({ ...a, groupId: g.id, workflowId: g.workflowId, groupKey: g.key });
    }

    // Groups that just reached the minimum: the alerts they held until now go to the incident too.
    const justOpened = [...groups.values()].filter((g) => g.opened && !g.wasOpened && !g.isNew);
    if (justOpened.length) {
      const released = await tx<ClaimedAlert[]>`
        UPDATE alerts SET routed_at = NULL
        WHERE group_id = ANY(${justOpened.map((g) => g.id)}) AND routed_at IS NOT NULL AND incident_id IS NULL
          AND NOT (id = ANY(${firing.map((a) => a.id)}))
        RETURNING ${tx.unsafe(CLAIMED_COLUMNS)}`;
      for (const a of released) {
        const g = groups.get(a.groupId!)!;
        routable.push({ ...a, groupId: g.id, workflowId: g.workflowId, groupKey: g.key });
      }
    }
    // In event time, so a lane's first alert (which names the incident) is its earliest.
    routable.sort((x, y) => x.receivedAt.localeCompare(y.receivedAt) || x.id.localeCompare(y.id));
    return { routable, held, folds: folded.pending, placements: deferred };
  });
}

function toCorrelationAlert(a: ClaimedAlert): CorrelationAlert {
  return {
    id: a.id,
    at: Date.parse(a.receivedAt),
    asset: a.assetName,
    signature: a.signature,
    tool: a.toolSource,
    labels: a.labels,
  };
}

/** What the alert's incident shows as "why is this alert here". */
function why(p: Placement): { rule: string; matched: string[] } {
  return { rule: p.rule, matched: p.matched };
}
