// An incident's timeline by cursor, newest first: a storm's incident records thousands of events, and a page of
// them is what a detail page shows. The cursor holds the event's seq and the incident's id, so a cursor of another
// incident's timeline is refused rather than read here. (Its alerts page through searchAlerts with incidentId.)
import type { Sql } from '../db/sql.ts';
import { decodeCursor, pageSize, PagingInputError, toPage, type Page } from '../domain/paging.ts';
import type { TimelineRecord } from './incident-queries.ts';
import type { PageArgs } from './search-queries.ts';

export async function timelinePage(sql: Sql, incidentId: string, page: PageArgs): Promise<Page<TimelineRecord>> {
  const size = pageSize(page.first);
  const after = page.after ? decodeCursor(page.after) : null;
  const before = after ? Number(after.at) : null;
  if (after && (!Number.isSafeInteger(before) || after.id !== incidentId)) {
    throw new PagingInputError('after', "after is not a cursor of this incident's timeline");
  }
  const rows = await sql<TimelineRecord[]>`
    SELECT seq, kind, message, actor, created_at AS "createdAt" FROM incident_events
    WHERE incident_id = ${incidentId} ${before === null ? sql`` : sql`AND seq < ${before}`}
    ORDER BY seq DESC LIMIT ${size + 1}`;
  const bySeq = new Map(rows.map((r) => [String(r.seq), r]));
  return toPage(
    rows.map((r) => ({ at: String(r.seq), id: incidentId })),
    size,
    (k) => bySeq.get(k.at),
  );
}
