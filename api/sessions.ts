// Refresh-token sessions (OWASP ASVS V3): a login opens a session of at most SESSION_DAYS; its refresh token
// lives in an HttpOnly cookie and is replaced on every use. Presenting a token that was already used revokes
// the whole session (the family): either the thief or the owner is holding a stolen copy. A second use within
// a few seconds is a browser's concurrent refresh (two tabs), answered with an access token but no new cookie.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../db/sql.ts';
import { audit, type Actor } from './tenants/audit.ts';

export const SESSION_DAYS = 7;
/** How long a just-rotated refresh token is still honoured as a concurrent refresh, not a theft. */
export const REUSE_LEEWAY_SECONDS = 10;

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export type RefreshResult =
  | { kind: 'rotated'; sessionId: string; userId: string; refreshToken: string }
  /** A concurrent refresh with the token another request just rotated: an access token, no new cookie. */
  | { kind: 'concurrent'; sessionId: string; userId: string }
  | { kind: 'reused'; sessionId: string; userId: string }
  | { kind: 'invalid' };

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function openSession(
  sql: Sql,
  userId: string,
  client: { ip: string | null; userAgent: string | null },
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = `sess-${randomUUID()}`;
  const refreshToken = newToken();
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO sessions (id, user_id, expires_at, ip, user_agent)
      VALUES (${sessionId}, ${userId}, now() + make_interval(days => ${SESSION_DAYS}), ${client.ip},
              ${client.userAgent?.slice(0, 300) ?? null})`;
    await tx`INSERT INTO refresh_tokens (token_hash, session_id) VALUES (${hash(refreshToken)}, ${sessionId})`;
  });
  return { sessionId, refreshToken };
}

export async function refreshSession(
  sql: Sql,
  refreshToken: string,
  policy: { idleMinutes: number },
  client: { ip: string | null },
): Promise<RefreshResult> {
  return sql.begin(async (tx) => {
    const [row] = await tx<
      {
        sessionId: string;
        userId: string;
        email: string;
        usedAt: string | null;
        recentlyUsed: boolean;
        live: boolean;
      }[]
    >`
      SELECT s.id AS "sessionId", s.user_id AS "userId", u.email, t.used_at AS "usedAt",
             t.used_at > now() - make_interval(secs => ${REUSE_LEEWAY_SECONDS}) AS "recentlyUsed",
             (s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL
              AND s.last_seen_at > now() - make_interval(mins => ${policy.idleMinutes})) AS live
      FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
      WHERE t.token_hash = ${hash(refreshToken)}
      FOR UPDATE OF t, s`;
    if (!row || !row.live) return { kind: 'invalid' } as const;
    const ids = { sessionId: row.sessionId, userId: row.userId };
    if (row.usedAt !== null) {
      if (row.recentlyUsed) return { kind: 'concurrent', ...ids } as const;
      await tx`
        UPDATE sessions SET revoked_at = now(), revoke_reason = 'refresh token reused' WHERE id = ${row.sessionId}`;
      await audit(
        tx,
        { id: row.userId, email: row.email, ip: client.ip },
        { companyId: null, action: 'session.reuse_detected', targetType: 'session', targetId: row.sessionId },
      );
      return { kind: 'reused', ...ids } as const;
    }
    const next = newToken();
    await tx`UPDATE refresh_tokens SET used_at = now() WHERE token_hash = ${hash(refreshToken)}`;
    await tx`INSERT INTO refresh_tokens (token_hash, session_id) VALUES (${hash(next)}, ${row.sessionId})`;
    await tx`UPDATE sessions SET last_seen_at = now(), ip = coalesce(${client.ip}, ip) WHERE id = ${row.sessionId}`;
    return { kind: 'rotated', refreshToken: next, ...ids } as const;
  });
}

/** The session a refresh cookie belongs to, whatever its state (for logout). */
export async function sessionOfRefreshToken(sql: Sql, refreshToken: string): Promise<string | null> {
  const [row] = await sql<{ sessionId: string }[]>`
    SELECT session_id AS "sessionId" FROM refresh_tokens WHERE token_hash = ${hash(refreshToken)}`;
  return row?.sessionId ?? null;
}

export async function listSessions(sql: Sql, userId: string): Promise<SessionRecord[]> {
  return sql<SessionRecord[]>`
    SELECT id, user_id AS "userId", created_at AS "createdAt", last_seen_at AS "lastSeenAt",
           expires_at AS "expiresAt", ip, user_agent AS "userAgent"
    FROM sessions WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > now()
    ORDER BY last_seen_at DESC LIMIT 100`;
}

/** Revokes one session of the user (or all of them when sessionId is null); returns how many ended. */
export async function revokeSessions(
  sql: Sql,
  actor: Actor,
  userId: string,
  sessionId: string | null,
  reason: string,
): Promise<number> {
  return sql.begin(async (tx) => {
    const ended = await tx`
      UPDATE sessions SET revoked_at = now(), revoke_reason = ${reason}
      WHERE user_id = ${userId} AND revoked_at IS NULL ${sessionId ? tx`AND id = ${sessionId}` : tx``}
      RETURNING id`;
    if (ended.length > 0) {
      await audit(tx, actor, {
        companyId: null,
        action: sessionId ? 'session.revoked' : 'session.revoked_all',
        targetType: 'session',
        targetId: sessionId ?? userId,
        data: { reason, count: ended.length },
      });
    }
    return ended.length;
  });
}
