// The Pothos schema builder and the request context every resolver receives.
import SchemaBuilder from '@pothos/core';
import type { Client } from '@temporalio/client';
import { GraphQLError } from 'graphql';
import type { Sql } from '../../db/sql.ts';
import type { Config } from '../../lib/config.ts';
import type { CommandWaits } from './command-waits.ts';
import type { AuthUser, TokenService } from '../auth.ts';
import type { IncidentPubSub } from '../events.ts';
import type { IncidentFeed } from '../incident-feed.ts';
import type { UserEvents } from '../user-events.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Mailer } from '../../lib/mailer.ts';
import type { LoginThrottle } from '../login-throttle.ts';

export interface GraphQLContext {
  sql: Sql;
  temporal: Client;
  tokens: TokenService;
  /** Failed-login throttle per (email, client address) and per address, against password guessing. */
  loginThrottle: LoginThrottle;
  /** New in-app notifications by id. */
  pubsub: IncidentPubSub;
  /** Changed incidents' headers, read once per change for every subscriber of this process. */
  incidentFeed: IncidentFeed;
  config: Config;
  /** People's commands on incidents: answered PENDING at the deadline while Temporal does not answer. */
  commands: CommandWaits;
  user: AuthUser | null;
  /** The caller's session (null when signed out): logout and the session list name it. */
  sessionId: string | null;
  /** When the caller's token expires (epoch ms); long-lived subscriptions end then. */
  sessionExpiresAt: number | null;
  /** Who is asking, for the audit log and the session list. */
  client: { ip: string | null; userAgent: string | null };
  /** Sets or clears the refresh cookie; null over WebSocket, where no cookie can be set. */
  refreshCookie: { set(token: string): void; clear(): void } | null;
  /** Reads and writes the tenant administration needs beyond the context's own. */
  tenants: { secrets: SecretBox; sessionIdleMinutes: number; mailer: Mailer | null };
  /** Session revocations and role changes, per user id, for live subscriptions to re-check. */
  userEvents: UserEvents;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: string; Output: string }; JSON: { Input: unknown; Output: unknown } };
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export function requireUser(ctx: GraphQLContext): AuthUser {
  if (!ctx.user)
    throw new GraphQLError('Not signed in: send "Authorization: Bearer <accessToken>" from the login mutation', {
      extensions: { code: 'UNAUTHENTICATED' },
    });
  return ctx.user;
}
