// Incident rows written straight into PostgreSQL, and the NOTIFY the incident store sends after a save: for tests
// of what subscribers see, without a workflow behind each incident.
import { randomUUID } from 'node:crypto';
import { INCIDENT_CHANNEL } from '../../db/channels.ts';
import type { Sql } from '../../db/sql.ts';

export async function insertIncident(sql: Sql, companyId: string, assetName: string): Promise<string> {
  const id = `inc-${randomUUID().slice(0, 8)}`;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
      status, priority_score, alert_count, sla_response_deadline, sla_resolution_deadline, version, created_at)
    VALUES (${id}, ${companyId}, ${`incident:${companyId}:${assetName}|cpu_high`}, ${randomUUID()},
      ${`${assetName}|cpu_high`}, ${assetName}, 'cpu_high', 'low', 'new', 10, 1,
      now() + interval '30 minutes', now() + interval '1 day', 1, now())`;
  return id;
}

/** Changes the incident as a save would (updated_at, alert count); with `notify`, tells listeners too. */
export async function touchIncident(sql: Sql, id: string, notify = true): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`UPDATE incidents SET alert_count = alert_count + 1, updated_at = now() WHERE id = ${id}`;
    if (notify) await tx`SELECT pg_notify(${INCIDENT_CHANNEL}, ${id})`;
  });
}
