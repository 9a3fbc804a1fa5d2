// Users, roles and company memberships. Invitations are one-time links to set a password; an admin of a
// company manages only the people whose memberships all lie within the companies they administer, and
// never grants msp_admin. Disabling a user revokes their sessions in the same transaction.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { ROLES, type Role } from '../../domain/types.ts';
import type { AuthUser } from '../auth.ts';
import { canAdministerCompany, isMspAdmin } from './access.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError, type FieldProblem } from './errors.ts';

export interface PersonRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  companyIds: string[];
  categories: string[];
  disabledAt: string | null;
  /** True until the invitation link has been used to set a password. */
  invitePending: boolean;
  lastSeenAt: string | null;
  createdAt: string;
}

export interface PersonInput {
  email?: string;
  name?: string;
  role?: Role;
  companyIds?: string[];
  categories?: string[];
}

export const INVITE_TTL_HOURS = 72;
export const MIN_PASSWORD = 12;

const SELECT = (sql: Sql | TransactionSql) => sql`
  SELECT u.id, u.email, u.name, u.role, u.categories, u.disabled_at AS "disabledAt",
         (u.password_hash IS NULL) AS "invitePending", u.created_at AS "createdAt",
         (SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) AS "lastSeenAt",
         coalesce((SELECT array_agg(uc.company_id ORDER BY uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id),
                  '{}') AS "companyIds"
  FROM users u`;

export async function listPeople(sql: Sql, viewer: AuthUser, companyId: string | null): Promise<PersonRecord[]> {
  const scope = companyId ? [companyId] : isMspAdmin(viewer) ? null : viewer.companyIds;
  return sql<PersonRecord[]>`
    ${SELECT(sql)}
    WHERE ${scope === null ? sql`true` : sql`EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ANY(${scope}))`}
    ORDER BY lower(u.name), u.id LIMIT 1000`;
}

export async function getPerson(sql: Sql | TransactionSql, id: string): Promise<PersonRecord | null> {
  const [row] = await sql<PersonRecord[]>`${SELECT(sql)} WHERE u.id = ${id}`;
  return row ?? null;
}

/** May `actor` manage someone with this role and these memberships? */
function mayManage(actor: AuthUser, role: Role, companyIds: string[]): boolean {
  if (isMspAdmin(actor)) return true;
  if (role === 'msp_admin' || companyIds.length === 0) return false;
  return companyIds.every((c) => canAdministerCompany(actor, c));
}

function checkPerson(p: PersonInput, creating: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (creating || p.email !== undefined) {
    const e = p.email?.trim() ?? '';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) || e.length > 254)
      problems.push({ field: 'email', message: 'must be an email address' });
  }
  if (creating || p.name !== undefined) {
    const n = p.name?.trim() ?? '';
    if (n.length < 1 || n.length > 120) problems.push({ field: 'name', message: 'must be 1–120 characters' });
  }
  if ((creating || p.role !== undefined) && !ROLES.includes(p.role as Role)) {
    problems.push({ field: 'role', message: `must be one of ${ROLES.join(', ')}` });
  }
  const role = p.role;
  if (role && role !== 'msp_admin' && p.companyIds !== undefined && p.companyIds.length === 0) {
    problems.push({ field: 'companyIds', message: 'a company admin or technician needs at least one company' });
  }
  if (p.categories && (p.categories.length > 20 || p.categories.some((c) => !/^[a-z0-9][a-z0-9_-]{0,39}$/.test(c)))) {
    problems.push({ field: 'categories', message: 'at most 20 lower-case words (a-z, 0-9, - and _)' });
  }
  return problems;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

async function issueLink(tx: TransactionSql, actor: Actor, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // One live link per user: a new one replaces any earlier one.
  await tx`UPDATE user_invites SET used_at = now() WHERE user_id = ${userId} AND used_at IS NULL`;
  await tx`
    INSERT INTO user_invites (token_hash, user_id, created_by, expires_at)
    VALUES (${hashToken(token)}, ${userId}, ${actor.id}, now() + make_interval(hours => ${INVITE_TTL_HOURS}))`;
  return token;
}

export async function invitePerson(
  sql: Sql,
  actor: Actor,
  by: AuthUser,
  input: Required<Pick<PersonInput, 'email' | 'name' | 'role'>> & PersonInput,
): Promise<{ person: PersonRecord; token: string }> {
  const companyIds = [...new Set(input.companyIds ?? [])];
  const problems = checkPerson({ ...input, companyIds }, true);
  if (problems.length) throw invalid(problems);
  if (!mayManage(by, input.role, companyIds)) {
    throw new TenantError(
      'FORBIDDEN',
      'You may invite people only into companies you administer, and not as MSP admin',
    );
  }
  return sql.begin(async (tx) => {
    await requireLiveCompanies(tx, companyIds);
    const [taken] = await tx`SELECT 1 FROM users WHERE lower(email) = lower(${input.email.trim()})`;
    if (taken) throw invalid([{ field: 'email', message: 'someone with this email already has an account' }]);
    const id = `user-${randomUUID()}`;
    await tx`
      INSERT INTO users (id, email, name, role, categories)
      VALUES (${id}, ${input.email.trim()}, ${input.name.trim()}, ${input.role}, ${input.categories ?? []})`;
    for (const c of companyIds) await tx`INSERT INTO user_companies (user_id, company_id) VALUES (${id}, ${c})`;
    const token = await issueLink(tx, actor, id);
    await audit(tx, actor, {
      companyId: companyIds[0] ?? null,
      action: 'user.invited',
      targetType: 'user',
      targetId: id,
      data: { email: input.email.trim(), role: input.role, companyIds },
    });
    return { person: (await getPerson(tx, id))!, token };
  });
}

/** Memberships only in companies that exist and are not archived. */
async function requireLiveCompanies(tx: TransactionSql, companyIds: string[]): Promise<void> {
  if (companyIds.length === 0) return;
  const found = await tx<{ id: string }[]>`
    SELECT id FROM companies WHERE id = ANY(${companyIds}) AND archived_at IS NULL`;
  const missing = companyIds.filter((c) => !found.some((f) => f.id === c));
  if (missing.length) throw invalid([{ field: 'companyIds', message: `no active company ${missing.join(', ')}` }]);
}

async function managed(tx: TransactionSql, by: AuthUser, id: string): Promise<PersonRecord> {
  const person = await getPerson(tx, id);
  const visible = person && (isMspAdmin(by) || person.companyIds.some((c) => by.companyIds.includes(c)));
  if (!person || !visible) throw new TenantError('NOT_FOUND', `User ${id} not found`);
  if (!mayManage(by, person.role, person.companyIds)) {
    throw new TenantError('FORBIDDEN', 'This person belongs to companies you do not administer');
  }
  return person;
}

export async function updatePerson(
  sql: Sql,
  actor: Actor,
  by: AuthUser,
  id: string,
  input: PersonInput,
): Promise<PersonRecord> {
  return sql.begin(async (tx) => {
    const before = await managed(tx, by, id);
    const role = input.role ?? before.role;
    const companyIds = input.companyIds ? [...new Set(input.companyIds)] : before.companyIds;
    const problems = checkPerson({ ...input, role, companyIds }, false);
    if (problems.length) throw invalid(problems);
    if (id === by.id && role !== before.role) throw new TenantError('FORBIDDEN', 'You cannot change your own role');
    if (!mayManage(by, role, companyIds)) {
      throw new TenantError('FORBIDDEN', 'You may assign only companies you administer, and not the MSP admin role');
    }
    await tx`
      UPDATE users SET name = ${input.name?.trim() ?? before.name}, role = ${role},
        categories = ${input.categories ?? before.categories}, updated_at = now()
      WHERE id = ${id}`;
    if (input.companyIds) {
      await requireLiveCompanies(
        tx,
        companyIds.filter((c) => !before.companyIds.includes(c)),
      );
      await tx`DELETE FROM user_companies WHERE user_id = ${id} AND NOT (company_id = ANY(${companyIds}))`;
      for (const c of companyIds) {
        await tx`INSERT INTO user_companies (user_id, company_id) VALUES (${id}, ${c}) ON CONFLICT DO NOTHING`;
      }
    }
    const after = (await getPerson(tx, id))!;
    await audit(tx, actor, {
      companyId: after.companyIds[0] ?? before.companyIds[0] ?? null,
      action: role !== before.role || input.companyIds ? 'user.role_changed' : 'user.updated',
      targetType: 'user',
      targetId: id,
      data: {
        email: after.email,
        role: { from: before.role, to: after.role },
        companyIds: { from: before.companyIds, to: after.companyIds },
      },
    });
    return after;
  });
}

export async function setPersonDisabled(
  sql: Sql,
  actor: Actor,
  by: AuthUser,
  id: string,
  disabled: boolean,
): Promise<PersonRecord> {
  if (id === by.id && disabled) throw new TenantError('FORBIDDEN', 'You cannot disable your own account');
  return sql.begin(async (tx) => {
    const person = await managed(tx, by, id);
    await tx`UPDATE users SET disabled_at = ${disabled ? tx`now()` : null}, updated_at = now() WHERE id = ${id}`;
    // Their sessions end at once: the sessions trigger tells live subscriptions.
    if (disabled) {
      await tx`UPDATE sessions SET revoked_at = now(), revoke_reason = 'user disabled' WHERE user_id = ${id} AND revoked_at IS NULL`;
    }
    await audit(tx, actor, {
      companyId: person.companyIds[0] ?? null,
      action: disabled ? 'user.disabled' : 'user.enabled',
      targetType: 'user',
      targetId: id,
      data: { email: person.email },
    });
    return (await getPerson(tx, id))!;
  });
}

/** A fresh one-time link to set a password (a lost invitation or a forgotten password). */
export async function issuePasswordLink(sql: Sql, actor: Actor, by: AuthUser, id: string): Promise<string> {
  return sql.begin(async (tx) => {
    const person = await managed(tx, by, id);
    const token = await issueLink(tx, actor, id);
    await audit(tx, actor, {
      companyId: person.companyIds[0] ?? null,
      action: 'user.password_link_issued',
      targetType: 'user',
      targetId: id,
      data: { email: person.email },
    });
    return token;
  });
}

export function checkPassword(password: string, email: string): FieldProblem[] {
  if (password.length < MIN_PASSWORD)
    return [{ field: 'password', message: `must be at least ${MIN_PASSWORD} characters` }];
  if (password.length > 128) return [{ field: 'password', message: 'must be at most 128 characters' }];
  if (password.toLowerCase().includes(email.split('@')[0]!.toLowerCase())) {
    return [{ field: 'password', message: 'must not contain your email name' }];
  }
  return [];
}

/** Uses a one-time link; the caller hashes the password (bcrypt) so this module stays free of auth. */
export async function redeemPasswordLink(
  sql: Sql,
  token: string,
  password: string,
  hash: (p: string) => Promise<string>,
  ip: string | null,
): Promise<string> {
  return sql.begin(async (tx) => {
    const [link] = await tx<{ userId: string; email: string }[]>`
      SELECT i.user_id AS "userId", u.email FROM user_invites i JOIN users u ON u.id = i.user_id
      WHERE i.token_hash = ${hashToken(token)} AND i.used_at IS NULL AND i.expires_at > now() AND u.disabled_at IS NULL
      FOR UPDATE OF i`;
    if (!link)
      throw new TenantError('BAD_USER_INPUT', 'This link is invalid, used or expired; ask your admin for a new one', [
        { field: 'token', message: 'invalid, used or expired' },
      ]);
    const problems = checkPassword(password, link.email);
    if (problems.length) throw invalid(problems);
    await tx`UPDATE user_invites SET used_at = now() WHERE token_hash = ${hashToken(token)}`;
    await tx`UPDATE users SET password_hash = ${await hash(password)}, password_changed_at = now(), updated_at = now() WHERE id = ${link.userId}`;
    // A reset ends every session that the old password opened.
    await tx`UPDATE sessions SET revoked_at = now(), revoke_reason = 'password set' WHERE user_id = ${link.userId} AND revoked_at IS NULL`;
    await audit(
      tx,
      { id: link.userId, email: link.email, ip },
      { companyId: null, action: 'user.password_set', targetType: 'user', targetId: link.userId },
    );
    return link.email;
  });
}
