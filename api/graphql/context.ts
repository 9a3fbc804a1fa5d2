// Builds the GraphQL context for a request or a WebSocket: the session from the bearer token, who is asking,
// and (over HTTP only) the refresh cookie. server.ts and the WebSocket wiring both use this one factory.
import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Request, Response } from 'express';
import type { Sql } from '../../db/sql.ts';
import type { ServiceConfig } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Mailer } from '../../lib/mailer.ts';
import { clearRefreshCookie, setRefreshCookie, type CookiePolicy } from '../auth-routes.ts';
import { authenticateSession, type Session, type TokenService } from '../auth.ts';
import type { IncidentPubSub } from '../events.ts';
import type { IncidentFeed } from '../incident-feed.ts';
import type { LoginThrottle } from '../login-throttle.ts';
import type { UserEvents } from '../user-events.ts';
import type { GraphQLContext } from './builder.ts';
import type { CommandWaits } from './command-waits.ts';

export interface ContextDeps {
  sql: Sql;
  temporal: Client;
  tokens: TokenService;
  pubsub: IncidentPubSub;
  incidentFeed: IncidentFeed;
  userEvents: UserEvents;
  config: ServiceConfig;
  loginThrottle: LoginThrottle;
  secrets: SecretBox;
  mailer: Mailer | null;
  cookies: CookiePolicy;
  commands: CommandWaits;
}

export function createContextFactory(deps: ContextDeps) {
  const { sql, tokens, config } = deps;
  const base = {
    sql,
    temporal: deps.temporal,
    tokens,
    pubsub: deps.pubsub,
    incidentFeed: deps.incidentFeed,
    userEvents: deps.userEvents,
    config,
    commands: deps.commands,
    loginThrottle: deps.loginThrottle,
    tenants: { secrets: deps.secrets, sessionIdleMinutes: config.sessionIdleMinutes, mailer: deps.mailer },
  };
  const policy = { idleMinutes: config.sessionIdleMinutes };
  const build = (
    session: Session | null,
    client: GraphQLContext['client'],
    refreshCookie: GraphQLContext['refreshCookie'],
  ): GraphQLContext => ({
    ...base,
    user: session?.user ?? null,
    sessionId: session?.sessionId ?? null,
    sessionExpiresAt: session?.expiresAt ?? null,
    client,
    refreshCookie,
  });
  return {
    session: (authorization: string | null | undefined) => authenticateSession(sql, tokens, authorization, policy),
    async forHttp(req: Request, res: Response): Promise<GraphQLContext> {
      const session = await authenticateSession(sql, tokens, req.get('authorization'), policy);
      return build(
        session,
        { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
        {
          set: (token) => setRefreshCookie(req, res, token, deps.cookies),
          clear: () => clearRefreshCookie(req, res, deps.cookies),
        },
      );
    },
    /** `ip` is the client as TRUST_PROXY sees it (api/graphql/ws.ts); the socket's peer otherwise. */
    async forSocket(
      authorization: string | null,
      req: IncomingMessage,
      ip = req.socket.remoteAddress ?? null,
    ): Promise<GraphQLContext> {
      const session = await authenticateSession(sql, tokens, authorization, policy);
      const ua = req.headers['user-agent'];
      return build(session, { ip, userAgent: typeof ua === 'string' ? ua : null }, null);
    },
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;
