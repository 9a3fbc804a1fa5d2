// The asset inventory per company: what priority scoring (criticality) and remediation (instance id) read.
// CSV import checks every row first and writes all of them or none, naming each bad line. An instance id another
// asset holds is refused (api/tenants/asset-instances.ts), also when a racing writer took it first.
import { parse } from 'csv-parse/sync';
import type { Sql } from '../../db/sql.ts';
import { claimingInstances, releaseInstances, type InstanceClaim } from './asset-instances.ts';
import { instancesOutsideAccount } from './asset-aws-check.ts';
import type { AwsAccess } from './aws-accounts.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError, type FieldProblem } from './errors.ts';

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export interface AssetInput {
  name: string;
  instanceId?: string | null;
  assetType?: string | null;
  os?: string | null;
  tags?: string[] | null;
  criticality?: Criticality | null;
}

export interface AssetRecord {
  companyId: string;
  name: string;
  instanceId: string | null;
  assetType: string;
  os: string | null;
  tags: string[];
  criticality: Criticality;
  createdAt: string;
}

export interface UnregisteredAsset {
  name: string;
  alertCount: number;
  lastSeenAt: string;
  toolSources: string[];
}

const COLUMNS = (sql: Sql) => sql`
  company_id AS "companyId", name, instance_id AS "instanceId", asset_type AS "assetType", os, tags, criticality,
  created_at AS "createdAt"`;

/** Up to 2,000 assets a company, ordered by name; the dashboard filters client-side. */
export async function listAssets(sql: Sql, companyId: string): Promise<AssetRecord[]> {
  return sql<AssetRecord[]>`
    SELECT ${COLUMNS(sql)} FROM assets WHERE company_id = ${companyId} ORDER BY lower(name) LIMIT 2000`;
}

/** Assets alerts named in the last 30 days that are not in the inventory, most active first. */
export async function unregisteredAssets(sql: Sql, companyId: string): Promise<UnregisteredAsset[]> {
  return sql<UnregisteredAsset[]>`
    SELECT a.asset_name AS name, count(*)::int AS "alertCount", max(a.received_at) AS "lastSeenAt",
           array_agg(DISTINCT a.tool_source) AS "toolSources"
    FROM alerts a
    WHERE a.company_id = ${companyId} AND a.received_at > now() - interval '30 days' AND a.asset_name <> 'unknown'
      AND NOT EXISTS (SELECT 1 FROM assets s WHERE s.company_id = a.company_id AND s.name = a.asset_name)
    GROUP BY a.asset_name ORDER BY count(*) DESC, a.asset_name LIMIT 200`;
}

const INSTANCE_ID = /^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})$/;

/** The problems of one asset, with field names prefixed for the form or the CSV line. */
export function checkAsset(a: AssetInput, prefix = ''): FieldProblem[] {
  const p: FieldProblem[] = [];
  const f = (field: string, message: string) => p.push({ field: `${prefix}${field}`, message });
  const name = a.name?.trim() ?? '';
  if (name.length < 1 || name.length > 255) f('name', 'must be 1–255 characters');
  if (name.includes('|')) f('name', 'must not contain "|"');
  if (a.instanceId && !INSTANCE_ID.test(a.instanceId.trim())) {
    f('instanceId', 'must be an EC2 instance id (i-…) or an SSM managed instance id (mi-…)');
  }
  if (a.criticality && !CRITICALITIES.includes(a.criticality))
    f('criticality', `must be one of ${CRITICALITIES.join(', ')}`);
  if (a.assetType && a.assetType.length > 40) f('assetType', 'must be at most 40 characters');
  if (a.os && a.os.length > 80) f('os', 'must be at most 80 characters');
  if (a.tags && (a.tags.length > 20 || a.tags.some((t) => t.length < 1 || t.length > 40))) {
    f('tags', 'at most 20 tags of 1–40 characters');
  }
  return p;
}

async function upsert(sql: Sql, companyId: string, a: AssetInput): Promise<{ row: AssetRecord; created: boolean }> {
  const [row] = await sql<(AssetRecord & { created: boolean })[]>`
    INSERT INTO assets (company_id, name, instance_id, asset_type, os, tags, criticality)
    VALUES (${companyId}, ${a.name.trim()}, ${a.instanceId?.trim() || null}, ${a.assetType?.trim() || 'server'},
            ${a.os?.trim() || null}, ${a.tags ?? []}, ${a.criticality ?? 'medium'})
    ON CONFLICT (company_id, name) DO UPDATE SET instance_id = EXCLUDED.instance_id, asset_type = EXCLUDED.asset_type,
      os = EXCLUDED.os, tags = EXCLUDED.tags, criticality = EXCLUDED.criticality
    RETURNING ${COLUMNS(sql)}, (xmax = 0) AS created`;
  const { created, ...rest } = row!;
  return { row: rest, created };
}

const claimOf = (a: AssetInput, prefix = '', label?: string): InstanceClaim => ({
  name: a.name.trim(),
  instanceId: a.instanceId?.trim() || null,
  prefix,
  ...(label ? { label } : {}),
});

/** `aws`: the API's way into companies' accounts; with it, an instance id is checked in the company's own. */
export async function saveAsset(
  sql: Sql,
  actor: Actor,
  companyId: string,
  a: AssetInput,
  aws?: AwsAccess,
): Promise<AssetRecord> {
  const problems = checkAsset(a);
  if (problems.length) throw invalid(problems);
  const outside = await instancesOutsideAccount(sql, aws, companyId, [claimOf(a)]);
  if (outside.length) throw invalid(outside);
  return claimingInstances(sql, companyId, [claimOf(a)], () =>
    sql.begin(async (tx) => {
      const { row, created } = await upsert(tx as unknown as Sql, companyId, a);
      await audit(tx, actor, {
        companyId,
        action: created ? 'asset.created' : 'asset.updated',
        targetType: 'asset',
        targetId: row.name,
        data: { criticality: row.criticality, instanceId: row.instanceId },
      });
      return row;
    }),
  );
}

export async function deleteAsset(sql: Sql, actor: Actor, companyId: string, name: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [gone] = await tx`DELETE FROM assets WHERE company_id = ${companyId} AND name = ${name} RETURNING name`;
    if (!gone) throw new TenantError('NOT_FOUND', `Asset ${name} not found`);
    await audit(tx, actor, { companyId, action: 'asset.deleted', targetType: 'asset', targetId: name });
  });
}

/** Header names accepted in an import, lower-cased, with the spellings spreadsheets tend to use. */
const HEADERS: Record<string, keyof AssetInput> = {
  name: 'name',
  instance_id: 'instanceId',
  instanceid: 'instanceId',
  type: 'assetType',
  asset_type: 'assetType',
  os: 'os',
  tags: 'tags',
  criticality: 'criticality',
};

export const MAX_IMPORT_ROWS = 5000;

export interface ImportResult {
  created: number;
  updated: number;
}

/** Parses a CSV with a header row (name required); tags are separated by ";" or "|" inside their cell. */
export function parseAssetCsv(csv: string): { assets: AssetInput[]; problems: FieldProblem[] } {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    return { assets: [], problems: [{ field: 'csv', message: `not valid CSV: ${(err as Error).message}` }] };
  }
  const [head, ...rows] = records;
  if (!head) return { assets: [], problems: [{ field: 'csv', message: 'is empty' }] };
  const columns = head.map((h) => HEADERS[h.toLowerCase().replace(/[\s-]/g, '_')]);
  const problems: FieldProblem[] = head
    .filter((_h, i) => !columns[i])
    .map((h) => ({
      field: 'csv',
      message: `unknown column "${h.slice(0, 40)}" (use ${Object.keys(HEADERS).join(', ')})`,
    }));
  if (!columns.includes('name')) problems.push({ field: 'csv', message: 'needs a "name" column' });
  if (rows.length > MAX_IMPORT_ROWS) problems.push({ field: 'csv', message: `has more than ${MAX_IMPORT_ROWS} rows` });
  if (problems.length) return { assets: [], problems };
  const assets = rows.map((cells, r) => {
    const a: AssetInput = { name: '' };
    columns.forEach((c, i) => {
      const v = cells[i] ?? '';
      if (c === 'tags')
        a.tags = v
          .split(/[;|]/)
          .map((t) => t.trim())
          .filter(Boolean);
      else if (c === 'criticality') a.criticality = (v.toLowerCase() || null) as Criticality | null;
      else if (c) (a as unknown as Record<string, string>)[c] = v;
    });
    problems.push(...checkAsset(a, `line ${r + 2}: `));
    return a;
  });
  return { assets, problems };
}

export async function importAssets(
  sql: Sql,
  actor: Actor,
  companyId: string,
  csv: string,
  aws?: AwsAccess,
): Promise<ImportResult> {
  const { assets, problems } = parseAssetCsv(csv);
  if (problems.length) throw invalid(problems.slice(0, 50));
  const claims = assets.map((a, i) => claimOf(a, `line ${i + 2}: `, `line ${i + 2}`));
  const outside = await instancesOutsideAccount(sql, aws, companyId, claims);
  if (outside.length) throw invalid(outside.slice(0, 50));
  return claimingInstances(sql, companyId, claims, () =>
    sql.begin(async (tx) => {
      await releaseInstances(
        tx,
        companyId,
        claims.map((c) => c.name),
      );
      let created = 0;
      for (const a of assets) if ((await upsert(tx as unknown as Sql, companyId, a)).created) created++;
      const result = { created, updated: assets.length - created };
      await audit(tx, actor, { companyId, action: 'asset.imported', targetType: 'asset', data: result });
      return result;
    }),
  );
}
