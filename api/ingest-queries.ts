// What an integrator of one company reads about ingestion: alerts parked after repeated routing
// failures (and their retry), and deliveries refused with the reason. Company admins and MSP admins only.
import type { Sql } from '../db/sql.ts';
import type { AuthUser } from './auth.ts';
import { ALERT_CHANNEL } from './ingest/alert-writer.ts';

export interface DeadLetteredAlertRecord {
  id: string;
  companyId: string;
  assetName: string;
  signature: string;
  severity: string;
  toolSource: string;
  receiver: string;
  routeAttempts: number;
  routeError: string | null;
  receivedAt: string;
  deadLetteredAt: string;
}

export interface RejectedDeliveryRecord {
  id: string;
  companyId: string;
  receiver: string;
  httpStatus: number;
  error: string;
  reason: string;
  bodyExcerpt: string;
  receivedAt: string;
}

/** Ingestion details may show payloads and integration trouble: admins of the company, and MSP admins. */
export function mayAdministerIngestion(user: AuthUser, companyId: string): boolean {
  return user.role === 'msp_admin' || (user.role === 'company_admin' && user.companyIds.includes(companyId));
}

const clamp = (limit: number | null | undefined): number => Math.min(Math.max(limit ?? 100, 1), 500);

export function deadLetteredAlerts(
  sql: Sql,
  companyId: string,
  limit?: number | null,
): Promise<DeadLetteredAlertRecord[]> {
  return sql<DeadLetteredAlertRecord[]>`
    SELECT id, company_id AS "companyId", asset_name AS "assetName", signature, severity, tool_source AS "toolSource",
      receiver, route_attempts AS "routeAttempts", route_error AS "routeError", received_at AS "receivedAt",
      dead_lettered_at AS "deadLetteredAt"
    FROM alerts WHERE company_id = ${companyId} AND dead_lettered_at IS NOT NULL AND routed_at IS NULL
    ORDER BY dead_lettered_at DESC LIMIT ${clamp(limit)}`;
}

export function rejectedDeliveries(
  sql: Sql,
  companyId: string,
  limit?: number | null,
): Promise<RejectedDeliveryRecord[]> {
  return sql<RejectedDeliveryRecord[]>`
    SELECT id::text, company_id AS "companyId", receiver, http_status AS "httpStatus", error, reason,
      body_excerpt AS "bodyExcerpt", received_at AS "receivedAt"
    FROM rejected_deliveries WHERE company_id = ${companyId}
    ORDER BY received_at DESC, id DESC LIMIT ${clamp(limit)}`;
}

/**
 * Puts dead-lettered alerts (all of the company's, or the ones named) back in the queue with fresh attempts. A
 * resolution of a retried firing alert that arrived while it was parked found no incident to tell; it goes back in
 * the queue too, and, like a resolution that arrives before its firing alert is routed (router/routing/
 * resolutions.ts), waits for the alert and is applied to the incident it opens.
 */
export async function retryDeadLettered(sql: Sql, companyId: string, alertIds: string[] | null): Promise<number> {
  const rows = await sql`
    WITH retried AS (
      UPDATE alerts SET dead_lettered_at = NULL, route_attempts = 0, route_next_at = now()
      WHERE company_id = ${companyId} AND dead_lettered_at IS NOT NULL AND routed_at IS NULL
        ${alertIds ? sql`AND id = ANY(${alertIds})` : sql``}
      RETURNING company_id, source_key, status, received_at, resolved_at
    ), resolutions AS (
      UPDATE alerts n SET routed_at = NULL, route_attempts = 0, route_next_at = now(), route_error = NULL
      FROM retried r
      WHERE r.status = 'firing' AND r.resolved_at IS NOT NULL AND r.source_key IS NOT NULL
        AND n.company_id = r.company_id AND n.source_key = r.source_key AND n.status = 'resolved'
        AND n.received_at >= r.received_at AND n.incident_id IS NULL AND n.routed_at IS NOT NULL
        AND n.dead_lettered_at IS NULL
      RETURNING 1
    )
    SELECT count(*)::int AS n, pg_notify(${ALERT_CHANNEL}, '') FROM retried`;
  return (rows[0] as { n: number } | undefined)?.n ?? 0;
}
