// Alerts, incidents and decisions written straight into PostgreSQL at chosen times: the facts the overview's KPIs
// are computed from, for tests that know the expected figures by hand. The alerts count as routed already, so a
// running alert router leaves them alone.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';

export async function pastAlert(
  sql: Sql,
  companyId: string,
  asset: string,
  signature: string,
  at: string,
  muted = false,
) {
  // With its search row (migration 030), as every writer of alerts stores one: the alert explorer searches them.
  await sql`
    WITH added AS (
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
        tool_source, received_at, routed_at, muted_by)
      VALUES (${`al-${randomUUID()}`}, ${companyId}, ${randomUUID()}, ${asset}, ${signature}, ${`${asset}|${signature}`},
        'high', 'fixture', 'Prometheus', ${at}, ${at}, ${muted ? sql.json({ kind: 'silence', id: 'sil-1' }) : null})
      RETURNING id, message, asset_name, signature)
    INSERT INTO alert_search (alert_id, body) SELECT id, alert_search_text(message, asset_name, signature) FROM added`;
}

export interface PastIncident {
  created: string;
  asset?: string;
  signature?: string;
  severity?: string;
  status: string;
  resolved?: string;
  ackAt?: string;
  auto?: boolean;
  breached?: boolean;
  mergedInto?: string;
}

export async function pastIncident(sql: Sql, companyId: string, o: PastIncident): Promise<string> {
  const id = `inc-${randomUUID().slice(0, 8)}`;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
      status, priority_score, alert_count, sla_response_deadline, sla_resolution_deadline, version, created_at,
      resolved_at, acknowledgement, auto_remediated, sla_breached, merged_into)
    VALUES (${id}, ${companyId}, ${`wf-${id}`}, ${randomUUID()}, 'k', ${o.asset ?? 'web-1'}, ${o.signature ?? 'cpu_high'},
      ${o.severity ?? 'high'},
      ${o.status}, 10, 1, ${o.created}, ${o.created}, 1, ${o.created}, ${o.resolved ?? null},
      ${o.ackAt ? sql.json({ by: 'tech@example.com', at: o.ackAt }) : null}, ${o.auto ?? false}, ${o.breached ?? false},
      ${o.mergedInto ?? null})`;
  return id;
}

export async function pastDecision(sql: Sql, companyId: string, provider: string, fallback: boolean, at: string) {
  await sql`
    INSERT INTO decisions (id, incident_id, company_id, provider, output, fallback_reason, created_at)
    VALUES (${`dec-${randomUUID()}`}, 'inc-x', ${companyId}, ${provider}, ${sql.json({})},
      ${fallback ? 'the model timed out' : null}, ${at})`;
}
