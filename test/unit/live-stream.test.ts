// The live subscription stream on its own: a user change ends it with UNAUTHENTICATED through next(), and a
// consumer that returns while that check is running gets a clean return, with nothing left unhandled.
import { createPubSub } from 'graphql-yoga';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphQLContext } from '../../api/graphql/builder.ts';
import { liveStream } from '../../api/graphql/live-session.ts';
import { createUserEvents } from '../../api/user-events.ts';

const unhandled: unknown[] = [];
const collect = (err: unknown) => unhandled.push(err);
beforeEach(() => void process.on('unhandledRejection', collect));
afterEach(() => void process.off('unhandledRejection', collect));

function setup() {
  const userEvents = createUserEvents();
  const events = createPubSub<{ thing: [id: string] }>();
  // An expired session: liveUser refuses without reaching the database.
  const ctx = {
    user: { id: 'u1', email: 'a@b.c', name: 'A', role: 'technician', companyIds: [] },
    sessionExpiresAt: Date.now() - 1000,
    sessionId: null,
    userEvents,
  } as unknown as GraphQLContext;
  const reads: string[] = [];
  const stream = liveStream(ctx, events.subscribe('thing'), async (_user, id: string) => {
    reads.push(id);
    return id;
  });
  return { userEvents, events, stream, reads };
}

const ticks = () => new Promise((r) => setTimeout(r, 20));

describe('liveStream', () => {
  it('ends with UNAUTHENTICATED on a change of its user, and ignores other users', async () => {
    const { userEvents, stream } = setup();
    const next = stream.next();
    userEvents.publish('userChanged', 'someone-else');
    await ticks();
    userEvents.publish('userChanged', 'u1');
    await expect(next).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('never reads an event for a user whose session has ended', async () => {
    const { events, stream, reads } = setup();
    const next = stream.next();
    events.publish('thing', 'x');
    await expect(next).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(reads).toEqual([]);
  });

  it('returns cleanly while the session check is running, leaving nothing unhandled', async () => {
    const { userEvents, stream } = setup();
    const next = stream.next().then(
      (r) => (r.done ? 'done' : 'a value'),
      (err: Error) => err.message,
    );
    userEvents.publish('userChanged', 'u1');
    // graphql-ws calls return() without awaiting it when the socket closes.
    const closed = stream.return!();
    expect(await closed).toEqual({ value: undefined, done: true });
    expect(await next).toMatch(/^done$|expired/);
    await ticks();
    expect(unhandled).toEqual([]);
  });
});
