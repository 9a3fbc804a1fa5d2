// The correlation groups of the router's placement as PostgreSQL keeps them: loaded for the correlator to continue,
// written back in one statement, and renamed while their workflow has not started.
import type { TransactionSql } from '../../db/sql.ts';
import type { Group } from '../../domain/correlate.ts';
import type { Muting } from '../../domain/silences.ts';

export interface GroupRow {
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

export const GROUP_COLUMNS = `id, company_id AS "companyId", correlation_key AS "correlationKey", seq,
  workflow_id AS "workflowId", asset_name AS "assetName", signature, host_fault AS "hostFault",
  recurrence_of AS "recurrenceOf", first_at AS "firstAt", last_at AS "lastAt", alert_count AS "alertCount", tools,
  opened_at IS NOT NULL AS opened, correlation_group_closed(workflow_id) AS closed,
  EXISTS (SELECT 1 FROM incidents i WHERE i.workflow_id = g.workflow_id) AS started, merged_into AS "mergedInto"`;

/** A company's groups as the correlator continues them, with what it needs to write them back. */
export interface Stored extends Group {
  seq: number;
  workflowId: string;
  companyId: string;
  isNew: boolean;
  wasOpened: boolean;
  /** Its workflow has opened an incident. */
  started: boolean;
  added: number;
}

/**
 * A group whose workflow never opened an incident takes the workflow ID the router computes now: a dead-lettered
 * alert retried after an ID fix (or an upgrade of the ID scheme) must not be sent to the refused ID again.
 */
export async function renameUnstarted(
  tx: TransactionSql,
  g: GroupRow,
  workflowIdFor: (companyId: string, key: string) => string,
): Promise<void> {
  const id = workflowIdFor(g.companyId, `${g.correlationKey}|#${g.seq}`);
  if (g.started || id === g.workflowId) return;
  await tx`UPDATE correlation_groups SET workflow_id = ${id} WHERE id = ${g.id}`;
  g.workflowId = id;
}

/** Which groups a company's claimed alerts may continue: their keys and their assets (for host faults). */
export interface GroupLookup {
  companyId: string;
  keys: string[];
  assets: string[];
  /** Assets a host-fault alert of the claim is on: their groups since `symptomsSince` may be its symptoms. */
  faultAssets: string[];
}

/**
 * For every company of a claim at once: each key's latest group (live or not: a recurrence links to it), the
 * assets' latest host faults, the groups those were merged into, and the groups a new host fault may take.
 */
export async function loadGroups(
  tx: TransactionSql,
  lookups: GroupLookup[],
  symptomsSince: string | null,
): Promise<GroupRow[]> {
  const keyPairs = lookups.flatMap((l) => l.keys.map((k) => [l.companyId, k] as const));
  const assetPairs = lookups.flatMap((l) => l.assets.map((a) => [l.companyId, a] as const));
  const faultPairs = symptomsSince ? lookups.flatMap((l) => l.faultAssets.map((a) => [l.companyId, a] as const)) : [];
  // Only a claim with a host-fault alert asks for its asset's recent groups: the storm's hot path skips the branch.
  const symptoms = symptomsSince
    ? `
     UNION
     SELECT ${GROUP_COLUMNS} FROM (
       SELECT c.* FROM correlation_groups c
       JOIN unnest($5::text[], $6::text[]) AS f(company_id, asset)
         ON c.company_id = f.company_id AND c.asset_name = f.asset
       WHERE NOT c.host_fault AND c.merged_into IS NULL AND c.last_at >= $7::timestamptz
         AND c.first_at >= $7::timestamptz
     ) g`
    : '';
  const rows = await tx.unsafe<GroupRow[]>(
    `SELECT ${GROUP_COLUMNS} FROM (
       SELECT DISTINCT ON (c.company_id, c.correlation_key) c.* FROM correlation_groups c
       JOIN unnest($1::text[], $2::text[]) AS k(company_id, key)
         ON c.company_id = k.company_id AND c.correlation_key = k.key
       ORDER BY c.company_id, c.correlation_key, c.seq DESC
     ) g
     UNION
     SELECT ${GROUP_COLUMNS} FROM (
       SELECT DISTINCT ON (c.company_id, c.asset_name) c.* FROM correlation_groups c
       JOIN unnest($3::text[], $4::text[]) AS h(company_id, asset)
         ON c.company_id = h.company_id AND c.asset_name = h.asset
       WHERE c.host_fault ORDER BY c.company_id, c.asset_name, c.last_at DESC
     ) g
${symptoms}`,
    [
      keyPairs.map((p) => p[0]),
      keyPairs.map((p) => p[1]),
      assetPairs.map((p) => p[0]),
      assetPairs.map((p) => p[1]),
      ...(symptomsSince ? [faultPairs.map((p) => p[0]), faultPairs.map((p) => p[1]), symptomsSince] : []),
    ],
  );
  const into = [...new Set(rows.flatMap((g) => (g.mergedInto ? [g.mergedInto] : [])))].filter(
    (id) => !rows.some((g) => g.id === id),
  );
  if (into.length === 0) return rows;
  return [
    ...rows,
    ...(await tx.unsafe<GroupRow[]>(`SELECT ${GROUP_COLUMNS} FROM correlation_groups g WHERE id = ANY($1)`, [into])),
  ];
}

export function toGroup(row: GroupRow, groups: Map<string, Stored>): Stored {
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
    started: row.started,
    added: 0,
  };
  groups.set(g.id, g);
  return g;
}

/**
 * What the placement writes on an alert: its group and why (null: placed before), or the silence or window that
 * muted it; and whether it leaves the queue here (held below the minimum count, or muted).
 */
export interface AlertPlacement {
  id: string;
  groupId: string | null;
  why: { rule: string; matched: string[] } | null;
  mutedBy: Muting | null;
  done: boolean;
}

/** The touched groups and the placed alerts in one statement: one round trip per pass, whatever the claim holds. */
export async function writePlacement(tx: TransactionSql, touched: Stored[], alerts: AlertPlacement[]): Promise<void> {
  if (touched.length === 0 && alerts.length === 0) return;
  const col = <T>(f: (g: Stored) => T): T[] => touched.map(f);
  await tx`
    WITH written AS (
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
        opened_at = COALESCE(correlation_groups.opened_at, excluded.opened_at)
      RETURNING 1
    )
    UPDATE alerts a SET
      group_id = COALESCE(v.group_id, a.group_id),
      correlation = COALESCE(v.why::jsonb, a.correlation),
      muted_by = COALESCE(v.muted_by::jsonb, a.muted_by),
      routed_at = CASE WHEN v.done = 1 THEN now() ELSE a.routed_at END,
      route_error = CASE WHEN v.done = 1 THEN NULL ELSE a.route_error END
    FROM unnest(${alerts.map((x) => x.id)}::text[], ${alerts.map((x) => x.groupId)}::text[],
                ${alerts.map((x) => (x.why ? JSON.stringify(x.why) : null))}::text[],
                ${alerts.map((x) => (x.mutedBy ? JSON.stringify(x.mutedBy) : null))}::text[],
                ${alerts.map((x) => (x.done ? 1 : 0))}::int[]) AS v(id, group_id, why, muted_by, done)
    WHERE a.id = v.id`;
}
