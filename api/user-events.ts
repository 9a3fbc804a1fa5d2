// user_changed NOTIFY (a session revoked, a user disabled, a role or membership changed) fanned out per user,
// so a live subscription re-checks its session at once instead of at its next incident event.
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';

export const USER_CHANGED_CHANNEL = 'user_changed';

export type UserEvents = ReturnType<typeof createUserEvents>;

export function createUserEvents() {
  return createPubSub<{ userChanged: [userId: string] }>();
}

export async function listenForUserChanges(sql: Sql, events: UserEvents): Promise<() => Promise<void>> {
  const sub = await sql.listen(USER_CHANGED_CHANNEL, (userId) => events.publish('userChanged', userId));
  return () => sub.unlisten();
}
