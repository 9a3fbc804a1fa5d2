// Fans the worker's decision_progress NOTIFYs (activities/decision/progress.ts) out to decisionProgress subscribers.
// One LISTEN per database client, started by the first subscriber and kept for the process's life (postgres.js
// holds it on one connection and listens again after a reconnect). Notifications carry incident ids only; the
// subscription re-reads the row within the subscriber's scope. A notification lost while the connection is down
// needs no catch-up: every update carries the whole text so far, and the finished decision is on the incident.
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';
import { DECISION_PROGRESS_CHANNEL } from '../activities/decision/progress.ts';

type Feed = ReturnType<typeof createPubSub<{ progress: [incidentId: string] }>>;

const feeds = new WeakMap<Sql, Promise<Feed>>();

export function decisionProgressFeed(sql: Sql): Promise<Feed> {
  let feed = feeds.get(sql);
  if (!feed) {
    feed = (async () => {
      // Bounded by the subscription caps (api/graphql/limits.ts), as the incident feed is.
      const target = new EventTarget();
      setMaxListeners(0, target);
      const pubsub = createPubSub<{ progress: [incidentId: string] }>({ eventTarget: target as never });
      await sql.listen(DECISION_PROGRESS_CHANNEL, (incidentId) => pubsub.publish('progress', incidentId));
      return pubsub;
    })();
    // A failed LISTEN is tried again by the next subscriber.
    feed.catch(() => feeds.delete(sql));
    feeds.set(sql, feed);
  }
  return feed;
}
