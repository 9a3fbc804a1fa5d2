// The correlation lab over a company's stored alerts (or an uploaded set): a proposed correlation setting run in
// event time through the router's own correlate(), beside the company's current setting and what really happened.
import type { Sql } from '../db/sql.ts';
import { parseCompanySettings, type CompanySettings } from '../domain/company-settings.ts';
import { correlationConfigOf, type CorrelationAlert } from '../domain/correlate.ts';
import { compareGroupings, simulate, type GroupingDiff, type LabGroup } from '../domain/correlation-lab.ts';
import type { AuthUser } from './auth.ts';
import { requireCompanyMember } from './tenants/access.ts';
import { invalid } from './tenants/errors.ts';

/** Alerts one run looks at: a day of a busy company, in well under a second. */
export const LAB_MAX_ALERTS = 20_000;
const DAY_MS = 86_400_000;

export interface LabInput {
  companyId: string;
  /** The proposed `correlation` settings; unset keys keep the company's current ones. */
  settings: Record<string, unknown>;
  from?: string | null;
  to?: string | null;
  /** Instead of stored alerts: a set to try (no "what happened" to compare with). */
  alerts?: Array<{ id?: string | null; at: string; asset: string; signature: string; tool: string; labels?: unknown }>;
}

export interface LabRunSummary {
  incidentCount: number;
  heldAlerts: number;
  noiseReduction: number;
}

export interface LabResult {
  alertCount: number;
  /** True when the window held more alerts than one run takes: the latest LAB_MAX_ALERTS were used. */
  truncated: boolean;
  from: string;
  to: string;
  proposed: LabRunSummary;
  current: LabRunSummary;
  /** Incidents that really opened from these alerts; null for an uploaded set. */
  happenedIncidentCount: number | null;
  diff: GroupingDiff | null;
  /** The proposal's incidents, largest first (at most 100). */
  groups: LabGroup[];
}

export async function runCorrelationLab(sql: Sql, user: AuthUser, input: LabInput): Promise<LabResult> {
  requireCompanyMember(user, input.companyId);
  const [company] = await sql<{ settings: CompanySettings }[]>`
    SELECT settings FROM companies WHERE id = ${input.companyId}`;
  const stored = company?.settings?.correlation ?? {};
  const parsed = parseCompanySettings({ correlation: { ...stored, ...input.settings } });
  if (!parsed.ok) throw invalid(parsed.errors);
  const proposedConfig = correlationConfigOf(parsed.settings.correlation);
  const currentConfig = correlationConfigOf(stored);

  const to = input.to ? Date.parse(input.to) : Date.now();
  const from = input.from ? Date.parse(input.from) : to - DAY_MS;
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
    throw invalid([{ field: 'from', message: 'must be a time before `to`' }]);
  }
  if (to - from > 31 * DAY_MS) throw invalid([{ field: 'from', message: 'the lab looks at 31 days at most' }]);

  let alerts: CorrelationAlert[];
  let happened: Map<string, string> | null = null;
  let truncated = false;
  if (input.alerts) {
    if (input.alerts.length > LAB_MAX_ALERTS) {
      throw invalid([{ field: 'alerts', message: `at most ${LAB_MAX_ALERTS} alerts a run` }]);
    }
    alerts = input.alerts.map((a, i) => uploaded(a, i));
  } else {
    // Muted alerts page nobody whatever the grouping, so the lab leaves them out like the router does.
    const rows = await sql<Array<CorrelationAlert & { incidentId: string | null }>>`
      SELECT id, (extract(epoch FROM received_at) * 1000)::float8 AS at, asset_name AS asset, signature,
        tool_source AS tool, labels, incident_id AS "incidentId"
      FROM alerts
      WHERE company_id = ${input.companyId} AND muted_by IS NULL AND status = 'firing'
        AND received_at >= ${new Date(from).toISOString()} AND received_at < ${new Date(to).toISOString()}
      ORDER BY received_at DESC LIMIT ${LAB_MAX_ALERTS + 1}`;
    truncated = rows.length > LAB_MAX_ALERTS;
    alerts = rows.slice(0, LAB_MAX_ALERTS);
    happened = new Map(rows.flatMap((r) => (r.incidentId ? [[r.id, r.incidentId] as [string, string]] : [])));
  }

  const proposed = simulate(alerts, proposedConfig);
  const current = simulate(alerts, currentConfig);
  const summary = (r: typeof proposed): LabRunSummary => ({
    incidentCount: r.incidentCount,
    heldAlerts: r.heldAlerts,
    noiseReduction: r.noiseReduction,
  });
  return {
    alertCount: alerts.length,
    truncated,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    proposed: summary(proposed),
    current: summary(current),
    happenedIncidentCount: happened ? new Set(happened.values()).size : null,
    diff: happened ? compareGroupings(happened, proposed) : null,
    groups: proposed.groups
      .filter((g) => g.opened)
      .sort((a, b) => b.alertCount - a.alertCount || a.firstAt - b.firstAt)
      .slice(0, 100),
  };
}

function uploaded(a: NonNullable<LabInput['alerts']>[number], i: number): CorrelationAlert {
  const at = Date.parse(a.at);
  const problem = (message: string) => invalid([{ field: `alerts.${i}`, message }]);
  if (Number.isNaN(at)) throw problem('`at` must be an ISO time');
  if (!a.asset || !a.signature || !a.tool) throw problem('needs asset, signature and tool');
  const labels =
    a.labels && typeof a.labels === 'object' && !Array.isArray(a.labels)
      ? Object.fromEntries(Object.entries(a.labels as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : {};
  return { id: a.id || `upload-${i}`, at, asset: a.asset, signature: a.signature, tool: a.tool, labels };
}
