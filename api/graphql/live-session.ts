// Long-lived subscriptions re-check the session they were opened with: on every event, and at once when the
// user's row, memberships or sessions change (user_changed). A revoked session, a disabled user or an expired
// access token ends the stream with UNAUTHENTICATED; a changed role or membership narrows what it shows.
import { GraphQLError } from 'graphql';
import { filter, map, pipe, Repeater } from 'graphql-yoga';
import { loadUser, type AuthUser } from '../auth.ts';
import { EVERY_USER } from '../user-events.ts';
import { requireUser, type GraphQLContext } from './builder.ts';

function ended(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}

/** The subscriber as they are now, or an UNAUTHENTICATED error that ends the subscription. */
export async function liveUser(ctx: GraphQLContext): Promise<AuthUser> {
  const user = requireUser(ctx);
  if (ctx.sessionExpiresAt !== null && Date.now() >= ctx.sessionExpiresAt) {
    throw ended('Your session has expired; log in again');
  }
  if (ctx.sessionId) {
    const [live] = await ctx.sql`SELECT 1 FROM sessions WHERE id = ${ctx.sessionId} AND revoked_at IS NULL`;
    if (!live) throw ended('Your session was ended; log in again');
  }
  const current = await loadUser(ctx.sql, { id: user.id });
  if (!current || current.disabled) throw ended('Your account is no longer active');
  const { passwordHash: _p, disabled: _d, ...now } = current;
  return now;
}

export type LiveEvent<T> = { kind: 'event'; value: T } | { kind: 'user' };

/** Merges `source` with this subscriber's user_changed events; the caller re-checks with liveUser on each. */
export function withUserChanges<T>(ctx: GraphQLContext, source: AsyncIterable<T>): AsyncIterable<LiveEvent<T>> {
  const userId = requireUser(ctx).id;
  return Repeater.merge([
    pipe(
      source,
      map((value: T): LiveEvent<T> => ({ kind: 'event', value })),
    ),
    pipe(
      ctx.userEvents.subscribe('userChanged'),
      filter((id: string) => id === userId || id === EVERY_USER),
      map((): LiveEvent<T> => ({ kind: 'user' })),
    ),
  ]);
}
