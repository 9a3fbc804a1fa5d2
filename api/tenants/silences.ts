// Silences of one company: any member may mute alerts for a while (the on-call technician silencing a noisy check
// is the common case); each change is audited. Matchers follow Alertmanager; a silence may end when an incident
// resolves. Alerts muted by a silence or a maintenance window are listed so nothing muted is out of sight.
// Regular expressions must be ones RE2 runs in linear time (domain/matchers.ts); a company holds at most the install's
// MAX_ACTIVE_SILENCES active or pending silences, the number the router reads per pass.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/sql.ts';
import { PatternCache } from '../../domain/matchers.ts';
import { shownAs } from '../../domain/staff-label.ts';
import { DEFAULT_MAX_ACTIVE_SILENCES, matchersSchema, silenceProblem, type Matcher } from '../../domain/silences.ts';
import type { AuthUser } from '../auth.ts';
import { requireCompanyMember } from './access.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export type SilenceState = 'pending' | 'active' | 'expired';

export interface SilenceRecord {
  id: string;
  companyId: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  /** When it really ends or ended: the end, an early expiry, or its incident's resolution. */
  effectiveEndsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  untilResolved: string | null;
  state: SilenceState;
  /** Alerts it muted. */
  mutedCount: number;
  /**
   * Why it mutes nothing, or null: a matcher the linear-time engine refuses (a lookahead saved before the engine
   * checked patterns). The router treats such a silence as matching no alert.
   */
  invalidReason: string | null;
}

export interface MutedAlertRecord {
  id: string;
  assetName: string;
  signature: string;
  severity: string;
  toolSource: string;
  message: string;
  receivedAt: string;
  mutedBy: { kind: 'silence'; id: string } | { kind: 'maintenance'; name: string };
}

const MAX_SILENCE_DAYS = 90;

const createSchema = z
  .object({
    companyId: z.string().min(1),
    matchers: matchersSchema,
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(MAX_SILENCE_DAYS * 1440)
      .optional(),
    comment: z.string().trim().min(1, 'say why, for whoever sees the muted alerts').max(500),
    untilResolved: z.string().min(1).optional(),
  })
  .strict();

export type CreateSilenceInput = z.input<typeof createSchema>;

const SELECT = (where: string) => `
  SELECT s.id, s.company_id AS "companyId", s.matchers, s.starts_at AS "startsAt", s.ends_at AS "endsAt",
    silence_effective_end(s) AS "effectiveEndsAt", s.comment, s.created_by AS "createdBy", s.created_at AS "createdAt",
    s.until_resolved AS "untilResolved",
    CASE WHEN silence_effective_end(s) <= now() THEN 'expired' WHEN s.starts_at > now() THEN 'pending' ELSE 'active' END
      AS state,
    (SELECT count(*)::int FROM alerts a WHERE a.company_id = s.company_id AND a.muted_by->>'kind' = 'silence'
       AND a.muted_by->>'id' = s.id) AS "mutedCount"
  FROM silences s WHERE ${where}`;

type SilenceRow = Omit<SilenceRecord, 'invalidReason'>;

/** Each silence with whether the engine runs its matchers, judged now (the engine, not the row, decides). */
async function read(sql: Sql, query: string, params: string[]): Promise<SilenceRecord[]> {
  const rows = await sql.unsafe<SilenceRow[]>(query, params);
  const cache = new PatternCache();
  return rows.map((r) => ({ ...r, invalidReason: silenceProblem(r.matchers, cache) }));
}

export async function listSilences(sql: Sql, user: AuthUser, companyId: string): Promise<SilenceRecord[]> {
  requireCompanyMember(user, companyId);
  return read(
    sql,
    `${SELECT('s.company_id = $1')} ORDER BY (silence_effective_end(s) > now()) DESC, s.created_at DESC LIMIT 200`,
    [companyId],
  );
}

export interface SilenceLimits {
  /** MAX_ACTIVE_SILENCES: active or pending silences per company. */
  maxActiveSilences: number;
}

export async function createSilence(
  sql: Sql,
  user: AuthUser,
  actor: Actor,
  input: CreateSilenceInput,
  limits: SilenceLimits = { maxActiveSilences: DEFAULT_MAX_ACTIVE_SILENCES },
): Promise<SilenceRecord> {
  const parsed = createSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
  }
  const v = parsed.data;
  requireCompanyMember(user, v.companyId);
  const startsAt = v.startsAt ? new Date(v.startsAt) : new Date();
  if (v.endsAt && v.durationMinutes) {
    throw invalid([{ field: 'durationMinutes', message: 'give either endsAt or durationMinutes, not both' }]);
  }
  const endsAt = v.endsAt
    ? new Date(v.endsAt)
    : new Date(startsAt.getTime() + (v.durationMinutes ?? (v.untilResolved ? MAX_SILENCE_DAYS * 1440 : 0)) * 60_000);
  if (!v.endsAt && !v.durationMinutes && !v.untilResolved) {
    throw invalid([{ field: 'endsAt', message: 'needs an end: endsAt, durationMinutes or untilResolved' }]);
  }
  if (endsAt <= startsAt) throw invalid([{ field: 'endsAt', message: 'must be after the start' }]);
  if (endsAt.getTime() - startsAt.getTime() > MAX_SILENCE_DAYS * 86_400_000) {
    throw invalid([{ field: 'endsAt', message: `a silence lasts at most ${MAX_SILENCE_DAYS} days` }]);
  }
  if (endsAt <= new Date()) throw invalid([{ field: 'endsAt', message: 'is already past' }]);
  const id = randomUUID();
  await sql.begin(async (tx) => {
    // One company's saves in turn, so two at the ceiling cannot both pass the count.
    await tx`SELECT pg_advisory_xact_lock(hashtext('silences'), hashtext(${v.companyId}))`;
    const [held] = await tx<{ n: number }[]>`
      SELECT count(*)::int AS n FROM silences s
      WHERE s.company_id = ${v.companyId} AND s.ends_at > now() AND silence_effective_end(s) > now()`;
    if (held!.n >= limits.maxActiveSilences) {
      throw new TenantError(
        'CONFLICT',
        `This company already has ${held!.n} active or pending silences, the most this install allows ` +
          `(MAX_ACTIVE_SILENCES = ${limits.maxActiveSilences}): expire some before adding another`,
      );
    }
    if (v.untilResolved) {
      // Another company's incident reads as missing, like every other cross-tenant id.
      const [incident] = await tx<{ status: string }[]>`
        SELECT status FROM incidents WHERE id = ${v.untilResolved} AND company_id = ${v.companyId}`;
      if (!incident) throw invalid([{ field: 'untilResolved', message: 'no such incident in this company' }]);
      if (incident.status === 'resolved') {
        throw invalid([{ field: 'untilResolved', message: 'that incident is already resolved' }]);
      }
    }
    await tx`
      INSERT INTO silences (id, company_id, matchers, starts_at, ends_at, comment, created_by, until_resolved)
      VALUES (${id}, ${v.companyId}, ${tx.json(v.matchers as never)}, ${startsAt.toISOString()}, ${endsAt.toISOString()},
        ${v.comment}, ${shownAs(user)}, ${v.untilResolved ?? null})`;
    await audit(tx, actor, {
      companyId: v.companyId,
      action: 'silence.created',
      targetType: 'silence',
      targetId: id,
      data: { matchers: v.matchers, startsAt, endsAt, untilResolved: v.untilResolved ?? null, comment: v.comment },
    });
  });
  return (await read(sql, SELECT('s.id = $1'), [id]))[0]!;
}

export async function expireSilence(sql: Sql, user: AuthUser, actor: Actor, id: string): Promise<SilenceRecord> {
  const [row] = await sql<{ companyId: string }[]>`SELECT company_id AS "companyId" FROM silences WHERE id = ${id}`;
  if (!row) throw new TenantError('NOT_FOUND', `Silence ${id} not found`);
  try {
    requireCompanyMember(user, row.companyId);
  } catch {
    throw new TenantError('NOT_FOUND', `Silence ${id} not found`);
  }
  await sql.begin(async (tx) => {
    await tx`UPDATE silences SET expired_at = now() WHERE id = ${id} AND expired_at IS NULL`;
    await audit(tx, actor, {
      companyId: row.companyId,
      action: 'silence.expired',
      targetType: 'silence',
      targetId: id,
    });
  });
  return (await read(sql, SELECT('s.id = $1'), [id]))[0]!;
}

export async function listMutedAlerts(
  sql: Sql,
  user: AuthUser,
  companyId: string,
  limit = 100,
): Promise<{ total: number; alerts: MutedAlertRecord[] }> {
  requireCompanyMember(user, companyId);
  const [count] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM alerts WHERE company_id = ${companyId} AND muted_by IS NOT NULL`;
  const alerts = await sql<MutedAlertRecord[]>`
    SELECT id, asset_name AS "assetName", signature, severity, tool_source AS "toolSource", message,
      received_at AS "receivedAt", muted_by AS "mutedBy"
    FROM alerts WHERE company_id = ${companyId} AND muted_by IS NOT NULL
    ORDER BY received_at DESC LIMIT ${Math.min(Math.max(limit, 1), 500)}`;
  return { total: count!.n, alerts };
}
