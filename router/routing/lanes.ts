// Where each lane of a pass goes, read in one statement just before the router signals: the lane's open incident,
// or, when the lane's group or incident was merged (by a person, or into a host fault's), the incident it was merged
// into, so alerts placed before the merge do not reach the closed source and open a new run of its key. What this
// read cannot see (a merge committing after it) the merge itself covers: it links the source's unrouted alerts to
// the target before the source closes (router/incident-fold.ts), and a run never opens an incident from alerts
// another incident owns (workflows/incident-open.ts). The same read returns the claim's alerts a merge linked
// meanwhile: they are done, and sending them would count them twice.
import type { Sql } from '../../db/sql.ts';
import type { OpenIncident } from '../../domain/coalescing.ts';
import type { PlacedAlert } from './placement.ts';

/** Merges followed at most: a chain longer than this (or a cycle) stops where it is. */
const MAX_HOPS = 8;

export interface Lane {
  /** The workflow the lane's alerts go to: the lane's own, or the one its incident was merged into. */
  workflowId: string;
  /** The lane's first alert, naming the run should this call start it (the target's key when redirected). */
  first: PlacedAlert;
  /** In arrival order; several source lanes merged into one target make one lane. */
  alerts: PlacedAlert[];
  incident: OpenIncident | null;
}

interface LaneRow {
  lane: string;
  workflowId: string;
  groupKey: string | null;
  assetName: string | null;
  signature: string | null;
  incidentId: string | null;
  severity: OpenIncident['severity'] | null;
  toolSources: string[] | null;
  sourceResolvedAt: string | null;
  linked: string[];
}

/** `routable` in arrival order. Returns the lanes to signal and the alerts already in an incident (done). */
export async function resolveLanes(sql: Sql, routable: PlacedAlert[]): Promise<{ lanes: Lane[]; linked: string[] }> {
  if (routable.length === 0) return { lanes: [], linked: [] };
  const laneIds = [...new Set(routable.map((a) => a.workflowId))];
  const rows = await sql<LaneRow[]>`
    WITH RECURSIVE hop AS (
      SELECT lane, lane AS workflow_id, 0 AS depth FROM unnest(${laneIds}::text[]) AS l(lane)
      UNION ALL
      SELECT h.lane, n.workflow_id, h.depth + 1 FROM hop h
      CROSS JOIN LATERAL (SELECT COALESCE(
        (SELECT t.workflow_id FROM correlation_groups g JOIN correlation_groups t ON t.id = g.merged_into
          WHERE g.workflow_id = h.workflow_id LIMIT 1),
        (SELECT t.workflow_id FROM (
            SELECT merged_into FROM incidents WHERE workflow_id = h.workflow_id ORDER BY created_at DESC LIMIT 1) s
          JOIN incidents t ON t.id = s.merged_into)) AS workflow_id) n
      WHERE n.workflow_id IS NOT NULL AND n.workflow_id <> h.workflow_id AND h.depth < ${MAX_HOPS}
    ), dest AS (
      SELECT DISTINCT ON (lane) lane, workflow_id FROM hop ORDER BY lane, depth DESC
    ), pairs AS (
      SELECT * FROM unnest(${routable.map((a) => a.workflowId)}::text[], ${routable.map((a) => a.id)}::text[])
        AS p(lane, alert_id)
    )
    SELECT d.lane, d.workflow_id AS "workflowId", g.correlation_key AS "groupKey", g.asset_name AS "assetName",
      g.signature, i.id AS "incidentId", i.severity, i.tool_sources AS "toolSources",
      i.source_resolved_at AS "sourceResolvedAt",
      ARRAY(SELECT a.id FROM pairs p JOIN alerts a ON a.id = p.alert_id
        WHERE p.lane = d.lane AND a.incident_id IS NOT NULL) AS linked
    FROM dest d
    LEFT JOIN LATERAL (
      SELECT correlation_key, asset_name, signature FROM correlation_groups
      WHERE workflow_id = d.workflow_id ORDER BY seq DESC LIMIT 1) g ON d.workflow_id <> d.lane
    -- Should two rows of one key be open, the newest is the live run's.
    LEFT JOIN LATERAL (
      SELECT id, severity, tool_sources, source_resolved_at FROM incidents
      WHERE workflow_id = d.workflow_id AND status <> 'resolved' ORDER BY created_at DESC LIMIT 1) i ON true`;

  const byLane = new Map(rows.map((r) => [r.lane, r]));
  const linked = new Set(rows.flatMap((r) => r.linked));
  const lanes = new Map<string, Lane>();
  for (const a of routable) {
    if (linked.has(a.id)) continue;
    const row = byLane.get(a.workflowId)!;
    let lane = lanes.get(row.workflowId);
    if (!lane) {
      // Redirected: a run this call starts is the target's, under the target group's key.
      const first: PlacedAlert =
        row.workflowId === a.workflowId || row.groupKey === null
          ? a
          : {
              ...a,
              workflowId: row.workflowId,
              groupKey: row.groupKey,
              assetName: row.assetName ?? a.assetName,
              signature: row.signature ?? a.signature,
            };
      const incident: OpenIncident | null = row.incidentId
        ? {
            id: row.incidentId,
            severity: row.severity!,
            toolSources: row.toolSources ?? [],
            sourceResolved: row.sourceResolvedAt !== null,
          }
        : null;
      lane = { workflowId: row.workflowId, first, alerts: [], incident };
      lanes.set(row.workflowId, lane);
    }
    lane.alerts.push(a);
  }
  return { lanes: [...lanes.values()], linked: [...linked] };
}
