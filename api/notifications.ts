// A person's in-app notifications (the bell): always their own, never anyone else's.
import type { Sql } from '../db/sql.ts';

export interface NotificationRecord {
  id: string;
  kind: string;
  title: string;
  body: string;
  severity: string | null;
  companyId: string;
  incidentId: string | null;
  createdAt: string;
  readAt: string | null;
}

const COLUMNS = (sql: Sql) => sql`
  n.id::text AS id, n.kind, n.title, n.body, n.severity, n.company_id AS "companyId",
  n.incident_id AS "incidentId", n.created_at AS "createdAt", n.read_at AS "readAt"`;

// A person who lost a company's membership no longer sees its notifications (an MSP admin sees all).
const STILL_MEMBER = (sql: Sql, userId: string) => sql`
  (EXISTS (SELECT 1 FROM users u WHERE u.id = ${userId} AND u.role = 'msp_admin')
    OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = ${userId} AND m.company_id = n.company_id))`;

export async function listNotifications(
  sql: Sql,
  userId: string,
  opts: { unreadOnly?: boolean | null; limit?: number | null } = {},
): Promise<NotificationRecord[]> {
  const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
  return sql<NotificationRecord[]>`
    SELECT ${COLUMNS(sql)} FROM notifications n
    WHERE n.user_id = ${userId} AND ${STILL_MEMBER(sql, userId)}
      ${opts.unreadOnly ? sql`AND n.read_at IS NULL` : sql``}
    ORDER BY n.created_at DESC, n.id DESC LIMIT ${limit}`;
}

export async function unreadCount(sql: Sql, userId: string): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM notifications n
    WHERE n.user_id = ${userId} AND n.read_at IS NULL AND ${STILL_MEMBER(sql, userId)}`;
  return r?.n ?? 0;
}

/** One notification, if it is the person's own. */
export async function getNotification(sql: Sql, userId: string, id: string): Promise<NotificationRecord | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const [r] = await sql<NotificationRecord[]>`
    SELECT ${COLUMNS(sql)} FROM notifications n
    WHERE n.id = ${id}::bigint AND n.user_id = ${userId} AND ${STILL_MEMBER(sql, userId)}`;
  return r ?? null;
}

/** Marks the given notifications (or all, with null) read; returns how many changed. */
export async function markRead(sql: Sql, userId: string, ids: string[] | null): Promise<number> {
  const valid = ids?.filter((id) => /^\d{1,18}$/.test(id)) ?? null;
  const rows = await sql`
    UPDATE notifications SET read_at = now()
    WHERE user_id = ${userId} AND read_at IS NULL
      ${valid ? sql`AND id = ANY(${valid}::bigint[])` : sql``}
    RETURNING 1`;
  return rows.length;
}

export interface NotificationPrefs {
  email: boolean;
  minSeverity: 'critical' | 'high' | 'medium' | 'low' | null;
}

export async function getPrefs(sql: Sql, userId: string): Promise<NotificationPrefs> {
  const [r] = await sql<{ prefs: { email?: boolean; minSeverity?: NotificationPrefs['minSeverity'] } }[]>`
    SELECT notification_prefs AS prefs FROM users WHERE id = ${userId}`;
  return { email: r?.prefs?.email !== false, minSeverity: r?.prefs?.minSeverity ?? null };
}

export async function setPrefs(sql: Sql, userId: string, prefs: NotificationPrefs): Promise<NotificationPrefs> {
  const stored = { email: prefs.email, ...(prefs.minSeverity ? { minSeverity: prefs.minSeverity } : {}) };
  await sql`UPDATE users SET notification_prefs = ${sql.json(stored)} WHERE id = ${userId}`;
  return prefs;
}
