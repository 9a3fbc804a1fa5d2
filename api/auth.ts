// Passwords (bcrypt) and short-lived access tokens (HS256 JWT naming a user and a session). Every request
// re-reads the user and the session, so a disabled account, a revoked session or a changed role takes
// effect on the next request; refresh-token rotation lives in sessions.ts.
import bcrypt from 'bcryptjs';
import { SignJWT, jwtVerify } from 'jose';
import type { Sql } from '../db/sql.ts';
import type { Role } from '../domain/types.ts';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  companyIds: string[];
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, 10);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

export interface TokenClaims {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface TokenService {
  sign(userId: string, sessionId: string): Promise<string>;
  /** The claims of a valid token, or null. */
  verify(token: string): Promise<TokenClaims | null>;
}

export function createTokenService(secret: string, ttl: string): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    sign: (userId, sessionId) =>
      new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(ttl)
        .setIssuer('alert-whisperer')
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: 'alert-whisperer', algorithms: ['HS256'] });
        const sid = payload.sid;
        return payload.sub && payload.exp && typeof sid === 'string'
          ? { userId: payload.sub, sessionId: sid, expiresAt: payload.exp * 1000 }
          : null;
      } catch {
        return null;
      }
    },
  };
}

export async function loadUser(
  sql: Sql,
  where: { id: string } | { email: string },
): Promise<(AuthUser & { passwordHash: string | null; disabled: boolean }) | null> {
  const [r] = await sql<(AuthUser & { passwordHash: string | null; disabled: boolean })[]>`
    SELECT u.id, u.email, u.name, u.role, u.password_hash AS "passwordHash", u.disabled_at IS NOT NULL AS disabled,
           coalesce(array_agg(uc.company_id) FILTER (WHERE uc.company_id IS NOT NULL), '{}') AS "companyIds"
    FROM users u LEFT JOIN user_companies uc ON uc.user_id = u.id
    WHERE ${'id' in where ? sql`u.id = ${where.id}` : sql`lower(u.email) = lower(${where.email})`}
    GROUP BY u.id`;
  return r ?? null;
}

export interface Session {
  user: AuthUser;
  sessionId: string;
  /** When the access token expires (epoch ms): live subscriptions end then unless re-authenticated. */
  expiresAt: number;
}

export interface SessionPolicy {
  /** Minutes without a request or refresh after which a session ends. */
  idleMinutes: number;
}

/**
 * The user and session a bearer token names, if the session is live: not revoked, not past its absolute end
 * or its idle timeout, and the user not disabled. Touches last_seen_at at most once a minute.
 */
export async function authenticateSession(
  sql: Sql,
  tokens: TokenService,
  header: string | null | undefined,
  policy: SessionPolicy,
): Promise<Session | null> {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match?.[1]) return null;
  const claims = await tokens.verify(match[1]);
  if (!claims) return null;
  const [live] = await sql<{ stale: boolean }[]>`
    SELECT last_seen_at < now() - interval '1 minute' AS stale FROM sessions
    WHERE id = ${claims.sessionId} AND user_id = ${claims.userId} AND revoked_at IS NULL AND expires_at > now()
      AND last_seen_at > now() - make_interval(mins => ${policy.idleMinutes})`;
  if (!live) return null;
  const found = await loadUser(sql, { id: claims.userId });
  if (!found || found.disabled) return null;
  if (live.stale) await sql`UPDATE sessions SET last_seen_at = now() WHERE id = ${claims.sessionId}`;
  const { passwordHash: _p, disabled: _d, ...user } = found;
  return { user, sessionId: claims.sessionId, expiresAt: claims.expiresAt };
}

/** The companies a user may see; null means every company (MSP admin). */
export function companyScope(user: AuthUser): string[] | null {
  return user.role === 'msp_admin' ? null : user.companyIds;
}
