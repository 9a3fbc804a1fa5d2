// Long-lived subscriptions re-check the session they were opened with: at their first event, and at once when the user's
// row, memberships or sessions change (user_changed, or every user after the LISTEN connection came back, when a
// change may have been missed). Between those the user is kept in memory, so an event costs no query: a thousand
// dashboards would otherwise read the session and the user for every change they are sent. The token's expiry is
// checked on every event, in memory. A revoked session, a disabled user or an expired access token ends the stream
// with UNAUTHENTICATED; a changed role or membership narrows what it shows.
import { GraphQLError } from 'graphql';
import { loadUser, type AuthUser } from '../auth.ts';
import { requireUser, type GraphQLContext } from './builder.ts';

function ended(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}

function checkExpiry(ctx: GraphQLContext): void {
  if (ctx.sessionExpiresAt !== null && Date.now() >= ctx.sessionExpiresAt) {
    throw ended('Your session has expired; log in again');
  }
}

/** The subscriber as they are now, or an UNAUTHENTICATED error that ends the subscription. */
export async function liveUser(ctx: GraphQLContext): Promise<AuthUser> {
  const user = requireUser(ctx);
  checkExpiry(ctx);
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

/**
 * `source` merged with this subscriber's user_changed events; the caller re-checks with liveUser on each. A plain
 * iterator rather than Repeater.merge: the merge pushed every event through two more repeaters, which at a thousand
 * subscribers was the largest cost of a live event after the socket write. The source's pending next() is kept
 * across a user change, so no event is lost and no callback piles up on it but one per user change.
 */
function withUserChanges<T>(ctx: GraphQLContext, source: AsyncIterable<T>): AsyncIterator<LiveEvent<T>> {
  const src = source[Symbol.asyncIterator]();
  let changed = false;
  let ended = false;
  let wake: (() => void) | null = null;
  const stop = ctx.userEvents.listen(requireUser(ctx).id, () => {
    changed = true;
    wake?.();
  });
  let pending: Promise<IteratorResult<T>> | null = null;
  return {
    async next(): Promise<IteratorResult<LiveEvent<T>, undefined>> {
      while (!ended) {
        if (changed) {
          changed = false;
          return { value: { kind: 'user' }, done: false };
        }
        const next = (pending ??= src.next());
        const r = await new Promise<IteratorResult<T> | null>((resolve, reject) => {
          wake = () => resolve(null);
          next.then(resolve, reject);
        });
        wake = null;
        if (r === null) continue;
        pending = null;
        if (r.done) break;
        return { value: { kind: 'event', value: r.value }, done: false };
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<LiveEvent<T>, undefined>> {
      ended = true;
      stop();
      wake?.();
      await src.return?.();
      return { value: undefined, done: true };
    },
  };
}

/**
 * `source`'s events read as the subscriber is now: `read` gets the live user and the event (null skips it), and a
 * user change re-checks the user (ending the stream with UNAUTHENTICATED when they may no longer watch). A plain
 * iterator instead of yoga's map/filter on purpose: an error thrown inside `map` is kept by its Repeater and rethrown from `return()`, which graphql-ws calls without
 * awaiting when the client closes the socket at that moment, so it surfaced as an unhandled rejection. Here the
 * error reaches only the caller of `next()`, and `return()` just releases the sources.
 */
export function liveStream<T, R>(
  ctx: GraphQLContext,
  source: AsyncIterable<T>,
  read: (user: AuthUser, value: T) => Promise<R | null>,
  /** Told of the user each time they are (re)checked: a source that filters by the user's scope keeps it current. */
  onUser?: (user: AuthUser) => void,
): AsyncIterableIterator<R> {
  const events = withUserChanges(ctx, source);
  // Read at the first event rather than at subscribe time, where an error would not reach the client as one.
  let user: AuthUser | null = null;
  const close = async (): Promise<IteratorReturnResult<undefined>> => {
    await events.return?.().catch(() => undefined);
    return { value: undefined, done: true };
  };
  const stream: AsyncIterableIterator<R> = {
    async next() {
      for (let e = await events.next(); !e.done; e = await events.next()) {
        try {
          if (user === null || e.value.kind === 'user') {
            user = await liveUser(ctx);
            onUser?.(user);
          } else checkExpiry(ctx);
          const value = e.value.kind === 'event' ? await read(user, e.value.value) : null;
          if (value !== null) return { value, done: false };
        } catch (err) {
          await close();
          throw err;
        }
      }
      return close();
    },
    return: close,
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
