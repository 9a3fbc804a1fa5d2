// Resolve at source. A resolved notification (Alertmanager "resolved", CloudWatch OK, Datadog Recovered...)
// marks the firing alerts of the same source identity resolved; an open incident none of whose alerts is
// still firing is told so, and its company's setting decides whether that resolves it. A resolution that arrives
// while its firing alert is still in the router's queue (a retry delay, an outage) waits for it, so it is applied to
// the incident that alert opens.
import { releaseInhibited } from '../../db/inhibited-alerts.ts';
import type { Sql } from '../../db/sql.ts';
import type { ClaimedAlert } from './queue.ts';

export interface ResolutionOutcome {
  /** Open incidents with no firing alert left: the workflow is told (signal sourceResolved). */
  recovered: Array<{ incidentId: string; workflowId: string; resolvedAt: string }>;
  /** Resolve notifications handled, with the open incident each one concerned (mark them routed once it is told). */
  done: Array<{ id: string; incidentId: string | null }>;
  /** Resolve notifications whose firing alerts are routed but not yet linked to their incident: try again shortly. */
  waiting: string[];
  /**
   * Resolve notifications whose firing alerts are still queued for routing: try again, not counted against them,
   * for as long as those alerts are queued (their own retries and dead letter bound that).
   */
  queued: string[];
}

/** Why a resolution in `queued` waits. */
export const WAITING_FOR_ROUTING = 'Waiting for the alerts it resolves to be routed';

export async function applyResolutions(sql: Sql, notes: ClaimedAlert[]): Promise<ResolutionOutcome> {
  const outcome: ResolutionOutcome = { recovered: [], done: [], waiting: [], queued: [] };
  const keyed = notes.filter((n) => n.sourceKey);
  // Without a source identity a resolution cannot say what recovered; it is stored and shown, nothing more.
  outcome.done.push(...notes.filter((n) => !n.sourceKey).map((n) => ({ id: n.id, incidentId: null })));
  if (keyed.length === 0) return outcome;
  const col = <K extends keyof ClaimedAlert>(k: K) => keyed.map((n) => n[k]);

  return sql.begin(async (tx) => {
    // Only alerts that fired before the resolution: a firing alert after it is the problem coming back.
    const resolved = await tx<{ id: string }[]>`
      UPDATE alerts f SET resolved_at = r.received_at
      FROM unnest(${col('companyId')}::text[], ${col('sourceKey') as string[]}::text[], ${col('receivedAt')}::timestamptz[])
        AS r(company_id, source_key, received_at)
      WHERE f.company_id = r.company_id AND f.source_key = r.source_key AND f.status = 'firing'
        AND f.resolved_at IS NULL AND f.received_at <= r.received_at
      RETURNING f.id`;
    // The alerts these sources inhibited go back to be routed: another source may still hold them, or they open
    // their own incident.
    await releaseInhibited(tx, { sourceAlertIds: resolved.map((r) => r.id) });
    // Per notification: the open incidents its firing alerts belong to, and whether any is not linked yet.
    const rows = await tx<
      {
        id: string;
        incidentId: string | null;
        workflowId: string | null;
        unlinked: boolean;
        queued: boolean;
        assetName: string | null;
        signature: string | null;
        aggregationKey: string | null;
      }[]
    >`
      SELECT r.id,
        (SELECT i.id FROM alerts f JOIN incidents i ON i.id = f.incident_id
          WHERE f.company_id = r.company_id AND f.source_key = r.source_key AND f.status = 'firing' AND i.status <> 'resolved'
            AND NOT (f.inhibited_by IS NOT NULL AND f.inhibition_released_at IS NULL)
          ORDER BY i.created_at DESC LIMIT 1) AS "incidentId",
        (SELECT i.workflow_id FROM alerts f JOIN incidents i ON i.id = f.incident_id
          WHERE f.company_id = r.company_id AND f.source_key = r.source_key AND f.status = 'firing' AND i.status <> 'resolved'
            AND NOT (f.inhibited_by IS NOT NULL AND f.inhibition_released_at IS NULL)
          ORDER BY i.created_at DESC LIMIT 1) AS "workflowId",
        EXISTS (SELECT 1 FROM alerts f
          WHERE f.company_id = r.company_id AND f.source_key = r.source_key AND f.status = 'firing'
            AND f.incident_id IS NULL AND f.dead_lettered_at IS NULL AND f.received_at <= r.received_at
            -- Muted alerts, inhibited ones and those held below a minimum count join no incident of their own.
            AND f.muted_by IS NULL AND NOT (f.inhibited_by IS NOT NULL AND f.inhibition_released_at IS NULL)
            AND (f.group_id IS NULL OR EXISTS (
              SELECT 1 FROM correlation_groups g WHERE g.id = f.group_id AND g.opened_at IS NOT NULL))) AS unlinked,
        EXISTS (SELECT 1 FROM alerts f
          WHERE f.company_id = r.company_id AND f.source_key = r.source_key AND f.status = 'firing'
            AND f.routed_at IS NULL AND f.incident_id IS NULL AND f.dead_lettered_at IS NULL
            AND f.received_at <= r.received_at) AS queued,
        (SELECT f.asset_name FROM alerts f WHERE f.company_id = r.company_id AND f.source_key = r.source_key
          AND f.status = 'firing' ORDER BY f.received_at DESC LIMIT 1) AS "assetName",
        (SELECT f.signature FROM alerts f WHERE f.company_id = r.company_id AND f.source_key = r.source_key
          AND f.status = 'firing' ORDER BY f.received_at DESC LIMIT 1) AS "signature",
        (SELECT f.aggregation_key FROM alerts f WHERE f.company_id = r.company_id AND f.source_key = r.source_key
          AND f.status = 'firing' ORDER BY f.received_at DESC LIMIT 1) AS "aggregationKey"
      FROM unnest(${col('id')}::text[], ${col('companyId')}::text[], ${col('sourceKey') as string[]}::text[],
                  ${col('receivedAt')}::timestamptz[]) AS r(id, company_id, source_key, received_at)`;
    const tries = new Map(keyed.map((n) => [n.id, n.routeAttempts]));
    const finished = rows.filter((r) => !r.unlinked || (!r.queued && (tries.get(r.id) ?? 0) >= MAX_LINK_WAITS));
    for (const r of rows.filter((x) => !finished.includes(x))) (r.queued ? outcome.queued : outcome.waiting).push(r.id);
    if (finished.length > 0) {
      // A notification that carried only its identity (a PagerDuty resolve) takes the asset and signature it resolved.
      await tx`
        UPDATE alerts a SET incident_id = v.incident_id,
          asset_name = CASE WHEN a.asset_name = '-' AND v.asset_name IS NOT NULL THEN v.asset_name ELSE a.asset_name END,
          signature = CASE WHEN a.signature = '-' AND v.signature IS NOT NULL THEN v.signature ELSE a.signature END,
          aggregation_key = CASE WHEN a.asset_name = '-' AND v.aggregation_key IS NOT NULL THEN v.aggregation_key ELSE a.aggregation_key END
        FROM unnest(${finished.map((r) => r.id)}::text[], ${finished.map((r) => r.incidentId)}::text[],
                    ${finished.map((r) => r.assetName)}::text[], ${finished.map((r) => r.signature)}::text[],
                    ${finished.map((r) => r.aggregationKey)}::text[]) AS v(id, incident_id, asset_name, signature, aggregation_key)
        WHERE a.id = v.id`;
      outcome.done.push(...finished.map((r) => ({ id: r.id, incidentId: r.incidentId })));
    }
    const incidentIds = [...new Set(finished.map((r) => r.incidentId).filter((id): id is string => id !== null))];
    if (incidentIds.length > 0) {
      outcome.recovered = await tx<{ incidentId: string; workflowId: string; resolvedAt: string }[]>`
        SELECT i.id AS "incidentId", i.workflow_id AS "workflowId",
          (SELECT max(resolved_at) FROM alerts WHERE incident_id = i.id) AS "resolvedAt"
        FROM incidents i
        WHERE i.id = ANY(${incidentIds}) AND i.status <> 'resolved' AND i.source_resolved_at IS NULL
          -- Alerts an inhibition attached to it are the source's consequences, not the incident's own: not waited for.
          AND NOT EXISTS (SELECT 1 FROM alerts f
            WHERE f.incident_id = i.id AND f.status = 'firing' AND f.resolved_at IS NULL
              AND NOT (f.inhibited_by IS NOT NULL AND f.inhibition_released_at IS NULL))`;
    }
    return outcome;
  });
}

/** Passes a resolution waits for its firing alerts to be linked before it is applied to what is linked. */
export const MAX_LINK_WAITS = 10;
