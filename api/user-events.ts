// user_changed NOTIFY (a session revoked, a user disabled, a role or membership changed) fanned out per user,
// so a live subscription re-checks its session at once instead of at its next incident event.
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';

export const USER_CHANGED_CHANNEL = 'user_changed';
/** Published after the LISTEN connection came back: changes may have been missed, so every subscriber re-checks. */
export const EVERY_USER = '*';

export type UserEvents = ReturnType<typeof createUserEvents>;

export function createUserEvents() {
  // Every live subscription listens here (bounded by the caps per socket and per user, api/graphql/limits.ts), not
  // by Node's default of 10 listeners an event type, whose warning would fire with the eleventh open dashboard.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  const pubsub = createPubSub<{ userChanged: [userId: string] }>({ eventTarget: eventTarget as never });
  return {
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    /**
     * Calls `changed` whenever `userId` (or every user) changed, until the returned stop is called: a listener,
     * not an async iterator, so a live stream pays nothing for it on each of its events.
     */
    listen(userId: string, changed: () => void): () => void {
      const listener = (e: Event) => {
        const id = (e as CustomEvent<string>).detail;
        if (id === userId || id === EVERY_USER) changed();
      };
      eventTarget.addEventListener('userChanged', listener);
      return () => eventTarget.removeEventListener('userChanged', listener);
    },
  };
}

export async function listenForUserChanges(sql: Sql, events: UserEvents): Promise<() => Promise<void>> {
  let listens = 0;
  let stopped = false;
  const sub = await sql.listen(
    USER_CHANGED_CHANNEL,
    (userId) => {
      // After a reconnect postgres.js listens with a copy of this callback that unlisten no longer reaches.
      if (!stopped) events.publish('userChanged', userId);
    },
    () => {
      // postgres.js listens again by itself after a reconnect; what was revoked meanwhile is re-checked by all.
      listens += 1;
      if (listens > 1 && !stopped) events.publish('userChanged', EVERY_USER);
    },
  );
  return async () => {
    stopped = true;
    await sub.unlisten();
  };
}
