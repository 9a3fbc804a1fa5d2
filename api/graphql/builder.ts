// The Pothos schema builder and the request context every resolver receives.
import SchemaBuilder from '@pothos/core';
import type { Client } from '@temporalio/client';
import { GraphQLError } from 'graphql';
import type { Sql } from '../../db/sql.ts';
import type { Config } from '../../lib/config.ts';
import type { AuthUser, TokenService } from '../auth.ts';
import type { IncidentPubSub } from '../events.ts';
import type { RateLimiter } from '../rate-limit.ts';

export interface GraphQLContext {
  sql: Sql;
  temporal: Client;
  tokens: TokenService;
  /** Failed-login throttle per email, against password guessing. */
  loginLimiter: RateLimiter;
  pubsub: IncidentPubSub;
  config: Config;
  user: AuthUser | null;
  /** When the caller's token expires (epoch ms); long-lived subscriptions end then. */
  sessionExpiresAt: number | null;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: string; Output: string } };
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
