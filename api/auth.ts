// Passwords (bcrypt) and access tokens (HS256 JWT). The token carries only the user id;
// role and companies are re-read per request so that a revoked role takes effect at once.
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

export interface TokenService {
  sign(userId: string): Promise<string>;
  /** The user id and expiry (epoch ms) of a valid token, or null. */
  verify(token: string): Promise<{ userId: string; expiresAt: number } | null>;
}

export function createTokenService(secret: string, ttl: string): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    sign: (userId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(ttl)
        .setIssuer('alert-whisperer')
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: 'alert-whisperer', algorithms: ['HS256'] });
        return payload.sub && payload.exp ? { userId: payload.sub, expiresAt: payload.exp * 1000 } : null;
      } catch {
        return null;
      }
    },
  };
}

export async function loadUser(
  sql: Sql,
  where: { id: string } | { email: string },
): Promise<(AuthUser & { passwordHash: string }) | null> {
  const rows = await sql<
    { id: string; email: string; name: string; role: Role; password_hash: string; company_ids: string[] }[]
  >`
    SELECT u.id, u.email, u.name, u.role, u.password_hash,
           coalesce(array_agg(uc.company_id) FILTER (WHERE uc.company_id IS NOT NULL), '{}') AS company_ids
    FROM users u LEFT JOIN user_companies uc ON uc.user_id = u.id
    WHERE ${'id' in where ? sql`u.id = ${where.id}` : sql`lower(u.email) = lower(${where.email})`}
    GROUP BY u.id`;
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    companyIds: r.company_ids,
    passwordHash: r.password_hash,
  };
}

export interface Session {
  user: AuthUser;
  expiresAt: number;
}

/** Resolve a `Bearer …` header value to the user it names and when the token expires, or null. */
export async function authenticateSession(
  sql: Sql,
  tokens: TokenService,
  header: string | null | undefined,
): Promise<Session | null> {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match?.[1]) return null;
  const verified = await tokens.verify(match[1]);
  if (!verified) return null;
  const found = await loadUser(sql, { id: verified.userId });
  if (!found) return null;
  const { passwordHash: _omit, ...user } = found;
  return { user, expiresAt: verified.expiresAt };
}

/** Resolve a `Bearer …` header value to the user it names, or null. */
export async function authenticate(
  sql: Sql,
  tokens: TokenService,
  header: string | null | undefined,
): Promise<AuthUser | null> {
  return (await authenticateSession(sql, tokens, header))?.user ?? null;
}

/** The companies a user may see; null means every company (MSP admin). */
export function companyScope(user: AuthUser): string[] | null {
  return user.role === 'msp_admin' ? null : user.companyIds;
}
