// The bell: a person's in-app notification, one per person and event, written by every page (escalation, approval)
// and announced by id on NOTIFICATION_CHANNEL, so the API re-reads it within that person's scope.
import type { Severity } from '../domain/types.ts';
import { NOTIFICATION_CHANNEL } from './channels.ts';
import type { Sql } from './sql.ts';

export interface Bell {
  companyId: string;
  incidentId: string;
  /** With the person, what makes a retried page write nothing twice. */
  eventKey: string;
  kind: 'escalation' | 'approval';
  title: string;
  body: string;
  severity: Severity;
}

/** Writes the bell of each of `userIds` that this event has not rung yet; returns how many this call wrote. */
export async function ringBells(sql: Sql, userIds: string[], bell: Bell): Promise<number> {
  if (userIds.length === 0) return 0;
  const rows = userIds.map((userId) => ({
    user_id: userId,
    company_id: bell.companyId,
    incident_id: bell.incidentId,
    event_key: bell.eventKey,
    kind: bell.kind,
    title: bell.title,
    body: bell.body,
    severity: bell.severity,
  }));
  const inserted = await sql`
    WITH ins AS (
      INSERT INTO notifications ${sql(rows)} ON CONFLICT (user_id, event_key) DO NOTHING RETURNING id
    )
    SELECT pg_notify(${NOTIFICATION_CHANNEL}, id::text) FROM ins`;
  return inserted.length;
}
