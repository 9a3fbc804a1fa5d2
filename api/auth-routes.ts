// POST /auth/refresh and /auth/logout: the only places the refresh cookie is read. The cookie is HttpOnly,
// SameSite=Strict, scoped to /auth and Secure behind TLS; a custom header is also required, which a cross-site
// form cannot send without a CORS preflight we never grant.
import { parse } from 'cookie';
import express, { type Request, type Response } from 'express';
import type { Sql } from '../db/sql.ts';
import { loadUser, type TokenService } from './auth.ts';
import { refreshSession, revokeSessions, sessionOfRefreshToken, SESSION_DAYS } from './sessions.ts';

export const REFRESH_COOKIE = 'aw_refresh';
const COOKIE_PATH = '/auth';

export interface CookiePolicy {
  /** True when the dashboard is served over https (PUBLIC_URL) or the request arrived over TLS. */
  secure: (req: Request) => boolean;
}

export function setRefreshCookie(req: Request, res: Response, token: string, policy: CookiePolicy): void {
  res.cookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: policy.secure(req),
    path: COOKIE_PATH,
    maxAge: SESSION_DAYS * 86_400_000,
  });
}

export function clearRefreshCookie(req: Request, res: Response, policy: CookiePolicy): void {
  res.clearCookie(REFRESH_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    secure: policy.secure(req),
    path: COOKIE_PATH,
  });
}

function refreshTokenOf(req: Request): string | null {
  const header = req.get('cookie');
  return header ? (parse(header)[REFRESH_COOKIE] ?? null) : null;
}

export function createAuthRoutes(deps: {
  sql: Sql;
  tokens: TokenService;
  idleMinutes: number;
  cookies: CookiePolicy;
}): express.Router {
  const { sql, tokens, cookies } = deps;
  const router = express.Router();
  const ip = (req: Request) => req.ip ?? null;
  const needsHeader = (req: Request, res: Response): boolean => {
    if (req.get('x-requested-with')) return true;
    res.status(403).json({ error: 'forbidden', message: 'Send X-Requested-With with session requests' });
    return false;
  };

  router.post('/auth/refresh', async (req, res) => {
    if (!needsHeader(req, res)) return;
    res.set('Cache-Control', 'no-store');
    const token = refreshTokenOf(req);
    const result = token ? await refreshSession(sql, token, { idleMinutes: deps.idleMinutes }, { ip: ip(req) }) : null;
    if (!result || result.kind === 'invalid' || result.kind === 'reused') {
      clearRefreshCookie(req, res, cookies);
      res.status(401).json({
        error: 'unauthenticated',
        message:
          result?.kind === 'reused'
            ? 'This session was ended because its refresh token was used twice; sign in again'
            : 'No live session; sign in again',
      });
      return;
    }
    if (result.kind === 'rotated') setRefreshCookie(req, res, result.refreshToken, cookies);
    const user = await loadUser(sql, { id: result.userId });
    if (!user || user.disabled) {
      res.status(401).json({ error: 'unauthenticated', message: 'No live session; sign in again' });
      return;
    }
    const { passwordHash: _p, disabled: _d, ...me } = user;
    res.json({ accessToken: await tokens.sign(result.userId, result.sessionId), user: me });
  });

  router.post('/auth/logout', async (req, res) => {
    if (!needsHeader(req, res)) return;
    const token = refreshTokenOf(req);
    const sessionId = token ? await sessionOfRefreshToken(sql, token) : null;
    if (sessionId) {
      const [owner] = await sql<{ userId: string; email: string }[]>`
        SELECT s.user_id AS "userId", u.email FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ${sessionId}`;
      if (owner) {
        await revokeSessions(
          sql,
          { id: owner.userId, email: owner.email, ip: ip(req) },
          owner.userId,
          sessionId,
          'logout',
        );
      }
    }
    clearRefreshCookie(req, res, cookies);
    res.status(204).end();
  });

  return router;
}
