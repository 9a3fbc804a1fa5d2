// On-call rotations of one company: members see them and who is on call now; company admins edit them and add
// overrides (a swap, a sick day). Layer 0 is the primary, layer 1 the backup the escalation chain pages.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/sql.ts';
import { onCallAt, onCallLayerSchema, type OnCallLayer, type OnCallOverride } from '../../domain/on-call.ts';
import type { AuthUser } from '../auth.ts';
import { requireCompanyAdmin, requireCompanyMember } from './access.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export interface OverrideRecord extends OnCallOverride {
  id: string;
  scheduleId: string;
  userEmail: string;
  createdBy: string | null;
}

export interface ScheduleRecord {
  id: string;
  companyId: string;
  name: string;
  category: string | null;
  layers: OnCallLayer[];
  overrides: OverrideRecord[];
  /** Per layer, who is on call now (after overrides). */
  /** Who the rotation names now; `active` false: disabled or no longer a member, so the pager skips them. */
  onCallNow: Array<{ layer: number; userId: string; email: string | null; active: boolean }>;
}

const scheduleSchema = z
  .object({
    companyId: z.string().min(1),
    name: z.string().trim().min(1).max(80),
    category: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9 _-]{0,39}$/, 'letters, digits, spaces, - and _')
      .nullable()
      .optional(),
    layers: z.array(onCallLayerSchema).min(1, 'needs a primary layer').max(2, 'a primary and a backup at most'),
  })
  .strict();
export type ScheduleInput = z.input<typeof scheduleSchema>;

const overrideSchema = z
  .object({
    scheduleId: z.string().min(1),
    userId: z.string().min(1),
    layer: z.number().int().min(0).max(2).default(0),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
  })
  .strict()
  .refine((o) => Date.parse(o.endsAt) > Date.parse(o.startsAt), {
    message: 'must be after the start',
    path: ['endsAt'],
  });
export type OverrideInput = z.input<typeof overrideSchema>;

function problems(issues: z.core.$ZodIssue[]) {
  return invalid(issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
}

async function timeZoneOf(sql: Sql, companyId: string): Promise<string> {
  const [c] = await sql<
    { tz: string | null }[]
  >`SELECT settings->>'timeZone' AS tz FROM companies WHERE id = ${companyId}`;
  return c?.tz ?? 'UTC';
}

export async function listSchedules(sql: Sql, user: AuthUser, companyId: string): Promise<ScheduleRecord[]> {
  requireCompanyMember(user, companyId);
  const rows = await sql<Array<Omit<ScheduleRecord, 'overrides' | 'onCallNow'>>>`
    SELECT id, company_id AS "companyId", name, category, layers FROM on_call_schedules
    WHERE company_id = ${companyId} ORDER BY category NULLS LAST, name`;
  if (rows.length === 0) return [];
  const overrides = await sql<OverrideRecord[]>`
    SELECT o.id, o.schedule_id AS "scheduleId", o.user_id AS "userId", u.email AS "userEmail", o.layer,
      o.starts_at AS "startsAt", o.ends_at AS "endsAt", o.created_by AS "createdBy"
    FROM on_call_overrides o JOIN users u ON u.id = o.user_id
    WHERE o.schedule_id = ANY(${rows.map((r) => r.id)}) AND o.ends_at > now() ORDER BY o.starts_at, o.id`;
  const tz = await timeZoneOf(sql, companyId);
  const now = Date.now();
  const ids = [...new Set(rows.flatMap((r) => r.layers.flatMap((l) => l.userIds)))];
  const people = new Map(
    (
      await sql<{ id: string; email: string; active: boolean }[]>`
        SELECT u.id, u.email, u.disabled_at IS NULL AND (u.role = 'msp_admin'
          OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ${companyId})) AS active
        FROM users u WHERE u.id = ANY(${[...ids, ...overrides.map((o) => o.userId)]})`
    ).map((u) => [u.id, u]),
  );
  return rows.map((r) => {
    const own = overrides.filter((o) => o.scheduleId === r.id);
    return {
      ...r,
      overrides: own,
      onCallNow: onCallAt(r.layers, own, now, tz).map((userId, layer) => ({
        layer,
        userId,
        email: people.get(userId)?.email ?? null,
        active: people.get(userId)?.active ?? false,
      })),
    };
  });
}

/** Everyone in the rotation must be an active member of the company (or an MSP admin). */
async function checkPeople(sql: Sql, companyId: string, userIds: string[], field: string): Promise<void> {
  const found = await sql<{ id: string }[]>`
    SELECT u.id FROM users u WHERE u.id = ANY(${userIds}) AND u.disabled_at IS NULL
      AND (u.role = 'msp_admin'
        OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ${companyId}))`;
  const missing = userIds.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) {
    throw invalid([{ field, message: `not an active member of this company: ${missing.join(', ')}` }]);
  }
}

/** Creates the schedule, or replaces the one with this id. */
export async function saveSchedule(
  sql: Sql,
  user: AuthUser,
  actor: Actor,
  input: ScheduleInput,
  id: string | null,
): Promise<ScheduleRecord> {
  // Who may comes first: someone without the right learns nothing about what the input lacks.
  requireCompanyAdmin(user, String(input.companyId ?? ''));
  const parsed = scheduleSchema.safeParse(input);
  if (!parsed.success) throw problems(parsed.error.issues);
  const v = parsed.data;
  for (const [i, layer] of v.layers.entries())
    await checkPeople(sql, v.companyId, layer.userIds, `layers.${i}.userIds`);
  const scheduleId = id ?? `sch-${randomUUID()}`;
  try {
    await sql.begin(async (tx) => {
      if (id) {
        const updated = await tx`
          UPDATE on_call_schedules SET name = ${v.name}, category = ${v.category ?? null}, layers = ${tx.json(v.layers as never)}
          WHERE id = ${id} AND company_id = ${v.companyId} RETURNING 1`;
        if (updated.length === 0) throw new TenantError('NOT_FOUND', `Schedule ${id} not found`);
        // Overrides of a layer that is gone would do nothing; they go with it.
        await tx`DELETE FROM on_call_overrides WHERE schedule_id = ${id} AND layer >= ${v.layers.length}`;
      } else {
        await tx`
          INSERT INTO on_call_schedules (id, company_id, name, category, layers)
          VALUES (${scheduleId}, ${v.companyId}, ${v.name}, ${v.category ?? null}, ${tx.json(v.layers as never)})`;
      }
      await audit(tx, actor, {
        companyId: v.companyId,
        action: id ? 'on_call.schedule_updated' : 'on_call.schedule_created',
        targetType: 'on_call_schedule',
        targetId: scheduleId,
        data: { name: v.name, category: v.category ?? null, layers: v.layers },
      });
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      const field = String((err as { constraint_name?: string }).constraint_name).includes('category')
        ? 'category'
        : 'name';
      throw invalid([{ field, message: field === 'category' ? 'another schedule covers this category' : 'is taken' }]);
    }
    throw err;
  }
  return (await listSchedules(sql, user, v.companyId)).find((s) => s.id === scheduleId)!;
}

async function scheduleCompany(sql: Sql, user: AuthUser, scheduleId: string): Promise<string> {
  const [row] = await sql<{ companyId: string }[]>`
    SELECT company_id AS "companyId" FROM on_call_schedules WHERE id = ${scheduleId}`;
  // Another company's schedule reads as missing.
  if (!row || (user.role !== 'msp_admin' && !user.companyIds.includes(row.companyId))) {
    throw new TenantError('NOT_FOUND', `Schedule ${scheduleId} not found`);
  }
  requireCompanyAdmin(user, row.companyId);
  return row.companyId;
}

export async function deleteSchedule(sql: Sql, user: AuthUser, actor: Actor, id: string): Promise<boolean> {
  const companyId = await scheduleCompany(sql, user, id);
  await sql.begin(async (tx) => {
    await tx`DELETE FROM on_call_schedules WHERE id = ${id}`;
    await audit(tx, actor, {
      companyId,
      action: 'on_call.schedule_deleted',
      targetType: 'on_call_schedule',
      targetId: id,
    });
  });
  return true;
}

export async function addOverride(
  sql: Sql,
  user: AuthUser,
  actor: Actor,
  input: OverrideInput,
): Promise<ScheduleRecord> {
  const parsed = overrideSchema.safeParse(input);
  if (!parsed.success) throw problems(parsed.error.issues);
  const v = parsed.data;
  const companyId = await scheduleCompany(sql, user, v.scheduleId);
  const [schedule] = await sql<
    { layers: OnCallLayer[] }[]
  >`SELECT layers FROM on_call_schedules WHERE id = ${v.scheduleId}`;
  if (v.layer >= (schedule?.layers.length ?? 0)) {
    throw invalid([{ field: 'layer', message: 'this schedule has no such layer (0 primary, 1 backup)' }]);
  }
  await checkPeople(sql, companyId, [v.userId], 'userId');
  const id = `ovr-${randomUUID()}`;
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO on_call_overrides (id, schedule_id, user_id, layer, starts_at, ends_at, created_by)
      VALUES (${id}, ${v.scheduleId}, ${v.userId}, ${v.layer}, ${v.startsAt}, ${v.endsAt}, ${user.email})`;
    await audit(tx, actor, {
      companyId,
      action: 'on_call.override_added',
      targetType: 'on_call_schedule',
      targetId: v.scheduleId,
      data: { userId: v.userId, layer: v.layer, startsAt: v.startsAt, endsAt: v.endsAt },
    });
  });
  return (await listSchedules(sql, user, companyId)).find((s) => s.id === v.scheduleId)!;
}

export async function removeOverride(sql: Sql, user: AuthUser, actor: Actor, id: string): Promise<ScheduleRecord> {
  const [row] = await sql<
    { scheduleId: string }[]
  >`SELECT schedule_id AS "scheduleId" FROM on_call_overrides WHERE id = ${id}`;
  if (!row) throw new TenantError('NOT_FOUND', `Override ${id} not found`);
  const companyId = await scheduleCompany(sql, user, row.scheduleId);
  await sql.begin(async (tx) => {
    await tx`DELETE FROM on_call_overrides WHERE id = ${id}`;
    await audit(tx, actor, {
      companyId,
      action: 'on_call.override_removed',
      targetType: 'on_call_schedule',
      targetId: row.scheduleId,
    });
  });
  return (await listSchedules(sql, user, companyId)).find((s) => s.id === row.scheduleId)!;
}
