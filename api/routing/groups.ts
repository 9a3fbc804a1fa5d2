// The correlation groups of the router's placement as PostgreSQL keeps them: loaded for the correlator to continue,
// written back in one statement, and renamed while their workflow has not started.
import type { TransactionSql } from '../../db/sql.ts';
import type { Group } from '../../domain/correlate.ts';

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

/**
 * Each key's latest group (live or not: a recurrence links to it), the assets' latest host faults, and the groups
 * those were merged into by hand.
 */
export async function loadGroups(
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
    added: 0,
  };
  groups.set(g.id, g);
  return g;
}

export async function writeGroups(tx: TransactionSql, touched: Stored[]): Promise<void> {
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
