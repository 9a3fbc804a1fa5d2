// Which incident each claimed alert belongs to. The decision is domain/correlate.ts's, continued from the groups
// stored in PostgreSQL, and taken under a per-company advisory lock: two API processes routing alerts of one
// key at once agree on one group, and so on one workflow ID. The lock is held for this transaction only, never
// across a call to Temporal.
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { correlationConfigOf, correlationKey, Correlator, type Group, type Placement } from '../../domain/correlate.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { muteAlerts } from './muting.ts';
import { CLAIMED_COLUMNS, type ClaimedAlert } from './queue.ts';

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
}

interface GroupRow {
  id: string;
  companyId: string;
  correlationKey: string;
  seq: number;
  workflowId: string;
  assetName: string;
  signature: string;
  hostFault: boolean;
  recurrenceOf: string | null;
  firstAt: string;
  lastAt: string;
  alertCount: number;
  tools: string[];
  opened: boolean;
  closed: boolean;
  /** Its workflow has opened an incident (so its workflow ID is final). */
  started: boolean;
  /** The group a person merged it into. */
  mergedInto: string | null;
}

const GROUP_COLUMNS = `id, company_id AS "companyId", correlation_key AS "correlationKey", seq,
  workflow_id AS "workflowId", asset_name AS "assetName", signature, host_fault AS "hostFault",
  recurrence_of AS "recurrenceOf", first_at AS "firstAt", last_at AS "lastAt", alert_count AS "alertCount", tools,
  opened_at IS NOT NULL AS opened, correlation_group_closed(workflow_id) AS closed,
  EXISTS (SELECT 1 FROM incidents i WHERE i.workflow_id = g.workflow_id) AS started, merged_into AS "mergedInto"`;

/** A company's groups as the correlator continues them, with what it needs to write them back. */
interface Stored extends Group {
  seq: number;
  workflowId: string;
  companyId: string;
  isNew: boolean;
  wasOpened: boolean;
  added: number;
}

export async function placeAlerts(
  sql: Sql,
  firing: ClaimedAlert[],
  workflowIdFor: (companyId: string, key: string) => string,
  leaseSeconds: number,
): Promise<PlacementResult> {
  if (firing.length === 0) return { routable: [], held: [] };
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
    const settings = await tx<{ id: string; settings: CompanySettings | null }[]>`
      SELECT id, settings FROM companies WHERE id = ANY(${companies})`;
    const settingsOf = new Map(settings.map((c) => [c.id, c.settings ?? {}]));
    const configOf = new Map(settings.map((c) => [c.id, correlationConfigOf(c.settings?.correlation ?? {})]));

    // Only alerts not yet placed: one a crash left placed was not muted when it was placed.
    const muted = await muteAlerts(
      tx,
      firing.filter((a) => !a.groupId),
      settingsOf,
    );
    const toPlace = firing.filter(
      (a) => !muted.has(a.id) && (!a.groupId || (!a.incidentId && known.get(a.groupId)?.closed !== false)),
    );
    for (const g of known.values()) await renameUnstarted(tx, g, workflowIdFor);

    const placements = new Map<string, Placement>();
    const groups = new Map<string, Stored>();
    for (const companyId of companies) {
      const alerts = toPlace
        .filter((a) => a.companyId === companyId)
        .sort((x, y) => x.receivedAt.localeCompare(y.receivedAt) || x.id.localeCompare(y.id));
      if (alerts.length === 0) continue;
      const config = configOf.get(companyId) ?? correlationConfigOf();
      const input = alerts.map((a) => toCorrelationAlert(a));
      const keys = [...new Set(input.map((a) => correlationKey(a, config)))];
      const assets = [...new Set(input.map((a) => a.asset))];
      const stored = await loadGroups(tx, companyId, keys, assets);
      const nextSeq = new Map<string, number>();
      for (const g of stored) nextSeq.set(g.correlationKey, Math.max(nextSeq.get(g.correlationKey) ?? 1, g.seq + 1));

      const correlator = new Correlator(config, { newId: () => randomUUID(), mergeSymptoms: false });
      for (const g of stored) await renameUnstarted(tx, g, workflowIdFor);
      correlator.restore(stored.map((g) => toGroup(g, groups)));
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
            added: 0,
          });
          groups.set(g.id, g);
        }
        g.added += 1;
      }
    }

    await writeGroups(
      tx,
      [...groups.values()].filter((g) => g.added > 0),
    );
    const placedNow = toPlace.map((a) => ({ a, p: placements.get(a.id)! }));
    if (placedNow.length) {
      await tx`
        UPDATE alerts a SET group_id = v.group_id, correlation = v.why::jsonb
        FROM unnest(${placedNow.map((x) => x.a.id)}::text[], ${placedNow.map((x) => x.p.groupId)}::text[],
                    ${placedNow.map((x) => JSON.stringify(why(x.p)))}::text[]) AS v(id, group_id, why)
        WHERE a.id = v.id`;
    }

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
    for (const a of firing) {
      if (muted.has(a.id)) continue;
      const g = groupOf(a);
      if (g.opened) routable.push({ ...a, groupId: g.id, workflowId: g.workflowId, groupKey: g.key });
      else held.push(a.id);
    }
    if (held.length) await tx`UPDATE alerts SET routed_at = now(), route_error = NULL WHERE id = ANY(${held})`;

    // Groups that just reached the minimum: the alerts they held until now go to the incident too.
    const justOpened = [...groups.values()].filter((g) => g.opened && !g.wasOpened && !g.isNew);
    if (justOpened.length) {
      const released = await tx<ClaimedAlert[]>`
        UPDATE alerts SET routed_at = NULL, route_next_at = now() + make_interval(secs => ${leaseSeconds})
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
    return { routable, held };
  });
}

/**
 * A group whose workflow never opened an incident takes the workflow ID the router computes now: a dead-lettered
 * alert retried after an ID fix (or an upgrade of the ID scheme) must not be sent to the refused ID again.
 */
async function renameUnstarted(
  tx: TransactionSql,
  g: GroupRow,
  workflowIdFor: (companyId: string, key: string) => string,
): Promise<void> {
  const id = workflowIdFor(g.companyId, `${g.correlationKey}|#${g.seq}`);
  if (g.started || id === g.workflowId) return;
  await tx`UPDATE correlation_groups SET workflow_id = ${id} WHERE id = ${g.id}`;
  g.workflowId = id;
}

function toCorrelationAlert(a: ClaimedAlert) {
  return {
    id: a.id,
    at: Date.parse(a.receivedAt),
    asset: a.assetName,
    signature: a.signature,
    tool: a.toolSource,
    labels: a.labels,
  };
}

/**
 * Each key's latest group (live or not: a recurrence links to it), the assets' latest host faults, and the groups
 * those were merged into by hand.
 */
async function loadGroups(
  tx: TransactionSql,
  companyId: string,
  keys: string[],
  assets: string[],
): Promise<GroupRow[]> {
  const rows = await latestGroups(tx, companyId, keys, assets);
  const into = [...new Set(rows.flatMap((g) => (g.mergedInto ? [g.mergedInto] : [])))].filter(
    (id) => !rows.some((g) => g.id === id),
  );
  if (into.length === 0) return rows;
  return [
    ...rows,
    ...(await tx.unsafe<GroupRow[]>(`SELECT ${GROUP_COLUMNS} FROM correlation_groups g WHERE id = ANY($1)`, [into])),
  ];
}

async function latestGroups(
  tx: TransactionSql,
  companyId: string,
  keys: string[],
  assets: string[],
): Promise<GroupRow[]> {
  return tx.unsafe<GroupRow[]>(
    `SELECT ${GROUP_COLUMNS} FROM (
       SELECT DISTINCT ON (correlation_key) * FROM correlation_groups
       WHERE company_id = $1 AND correlation_key = ANY($2) ORDER BY correlation_key, seq DESC
     ) g
     UNION
     SELECT ${GROUP_COLUMNS} FROM (
       SELECT DISTINCT ON (asset_name) * FROM correlation_groups
       WHERE company_id = $1 AND host_fault AND asset_name = ANY($3) ORDER BY asset_name, last_at DESC
     ) g`,
    [companyId, keys, assets],
  );
}

function toGroup(row: GroupRow, groups: Map<string, Stored>): Stored {
  const g: Stored = {
    id: row.id,
    key: row.correlationKey,
    asset: row.assetName,
    signature: row.signature,
    firstAt: Date.parse(row.firstAt),
    lastAt: Date.parse(row.lastAt),
    alertIds: [],
    count: row.alertCount,
    tools: [...row.tools],
    hostFault: row.hostFault,
    recurrenceOf: row.recurrenceOf,
    opened: row.opened,
    mergedInto: row.mergedInto,
    closed: row.closed,
    seq: row.seq,
    workflowId: row.workflowId,
    companyId: row.companyId,
    isNew: false,
    wasOpened: row.opened,
    added: 0,
  };
  groups.set(g.id, g);
  return g;
}

async function writeGroups(tx: TransactionSql, touched: Stored[]): Promise<void> {
  if (touched.length === 0) return;
  const col = <T>(f: (g: Stored) => T): T[] => touched.map(f);
  await tx`
    INSERT INTO correlation_groups (id, company_id, correlation_key, seq, workflow_id, asset_name, signature,
      host_fault, rule, recurrence_of, first_at, last_at, alert_count, tools, opened_at)
    SELECT v.id, v.company_id, v.key, v.seq, v.workflow_id, v.asset_name, v.signature, v.host_fault = 1, v.rule,
      v.recurrence_of, v.first_at, v.last_at, v.added, string_to_array(v.tools, E'\\x1f'),
      CASE WHEN v.opened = 1 THEN now() END
    FROM unnest(${col((g) => g.id)}::text[], ${col((g) => g.companyId)}::text[], ${col((g) => g.key)}::text[],
      ${col((g) => g.seq)}::int[], ${col((g) => g.workflowId)}::text[], ${col((g) => g.asset)}::text[],
      ${col((g) => g.signature)}::text[], ${col((g) => (g.hostFault ? 1 : 0))}::int[],
      ${col((g) => (g.recurrenceOf ? 'recurrence' : g.key === '' ? 'alone' : 'opened'))}::text[],
      ${col((g) => g.recurrenceOf)}::text[], ${col((g) => new Date(g.firstAt).toISOString())}::timestamptz[],
      ${col((g) => new Date(g.lastAt).toISOString())}::timestamptz[], ${col((g) => g.added)}::int[],
      ${col((g) => g.tools.join('\u001f'))}::text[], ${col((g) => (g.opened ? 1 : 0))}::int[])
      AS v(id, company_id, key, seq, workflow_id, asset_name, signature, host_fault, rule, recurrence_of, first_at,
           last_at, added, tools, opened)
    ON CONFLICT (id) DO UPDATE SET
      last_at = GREATEST(correlation_groups.last_at, excluded.last_at),
      alert_count = correlation_groups.alert_count + excluded.alert_count,
      tools = excluded.tools,
      opened_at = COALESCE(correlation_groups.opened_at, excluded.opened_at)`;
}

/** What the alert's incident shows as "why is this alert here". */
function why(p: Placement): { rule: string; matched: string[] } {
  return { rule: p.rule, matched: p.matched };
}
