// Stored patch states (migration 021): replaced per company on each successful refresh, read by the dashboard.
import { randomUUID } from 'node:crypto';
import { aggregationKey } from '../domain/correlation.ts';
import type { InstancePatchState, PatchAlert } from '../domain/patch-compliance.ts';
import { ALERT_CHANNEL } from './channels.ts';
import type { Sql } from './sql.ts';

export interface PatchRefreshRow {
  companyId: string;
  refreshedAt: string | null;
  asked: string[];
  attemptedAt: string;
  failure: string | null;
}

/** Company ids with at least one registered asset that has an instance id: the ones a refresh asks AWS about. */
export async function companiesWithInstances(sql: Sql): Promise<string[]> {
  const rows = await sql<{ companyId: string }[]>`
    SELECT DISTINCT company_id AS "companyId" FROM assets WHERE instance_id IS NOT NULL AND instance_id <> ''
    ORDER BY 1`;
  return rows.map((r) => r.companyId);
}

/** The company's registered instance ids (migration 011: an instance id belongs to one company). */
export async function registeredInstanceIds(sql: Sql, companyId: string): Promise<string[]> {
  const rows = await sql<{ instanceId: string }[]>`
    SELECT DISTINCT instance_id AS "instanceId" FROM assets
    WHERE company_id = ${companyId} AND instance_id IS NOT NULL AND instance_id <> '' ORDER BY 1`;
  return rows.map((r) => r.instanceId);
}

/** A successful refresh: the instances asked about and their states replace the last ones, in one transaction. */
export async function savePatchStates(
  sql: Sql,
  companyId: string,
  asked: string[],
  states: InstancePatchState[],
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO patch_refreshes (company_id, refreshed_at, asked, attempted_at, failure)
      VALUES (${companyId}, now(), ${asked}, now(), NULL)
      ON CONFLICT (company_id) DO UPDATE
        SET refreshed_at = now(), asked = EXCLUDED.asked, attempted_at = now(), failure = NULL`;
    await tx`DELETE FROM patch_states WHERE company_id = ${companyId}`;
    if (!states.length) return;
    const rows = states.map((s) => ({
      company_id: companyId,
      instance_id: s.instanceId,
      missing_count: s.missingCount,
      critical_non_compliant_count: s.criticalNonCompliantCount,
      security_non_compliant_count: s.securityNonCompliantCount,
      failed_count: s.failedCount,
      installed_pending_reboot_count: s.installedPendingRebootCount,
      operation: s.operation,
      operation_end_time: s.operationEndTime,
    }));
    await tx`INSERT INTO patch_states ${tx(rows)}`;
  });
}

/** A failed refresh: the tenant's sentence is kept beside the last good states, which stay as they were. */
export async function savePatchFailure(sql: Sql, companyId: string, failure: string): Promise<void> {
  await sql`
    INSERT INTO patch_refreshes (company_id, attempted_at, failure) VALUES (${companyId}, now(), ${failure})
    ON CONFLICT (company_id) DO UPDATE SET attempted_at = now(), failure = EXCLUDED.failure`;
}

export async function readPatchCompliance(
  sql: Sql,
  companyId: string,
): Promise<{ refresh: PatchRefreshRow | null; states: InstancePatchState[] }> {
  const [refresh] = await sql<PatchRefreshRow[]>`
    SELECT company_id AS "companyId", refreshed_at AS "refreshedAt", asked, attempted_at AS "attemptedAt", failure
    FROM patch_refreshes WHERE company_id = ${companyId}`;
  const states = await sql<InstancePatchState[]>`
    SELECT instance_id AS "instanceId", missing_count AS "missingCount",
      critical_non_compliant_count AS "criticalNonCompliantCount",
      security_non_compliant_count AS "securityNonCompliantCount", failed_count AS "failedCount",
      installed_pending_reboot_count AS "installedPendingRebootCount", operation,
      operation_end_time AS "operationEndTime"
    FROM patch_states WHERE company_id = ${companyId} ORDER BY instance_id`;
  return { refresh: refresh ?? null, states };
}

/** The company's asset name for each of its instance ids, for the dashboard's table. */
export async function instanceAssetNames(sql: Sql, companyId: string): Promise<Map<string, string>> {
  const rows = await sql<{ instanceId: string; name: string }[]>`
    SELECT instance_id AS "instanceId", name FROM assets
    WHERE company_id = ${companyId} AND instance_id IS NOT NULL ORDER BY name`;
  return new Map(rows.map((r) => [r.instanceId, r.name]));
}

/**
 * Stores alerts for instances missing critical patches as any monitor's alerts are stored (the router takes them
 * from there: correlation, incident, decision), once per instance and scan. Returns how many were new.
 */
export async function insertPatchAlerts(sql: Sql, companyId: string, alerts: PatchAlert[]): Promise<number> {
  if (!alerts.length) return 0;
  const rows = alerts.map((a) => ({
    id: randomUUID(),
    company_id: companyId,
    delivery_id: a.deliveryId,
    asset_name: a.assetName,
    signature: a.signature,
    aggregation_key: aggregationKey(a.assetName, a.signature),
    severity: a.severity,
    message: a.message,
    tool_source: 'aws-patch-manager',
    status: 'firing',
    labels: sql.json({ instanceId: a.instanceId }),
    receiver: 'alerts',
  }));
  // The search row of each alert added (migration 030) comes with it, as the webhook's alert writer writes it.
  const added = await sql`
    WITH added AS (
      INSERT INTO alerts ${sql(rows)} ON CONFLICT (company_id, delivery_id) DO NOTHING
      RETURNING id, message, asset_name, signature),
    search AS (
      INSERT INTO alert_search (alert_id, body)
      SELECT id, alert_search_text(message, asset_name, signature) FROM added)
    SELECT id FROM added`;
  if (added.length) await sql`SELECT pg_notify(${ALERT_CHANNEL}, '')`;
  return added.length;
}
