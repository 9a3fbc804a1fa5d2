// Fans PostgreSQL NOTIFY out to GraphQL subscribers. Notifications carry only ids: a changed incident's id goes to the
// incident feed (incident-feed.ts), which reads it once for every subscriber; a notification's id to its subscribers.
//
// A notification sent while the LISTEN connection is down (PostgreSQL restarted, a network blip) is lost for good.
// postgres.js reconnects and listens again by itself, calling onlisten each time; on every listen after the first
// we publish the ids of incidents changed since shortly before the last thing we heard (at most CATCH_UP.windowMs
// back, at most CATCH_UP.limit of them), so live dashboards re-read what they missed.
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';
import { INCIDENT_CHANNEL } from '../db/channels.ts';
import { NOTIFICATION_CHANNEL } from '../activities/notify.ts';
import type { IncidentFeed } from './incident-feed.ts';

export type IncidentPubSub = ReturnType<typeof createIncidentPubSub>;

export const CATCH_UP = {
  windowMs: 5 * 60_000,
  limit: 500,
  /** Covers the clock difference between this process and PostgreSQL, which stamps updated_at. */
  slackMs: 5_000,
};

type LiveEvents = { notificationAdded: [notificationId: string] };

export function createIncidentPubSub() {
  // Every live subscription is one listener on this target. How many there may be is bounded by the subscription
  // caps per socket and per user (api/graphql/limits.ts), not by Node's default of 10 listeners an event type, whose
  // MaxListenersExceededWarning would otherwise fire with the eleventh open dashboard.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  return createPubSub<LiveEvents>({ eventTarget: eventTarget as never });
}

/** Ids of incidents changed after `since`, oldest first, bounded by CATCH_UP. */
export async function incidentsChangedSince(sql: Sql, since: number, now = Date.now()): Promise<string[]> {
  const from = new Date(Math.max(since - CATCH_UP.slackMs, now - CATCH_UP.windowMs)).toISOString();
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM (
      SELECT id, updated_at FROM incidents WHERE updated_at > ${from}::timestamptz
      ORDER BY updated_at DESC LIMIT ${CATCH_UP.limit}
    ) latest ORDER BY updated_at`;
  return rows.map((r) => r.id);
}

export async function listenForIncidentUpdates(sql: Sql, feed: IncidentFeed): Promise<() => Promise<void>> {
  let lastHeard = Date.now();
  let listens = 0;
  let stopped = false;
  const publish = (incidentId: string) => {
    // After a reconnect postgres.js listens with a copy of this callback that unlisten no longer reaches.
    if (stopped) return;
    lastHeard = Date.now();
    feed.changed(incidentId);
  };
  const catchUp = async () => {
    const since = lastHeard;
    lastHeard = Date.now();
    const ids = await incidentsChangedSince(sql, since);
    if (stopped) return;
    for (const id of ids) feed.changed(id);
  };
  const sub = await sql.listen(INCIDENT_CHANNEL, publish, () => {
    listens += 1;
    if (listens === 1) return;
    // If the connection drops again before this read, the next listen catches up from the same point.
    const from = lastHeard;
    catchUp().catch(() => (lastHeard = Math.min(lastHeard, from)));
  });
  return async () => {
    stopped = true;
    await sub.unlisten();
  };
}

/**
 * New in-app notifications, by id. No catch-up after a reconnect: the bell re-reads its list and count whenever
 * its stream resyncs, which is when it could have missed one.
 */
export async function listenForNotifications(sql: Sql, pubsub: IncidentPubSub): Promise<() => Promise<void>> {
  let stopped = false;
  const sub = await sql.listen(NOTIFICATION_CHANNEL, (id) => {
    if (!stopped) pubsub.publish('notificationAdded', id);
  });
  return async () => {
    stopped = true;
    await sub.unlisten();
  };
}
