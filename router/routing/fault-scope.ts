// What the correlator needs from PostgreSQL to bound host-fault folding (domain/host-fault-scope.ts): which of the
// loaded host faults still fire (their own alerts, not their symptoms), and the claim's companies' recent groups,
// so that a signature firing across the fleet is seen as one storm and not folded into one down host's incident.
import type { TransactionSql } from '../../db/sql.ts';
import { FLEET_WINDOW_MS } from '../../domain/host-fault-scope.ts';
import { isHostFault } from '../../domain/signatures.ts';
import type { GroupRow } from './groups.ts';

export interface Sighting {
  companyId: string;
  asset: string;
  signature: string;
  at: number;
  hostFault: boolean;
}

export interface FaultScope {
  /** Host-fault groups with one of their own alerts still firing. */
  firing: Set<string>;
  sightings: Sighting[];
}

/** The longest window a company may set (domain/correlation-config.ts): a fault older than it covers only if firing. */
const MAX_WINDOW_MS = 60 * 60_000;

/**
 * Reads the scope only when a host fault may take an alert of the claim: one arrives in it, or one of its assets
 * has a fault recent enough or still firing. The storm's hot path (no host fault anywhere near) reads nothing.
 */
export async function loadFaultScope(
  tx: TransactionSql,
  stored: GroupRow[],
  companyIds: string[],
  claimHasFault: boolean,
  earliestAt: number,
): Promise<FaultScope> {
  const faults = stored.filter((g) => g.hostFault && !g.closed);
  const firing = new Set<string>();
  if (faults.length) {
    // Distinct signatures only: a fault's group may hold many symptoms, and one still firing says nothing. A
    // resolution at source sets resolved_at on the alerts it resolves (router/routing/resolutions.ts); an alert with
    // no source identity can never be resolved so, and counts by its window only, or it would hold its host for good.
    const rows = await tx<{ groupId: string; signature: string }[]>`
      SELECT DISTINCT group_id AS "groupId", signature FROM alerts
      WHERE group_id = ANY(${faults.map((g) => g.id)}) AND status = 'firing' AND source_key IS NOT NULL
        AND resolved_at IS NULL`;
    for (const r of rows) if (isHostFault(r.signature)) firing.add(r.groupId);
  }
  const near = faults.some((g) => firing.has(g.id) || Date.parse(g.lastAt) >= earliestAt - MAX_WINDOW_MS);
  if (!claimHasFault && !near) return { firing, sightings: [] };
  const since = new Date(earliestAt - FLEET_WINDOW_MS).toISOString();
  const rows = await tx<{ companyId: string; asset: string; signature: string; lastAt: string; hostFault: boolean }[]>`
    SELECT company_id AS "companyId", asset_name AS asset, signature, last_at AS "lastAt", host_fault AS "hostFault"
    FROM correlation_groups WHERE company_id = ANY(${companyIds}) AND last_at >= ${since}`;
  return {
    firing,
    sightings: rows.map((r) => ({ ...r, at: Date.parse(r.lastAt) })),
  };
}
