// Who is on call for a company's incident category now, read from its rotation, and whom to hand an incident to.
import type { Sql } from '../db/sql.ts';
import { onCallAt, type OnCallLayer, type OnCallOverride } from '../domain/on-call.ts';
import type { Role } from '../domain/types.ts';

export interface OnCallPerson {
  id: string;
  email: string;
  /** With the role, how a tenant's text names them (domain/staff-label.ts): an MSP admin can be on a rotation. */
  name: string;
  role: Role;
  prefs: { email?: boolean; minSeverity?: 'critical' | 'high' | 'medium' | 'low' };
}

/** Per layer (0 primary, 1 backup, ...): the active person on call for `category` at `atMs`; [] without a rotation. */
export async function onCallNow(
  sql: Sql,
  companyId: string,
  category: string | null,
  atMs: number,
): Promise<Array<OnCallPerson | null>> {
  // The category's own rotation, else the company's catch-all one.
  const [schedule] = await sql<{ id: string; layers: OnCallLayer[]; timeZone: string | null }[]>`
    SELECT s.id, s.layers, c.settings->>'timeZone' AS "timeZone"
    FROM on_call_schedules s JOIN companies c ON c.id = s.company_id
    WHERE s.company_id = ${companyId} AND (s.category = ${category} OR s.category IS NULL)
    ORDER BY s.category IS NULL LIMIT 1`;
  if (!schedule) return [];
  const at = new Date(atMs).toISOString();
  const overrides = await sql<OnCallOverride[]>`
    SELECT user_id AS "userId", layer, starts_at AS "startsAt", ends_at AS "endsAt" FROM on_call_overrides
    WHERE schedule_id = ${schedule.id} AND starts_at <= ${at} AND ends_at > ${at}
    ORDER BY starts_at, id`;
  const ids = onCallAt(schedule.layers, overrides, atMs, schedule.timeZone ?? 'UTC');
  const people = await sql<OnCallPerson[]>`
    SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u
    WHERE u.id = ANY(${ids}) AND u.disabled_at IS NULL
      AND (u.role = 'msp_admin'
        OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ${companyId}))`;
  return ids.map((id) => people.find((p) => p.id === id) ?? null);
}

/** The backup layer's person, unless they already own the incident (then nobody: the chain moves on). */
export async function onCallBackup(
  sql: Sql,
  companyId: string,
  category: string | null,
  atMs: number,
  assigneeId: string | null,
): Promise<OnCallPerson[]> {
  const layers = await onCallNow(sql, companyId, category, atMs);
  const backup = layers[1];
  return backup && backup.id !== assigneeId ? [backup] : [];
}

/**
 * Whom to give an incident to, skipping `exclude` (who had it and did not acknowledge): the rotation's people in
 * layer order; without a rotation, the company's technicians of the category, the least recently assigned first
 * (round-robin among equals).
 */
export async function nextAssignee(
  sql: Sql,
  companyId: string,
  category: string | null,
  atMs: number,
  exclude: string[],
): Promise<OnCallPerson | null> {
  const layers = await onCallNow(sql, companyId, category, atMs);
  if (layers.length > 0) return layers.find((p) => p !== null && !exclude.includes(p.id)) ?? null;
  if (!category) return null;
  const [pick] = await sql<OnCallPerson[]>`
    SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u
    JOIN user_companies m ON m.user_id = u.id AND m.company_id = ${companyId}
    WHERE u.role = 'technician' AND u.disabled_at IS NULL AND ${category} = ANY(u.categories)
      AND NOT (u.id = ANY(${exclude}))
    ORDER BY (SELECT max((i.assignee->>'at')::timestamptz) FROM incidents i
              WHERE i.company_id = ${companyId} AND i.assignee_id = u.id) NULLS FIRST, u.id
    LIMIT 1`;
  return pick ?? null;
}
