// Search and cursor paging over incidents and alerts, newest first, always inside the caller's scope (inScope of
// incident-queries.ts). Each page is read in two steps: the keys of the page (filters, order, the cursor), then the
// rows by id. The key is the timestamp as PostgreSQL stores it (microseconds): JavaScript's milliseconds would
// skip or repeat rows created within the same millisecond.
import type { Sql } from '../db/sql.ts';
import {
  containsPattern,
  decodeCursor,
  pageSize,
  timeRange,
  toPage,
  type CursorKey,
  type Page,
} from '../domain/paging.ts';
import type { IncidentStatus, Severity } from '../domain/types.ts';
import {
  alertColumns,
  fromRow,
  inScope,
  selectIncidents,
  type AlertRecord,
  type IncidentRecord,
  type IncidentRow,
} from './incident-queries.ts';

export interface IncidentSearch {
  /** Found in the asset, the signature or any alert message of the incident, literally and case-insensitively. */
  text?: string | null;
  companyId?: string | null;
  status?: IncidentStatus | null;
  severity?: Severity | null;
  assigneeId?: string | null;
  /** Created at or after. */
  from?: string | null;
  /** Created before. */
  to?: string | null;
}

export interface AlertSearch {
  /** Found in the message, the asset or the signature. */
  text?: string | null;
  companyId?: string | null;
  severity?: Severity | null;
  toolSource?: string | null;
  /** true: muted alerts only; false: the ones that were not muted. */
  muted?: boolean | null;
  /** Received at or after. */
  from?: string | null;
  /** Received before. */
  to?: string | null;
  /** Only the alerts of one incident (Incident.alertsConnection). */
  incidentId?: string | null;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

// The order key as text, microseconds included, in UTC whatever the session's time zone.
const KEY_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** What joins the fields in an alert's search text (alert_search_text, migration 030): a match must not span it. */
const FIELD_SEPARATOR = '\u001f';

/**
 * The text found in the message, the asset or the signature. It is looked for in the alert's search row (migration
 * 030: the three fields joined, kept off the alert row so that routing updates do not rewrite its trigrams), which
 * contains a pattern whenever one field does: its index finds the candidates and, unless the text holds the
 * separator (a control character no one types, but GraphQL accepts), decides alone; with it, the fields are tested
 * one by one as well. The scope and the other filters stay on the alert itself.
 */
function alertTextMatch(sql: Sql, text: string) {
  const joined = sql`AND EXISTS (SELECT 1 FROM alert_search s WHERE s.alert_id = a.id AND s.body ILIKE ${text})`;
  if (!text.includes(FIELD_SEPARATOR)) return joined;
  return sql`${joined} AND (a.message ILIKE ${text} OR a.asset_name ILIKE ${text} OR a.signature ILIKE ${text})`;
}

/** The scope narrowed to one company when the filter names one: another company's id simply matches nothing. */
function narrow(scope: string[] | null, companyId: string | null | undefined): string[] | null {
  if (!companyId) return scope;
  return scope === null || scope.includes(companyId) ? [companyId] : [];
}

export async function searchIncidents(
  sql: Sql,
  scope: string[] | null,
  filter: IncidentSearch,
  page: PageArgs,
): Promise<Page<IncidentRecord>> {
  const size = pageSize(page.first);
  const after = page.after ? decodeCursor(page.after) : null;
  const text = containsPattern(filter.text, 'filter.text');
  const range = timeRange(filter.from, filter.to);
  const scoped = narrow(scope, filter.companyId);
  // Under the OR, PostgreSQL runs the alerts' EXISTS either per incident (by alerts_incident) or once for all of them
  // (a hashed subplan): the search text (migration 030), which contains the pattern whenever the message does, gives
  // the latter the trigram index that the alert row no longer has, instead of reading every alert.
  const keys = await sql<CursorKey[]>`
    SELECT i.id, to_char(i.created_at AT TIME ZONE 'UTC', ${KEY_FORMAT}) AS at
    FROM incidents i
    WHERE ${inScope(sql, scoped)}
      ${filter.status ? sql`AND i.status = ${filter.status}` : sql``}
      ${filter.severity ? sql`AND i.severity = ${filter.severity}` : sql``}
      ${filter.assigneeId ? sql`AND i.assignee_id = ${filter.assigneeId}` : sql``}
      ${range.from ? sql`AND i.created_at >= ${range.from}` : sql``}
      ${range.to ? sql`AND i.created_at < ${range.to}` : sql``}
      ${
        text
          ? sql`AND (i.asset_name ILIKE ${text} OR i.signature ILIKE ${text} OR EXISTS (
              SELECT 1 FROM alerts a JOIN alert_search s ON s.alert_id = a.id
              WHERE a.incident_id = i.id AND a.company_id = i.company_id
                AND s.body ILIKE ${text} AND a.message ILIKE ${text}))`
          : sql``
      }
      ${after ? sql`AND (i.created_at, i.id) < (${after.at}::timestamptz, ${after.id})` : sql``}
    ORDER BY i.created_at DESC, i.id DESC
    LIMIT ${size + 1}`;
  const ids = keys.map((k) => k.id);
  const rows = keys.length
    ? await sql<IncidentRow[]>`${selectIncidents(sql)} WHERE i.id = ANY(${ids}) AND ${inScope(sql, scoped)}`
    : [];
  const byId = new Map(rows.map((r) => [r.id, fromRow(r)]));
  return toPage(keys, size, (k) => byId.get(k.id));
}

export async function searchAlerts(
  sql: Sql,
  scope: string[] | null,
  filter: AlertSearch,
  page: PageArgs,
): Promise<Page<AlertRecord>> {
  const size = pageSize(page.first);
  const after = page.after ? decodeCursor(page.after) : null;
  const text = containsPattern(filter.text, 'filter.text');
  const range = timeRange(filter.from, filter.to);
  const scoped = narrow(scope, filter.companyId);
  const rows = await sql<Array<AlertRecord & { key: string }>>`
    SELECT to_char(a.received_at AT TIME ZONE 'UTC', ${KEY_FORMAT}) AS key, ${alertColumns(sql)}
    WHERE ${scoped === null ? sql`true` : sql`a.company_id = ANY(${scoped})`}
      ${filter.severity ? sql`AND a.severity = ${filter.severity}` : sql``}
      ${filter.incidentId ? sql`AND a.incident_id = ${filter.incidentId}` : sql``}
      ${filter.toolSource ? sql`AND a.tool_source = ${filter.toolSource}` : sql``}
      ${filter.muted === true ? sql`AND a.muted_by IS NOT NULL` : sql``}
      ${filter.muted === false ? sql`AND a.muted_by IS NULL` : sql``}
      ${range.from ? sql`AND a.received_at >= ${range.from}` : sql``}
      ${range.to ? sql`AND a.received_at < ${range.to}` : sql``}
      ${text ? alertTextMatch(sql, text) : sql``}
      ${after ? sql`AND (a.received_at, a.id) < (${after.at}::timestamptz, ${after.id})` : sql``}
    ORDER BY a.received_at DESC, a.id DESC
    LIMIT ${size + 1}`;
  const byId = new Map(rows.map(({ key: _key, ...alert }) => [alert.id, alert]));
  return toPage(
    rows.map((r) => ({ at: r.key, id: r.id })),
    size,
    (k) => byId.get(k.id),
  );
}
