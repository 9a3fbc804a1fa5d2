// Inhibition in the router's placement (domain/inhibition.ts): a firing target alert that a firing source alert of
// its company inhibits is stored with why, attached to the source's incident (or, while that has not opened, linked
// when it does: db/migrations/027_inhibition_rules.sql), taken off the queue, and kept out of correlation: it opens no
// incident and pages nobody. Reads are bounded: the claim's companies' rules in one query, and the possible sources
// in one more, only when a claimed alert is some rule's target.
import type { TransactionSql } from '../../db/sql.ts';
import { INCIDENT_CHANNEL } from '../../db/channels.ts';
import { Inhibitor, type InhibitableAlert, type InhibitionRule } from '../../domain/inhibition.ts';
import { PatternCache } from '../../domain/matchers.ts';
import type { Matcher } from '../../domain/silences.ts';
import type { ClaimedAlert } from './queue.ts';

/** Sources read per claim, newest first: far more than any company has firing at the top of its alert tree. */
const MAX_SOURCES = 2_000;

export interface InhibitedBy {
  ruleId: string;
  ruleName: string;
  sourceAlertId: string;
}

interface SourceRow {
  id: string;
  companyId: string;
  assetName: string;
  signature: string;
  toolSource: string;
  severity: string;
  labels: Record<string, string> | null;
  receivedAt: string;
  /** It has a source identity, so it can be resolved at source; without one it counts within the window only. */
  keyed: boolean;
}

type Source = InhibitableAlert & { companyId: string; keyed: boolean };

const SQL_COLUMN: Record<string, string> = {
  asset: 'asset_name',
  signature: 'signature',
  tool: 'tool_source',
  severity: 'severity',
};

/**
 * What a rule's source must equal, as SQL: its `=` matchers (a missing label reads as ''). A rule with none cannot
 * narrow the read, and then no rule does.
 */
function narrowing(tx: TransactionSql, companyId: string, matchers: Matcher[]) {
  const equal = matchers.filter((m) => m.op === '=');
  if (equal.length === 0) return null;
  let cond = tx`a.company_id = ${companyId}`;
  for (const m of equal) {
    const column = SQL_COLUMN[m.field];
    cond = column
      ? tx`${cond} AND a.${tx(column)} = ${m.value}`
      : tx`${cond} AND coalesce(a.labels->>${m.field.slice('label:'.length)}, '') = ${m.value}`;
  }
  return cond;
}

const inhibitable = (a: {
  id: string;
  assetName: string;
  signature: string;
  toolSource: string;
  severity: string;
  labels: Record<string, string> | null;
  receivedAt: string;
}): InhibitableAlert => ({
  id: a.id,
  at: Date.parse(a.receivedAt),
  asset: a.assetName,
  signature: a.signature,
  tool: a.toolSource,
  severity: a.severity,
  labels: a.labels ?? {},
});

/**
 * Which of the claim's alerts (not muted, not yet placed) an inhibition holds, with why. A source counts while it
 * fires and is not resolved at source, is in an open incident or a group waiting for one (or in this claim), and,
 * without a source identity, was received within its company's correlation window of the target. Within the claim,
 * alerts are first judged against the stored sources; then, oldest first, against the claim's own alerts as well,
 * where one that inhibits another is not itself inhibited later in the claim (so no chain waits on a source that
 * was itself held).
 */
export async function judgeInhibitions(
  tx: TransactionSql,
  candidates: ClaimedAlert[],
  windowMsOf: (companyId: string) => number,
): Promise<Map<string, InhibitedBy>> {
  const held = new Map<string, InhibitedBy>();
  if (candidates.length === 0) return held;
  const companies = [...new Set(candidates.map((a) => a.companyId))];
  const rules = await tx<(InhibitionRule & { companyId: string })[]>`
    SELECT id, company_id AS "companyId", name, source_matchers AS "sourceMatchers",
      target_matchers AS "targetMatchers", equal
    FROM inhibition_rules WHERE company_id = ANY(${companies}) ORDER BY created_at, id`;
  if (rules.length === 0) return held;

  const cache = new PatternCache();
  const inhibitors = new Map<string, Inhibitor>();
  for (const companyId of companies) {
    const own = rules.filter((r) => r.companyId === companyId);
    const inhibitor = new Inhibitor(own, cache);
    if (!inhibitor.empty) inhibitors.set(companyId, inhibitor);
  }
  const claim = candidates
    .filter((a) => inhibitors.has(a.companyId))
    .map((a) => ({ alert: a, item: { ...inhibitable(a), companyId: a.companyId, keyed: a.sourceKey !== null } }));
  const targeted = [...inhibitors].filter(([companyId, inh]) =>
    candidates.some((a) => a.companyId === companyId && inh.isTarget(mutableOf(a))),
  );
  if (targeted.length === 0) return held;

  const stored = await readSources(
    tx,
    rules,
    targeted.map(([c]) => c),
    candidates,
    windowMsOf,
  );
  const names = new Map(rules.map((r) => [r.id, r.name]));
  for (const [companyId, inhibitor] of targeted) {
    const window = windowMsOf(companyId);
    const own = claim.filter((c) => c.alert.companyId === companyId);
    const storedOwn: Source[] = stored.filter((s) => s.companyId === companyId);
    const all: Source[] = [...storedOwn, ...own.map((c) => c.item)];
    const usedAsSource = new Set<string>();
    const inTime = (target: InhibitableAlert, s: Source) =>
      s.keyed || Math.abs((target.at ?? 0) - (s.at ?? 0)) <= window;
    const hold = (a: ClaimedAlert, v: { ruleId: string; sourceAlertId: string }) =>
      held.set(a.id, { ...v, ruleName: names.get(v.ruleId) ?? '' });
    // First the stored sources alone: what they hold is held whatever else the claim brings.
    for (const { alert, item } of own) {
      const v = inhibitor.inhibitedBy(item, storedOwn, (s) => inTime(item, s as Source));
      if (v) hold(alert, v);
    }
    // Then the claim's own alerts as sources too, oldest target first.
    for (const { alert, item } of own.sort(
      (x, y) => (x.item.at ?? 0) - (y.item.at ?? 0) || x.item.id.localeCompare(y.item.id),
    )) {
      if (held.has(alert.id) || usedAsSource.has(alert.id)) continue;
      const v = inhibitor.inhibitedBy(item, all, (s) => !held.has(s.id) && inTime(item, s as Source));
      if (!v) continue;
      hold(alert, v);
      usedAsSource.add(v.sourceAlertId);
    }
  }
  return held;
}

function mutableOf(a: ClaimedAlert) {
  return { asset: a.assetName, signature: a.signature, tool: a.toolSource, severity: a.severity, labels: a.labels };
}

/** The companies' possible sources (not the claim's), newest first, narrowed by the rules' `=` matchers. */
async function readSources(
  tx: TransactionSql,
  rules: Array<InhibitionRule & { companyId: string }>,
  companies: string[],
  claim: ClaimedAlert[],
  windowMsOf: (companyId: string) => number,
): Promise<Source[]> {
  const own = rules.filter((r) => companies.includes(r.companyId));
  // A fresh fragment for each use: the statement below takes it twice.
  const narrow = () => {
    const terms = own.map((r) => narrowing(tx, r.companyId, r.sourceMatchers));
    if (terms.some((t) => t === null)) return tx`true`;
    let cond = tx`(${terms[0]!})`;
    for (const t of terms.slice(1)) cond = tx`${cond} OR (${t!})`;
    return cond;
  };
  // A source without a source identity counts within the window of a target; the claim's earliest bounds them all.
  const earliest = Math.min(...claim.map((a) => Date.parse(a.receivedAt)));
  const since = companies.map((c) => new Date(earliest - windowMsOf(c)).toISOString());
  const claimIds = claim.map((x) => x.id);
  const branch = (keyed: boolean) => tx`
    SELECT a.id, a.company_id AS "companyId", a.asset_name AS "assetName", a.signature, a.tool_source AS "toolSource",
      a.severity, a.labels, a.received_at AS "receivedAt", ${keyed} AS keyed
    FROM alerts a JOIN unnest(${companies}::text[], ${since}::timestamptz[]) AS w(company_id, since)
      ON w.company_id = a.company_id
    WHERE a.status = 'firing' AND a.resolved_at IS NULL AND a.muted_by IS NULL AND a.dead_lettered_at IS NULL
      AND ${keyed ? tx`a.source_key IS NOT NULL` : tx`a.source_key IS NULL AND a.received_at >= w.since`}
      AND NOT (a.id = ANY(${claimIds}))
      AND (${narrow()})
      AND (
        -- In an open incident (attached by inhibition too: a chain across claims).
        (a.incident_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id AND i.status <> 'resolved'))
        -- Or placed in a group whose incident has not resolved (it may still be opening, or held below its minimum).
        OR (a.incident_id IS NULL AND a.group_id IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM correlation_groups g JOIN incidents i ON i.workflow_id = g.workflow_id
          WHERE g.id = a.group_id AND i.status = 'resolved'))
      )`;
  // Two branches, each on an index that exists for other reads: the open alerts by source identity
  // (alerts_open_by_source), and the company's alerts of the window (alerts_page).
  const rows = await tx<SourceRow[]>`
    SELECT * FROM (${branch(true)} UNION ALL ${branch(false)}) s
    ORDER BY "receivedAt" DESC, id LIMIT ${MAX_SOURCES}`;
  return rows.map((r) => ({ ...inhibitable(r), companyId: r.companyId, keyed: r.keyed }));
}

/**
 * Writes the held alerts: why, routed (done), and attached to their source's incident: its own, or its group's once
 * that exists and is open; otherwise the incident's insert links them (the migration's trigger). One statement.
 */
export async function writeInhibitions(tx: TransactionSql, held: Map<string, InhibitedBy>): Promise<void> {
  if (held.size === 0) return;
  const rows = [...held];
  // An open incident page shows its held alerts: each incident that gained some is told at commit, as repeats are.
  await tx`
    WITH held AS (
      UPDATE alerts t SET inhibited_by = v.why::jsonb, inhibition_released_at = NULL, routed_at = now(),
        route_error = NULL, group_id = NULL, correlation = NULL,
        incident_id = (
          SELECT COALESCE(
            (SELECT i.id FROM incidents i WHERE i.id = s.incident_id AND i.status <> 'resolved'),
            (SELECT i.id FROM correlation_groups g JOIN incidents i ON i.workflow_id = g.workflow_id
              WHERE g.id = s.group_id AND i.status <> 'resolved' ORDER BY i.created_at DESC LIMIT 1))
          FROM alerts s WHERE s.id = v.source)
      FROM unnest(${rows.map(([id]) => id)}::text[], ${rows.map(([, v]) => JSON.stringify(v))}::text[],
        ${rows.map(([, v]) => v.sourceAlertId)}::text[]) AS v(id, why, source)
      WHERE t.id = v.id
      RETURNING t.incident_id
    )
    SELECT pg_notify(${INCIDENT_CHANNEL}, i.incident_id)
    FROM (SELECT DISTINCT incident_id FROM held WHERE incident_id IS NOT NULL) i`;
}
