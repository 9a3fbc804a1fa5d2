// The correlation lab over a company's stored alerts (or an uploaded set): a proposed correlation setting run in
// event time through the router's own correlate(), beside the company's current setting and what really happened.
import type { Sql } from '../db/sql.ts';
import { parseCompanySettings, type CompanySettings } from '../domain/company-settings.ts';
import { correlationConfigOf } from '../domain/correlate.ts';
import {
  compareGroupings,
  replayInhibition,
  simulate,
  type GroupingDiff,
  type LabAlert,
  type LabGroup,
} from '../domain/correlation-lab.ts';
import { Inhibitor, type InhibitionRule } from '../domain/inhibition.ts';
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
  alerts?: Array<{
    id?: string | null;
    at: string;
    asset: string;
    signature: string;
    tool: string;
    labels?: unknown;
    severity?: string | null;
    resolvedAt?: string | null;
  }>;
}

export interface LabRunSummary {
  incidentCount: number;
  heldAlerts: number;
  inhibitedAlerts: number;
  noiseReduction: number;
}

/** One of the company's inhibition rules and how many of the replayed alerts it held. */
export interface LabInhibitionRule {
  ruleId: string;
  name: string;
  inhibitedAlerts: number;
  /** Why it holds nothing (a pattern RE2 refuses), or null. */
  invalidReason: string | null;
}

export interface LabInhibitedAlert {
  alertId: string;
  ruleId: string;
  ruleName: string;
  sourceAlertId: string;
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
  /** The company's inhibition rules and what each held under the proposed setting. */
  inhibitionRules: LabInhibitionRule[];
  /** The alerts they held, in event time (at most 100). */
  inhibited: LabInhibitedAlert[];
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

  let alerts: LabAlert[];
  let earlier: LabAlert[] = [];
  let happened: Map<string, string> | null = null;
  let truncated = false;
  const rules = await inhibitionRules(sql, input.companyId);
  const inhibitor = new Inhibitor(rules);
  if (input.alerts) {
    if (input.alerts.length > LAB_MAX_ALERTS) {
      throw invalid([{ field: 'alerts', message: `at most ${LAB_MAX_ALERTS} alerts a run` }]);
    }
    alerts = input.alerts.map((a, i) => uploaded(a, i));
  } else {
    // Muted alerts page nobody whatever the grouping, so the lab leaves them out like the router does. Inhibited
    // ones are kept: the replay judges them again under the rules as they are now.
    const rows = await sql<Array<LabAlert & { incidentId: string | null }>>`
      SELECT id, (extract(epoch FROM received_at) * 1000)::float8 AS at, asset_name AS asset, signature,
        tool_source AS tool, labels, severity, (extract(epoch FROM resolved_at) * 1000)::float8 AS "resolvedAt",
        source_key IS NOT NULL AS keyed, incident_id AS "incidentId"
      FROM alerts
      WHERE company_id = ${input.companyId} AND muted_by IS NULL AND status = 'firing'
        AND received_at >= ${new Date(from).toISOString()} AND received_at < ${new Date(to).toISOString()}
      ORDER BY received_at DESC LIMIT ${LAB_MAX_ALERTS + 1}`;
    truncated = rows.length > LAB_MAX_ALERTS;
    alerts = rows.slice(0, LAB_MAX_ALERTS);
    happened = new Map(rows.flatMap((r) => (r.incidentId ? [[r.id, r.incidentId] as [string, string]] : [])));
    if (!inhibitor.empty && alerts.length) earlier = await firingBefore(sql, input.companyId, alerts);
  }

  // Each setting's own window bounds how long a source without a source identity counts, so each replays its own.
  const inhibited = replayInhibition(alerts, inhibitor, { windowMs: proposedConfig.windowMinutes * 60_000, earlier });
  const inhibitedNow = replayInhibition(alerts, inhibitor, { windowMs: currentConfig.windowMinutes * 60_000, earlier });
  const proposed = simulate(alerts, proposedConfig, inhibited);
  const current = simulate(alerts, currentConfig, inhibitedNow);
  const summary = (r: typeof proposed): LabRunSummary => ({
    incidentCount: r.incidentCount,
    heldAlerts: r.heldAlerts,
    inhibitedAlerts: r.inhibitedAlerts,
    noiseReduction: r.noiseReduction,
  });
  const held = new Map<string, number>();
  for (const i of inhibited.values()) held.set(i.ruleId, (held.get(i.ruleId) ?? 0) + 1);
  const invalidReason = new Map(inhibitor.invalid().map((p) => [p.ruleId, p.problem]));
  const ruleName = new Map(rules.map((r) => [r.id, r.name]));
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
    inhibitionRules: rules.map((r) => ({
      ruleId: r.id,
      name: r.name,
      inhibitedAlerts: held.get(r.id) ?? 0,
      invalidReason: invalidReason.get(r.id) ?? null,
    })),
    // A Map keeps the replay's order: event time.
    inhibited: [...inhibited]
      .slice(0, 100)
      .map(([alertId, i]) => ({ alertId, ...i, ruleName: ruleName.get(i.ruleId) ?? '' })),
  };
}

async function inhibitionRules(sql: Sql, companyId: string): Promise<InhibitionRule[]> {
  return sql<InhibitionRule[]>`
    SELECT id, name, source_matchers AS "sourceMatchers", target_matchers AS "targetMatchers", equal
    FROM inhibition_rules WHERE company_id = ${companyId} ORDER BY created_at, id`;
}

/** Sources that fired before the first replayed alert and still fired at it: a host down since yesterday. */
const EARLIER_SOURCES = 2_000;
async function firingBefore(sql: Sql, companyId: string, alerts: LabAlert[]): Promise<LabAlert[]> {
  const first = new Date(alerts.reduce((min, a) => Math.min(min, a.at), Infinity)).toISOString();
  return sql<LabAlert[]>`
    SELECT id, (extract(epoch FROM received_at) * 1000)::float8 AS at, asset_name AS asset, signature,
      tool_source AS tool, labels, severity, (extract(epoch FROM resolved_at) * 1000)::float8 AS "resolvedAt",
      source_key IS NOT NULL AS keyed
    FROM alerts
    WHERE company_id = ${companyId} AND muted_by IS NULL AND status = 'firing'
      AND received_at < ${first} AND received_at >= ${first}::timestamptz - interval '7 days'
      AND (resolved_at IS NULL OR resolved_at > ${first})
    ORDER BY received_at DESC LIMIT ${EARLIER_SOURCES}`;
}

function uploaded(a: NonNullable<LabInput['alerts']>[number], i: number): LabAlert {
  const at = Date.parse(a.at);
  const resolvedAt = a.resolvedAt ? Date.parse(a.resolvedAt) : null;
  const problem = (message: string) => invalid([{ field: `alerts.${i}`, message }]);
  if (Number.isNaN(at)) throw problem('`at` must be an ISO time');
  if (resolvedAt !== null && (Number.isNaN(resolvedAt) || resolvedAt < at)) {
    throw problem('`resolvedAt` must be an ISO time at or after `at`');
  }
  if (!a.asset || !a.signature || !a.tool) throw problem('needs asset, signature and tool');
  const labels =
    a.labels && typeof a.labels === 'object' && !Array.isArray(a.labels)
      ? Object.fromEntries(Object.entries(a.labels as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : {};
  // A tool that sends no severity is taken as medium, as the receivers take it (api/receivers/mapping.ts).
  const severity = a.severity || 'medium';
  // An uploaded alert that says when it recovered counts as a source until then; one that does not, like a stored
  // alert without a source identity, only within the correlation window.
  return {
    id: a.id || `upload-${i}`,
    at,
    resolvedAt,
    keyed: resolvedAt !== null,
    asset: a.asset,
    signature: a.signature,
    tool: a.tool,
    labels,
    severity,
  };
}
