// Live incident changes read once per change and shared by every subscriber of this API process (issue 15 item 4).
//
// A change arrives as an incident id (NOTIFY on incident_updated, or the catch-up after a re-listen). The feed
// reads the changed incidents' headers in one query for all of them, whoever is watching, and hands the same record
// to every subscriber; each subscription then checks in memory whether its user may see that company. The read is
// batched like a group commit: ids that arrive while a read is in flight wait for the next one, so at 500 changes a
// second the feed makes a few reads a second, not one per subscriber per change. With nobody subscribed it reads
// nothing. The header carries no alerts or timeline (subscriptions may not select them: live-selection.ts).
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';
import type { Logger } from '../lib/log.ts';
import { fromRow, selectIncidents, type IncidentRecord, type IncidentRow } from './incident-queries.ts';

/** Ids one read takes; the rest wait for the next read of the same drain. */
export const FEED_BATCH = 500;
/** A failed read is tried again this many times (a PostgreSQL blip); then its ids wait for the re-listen catch-up. */
const READ_ATTEMPTS = 3;

export interface FeedStats {
  /** Changed ids handed to the feed while someone was subscribed. */
  changes: number;
  /** Database reads the feed made for them. */
  reads: number;
  /** Incident records published to subscribers (one per read row, however many subscribers get it). */
  published: number;
}

export interface IncidentFeed {
  /** An incident changed: it is read (with others changed meanwhile) and published to every subscriber. */
  changed(incidentId: string): void;
  /** Every changed incident's header, from the moment of the call; `return()` ends it. */
  subscribe(): AsyncIterableIterator<FeedItem>;
  /** How many subscriptions hold the feed now. */
  subscribers(): number;
  stats(): FeedStats;
}

/** An incident whose row cannot be read (a value out of range): its subscribers get the error, as a read's would. */
export interface UnreadableIncident {
  id: string;
  companyId: string;
  error: unknown;
}

/** What the feed publishes: a changed incident's header, or why it could not be read. */
export type FeedItem = IncidentRecord | UnreadableIncident;

export function isUnreadable(item: FeedItem): item is UnreadableIncident {
  return 'error' in item;
}

/** A failure of the row itself (our timestamp parser's RangeError, a data exception), not of the connection. */
function rowFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof RangeError || err instanceof TypeError || (typeof code === 'string' && code.startsWith('22'));
}

export function createIncidentFeed(sql: Sql, log?: Logger): IncidentFeed {
  // One listener per subscription on this target; their number is bounded by the caps per socket and per user.
  const target = new EventTarget();
  setMaxListeners(0, target);
  const pubsub = createPubSub<{ incident: [FeedItem] }>({ eventTarget: target as never });
  const pending = new Set<string>();
  const stats: FeedStats = { changes: 0, reads: 0, published: 0 };
  let subscribers = 0;
  let draining = false;

  const readIncidents = async (ids: string[]): Promise<IncidentRecord[]> => {
    stats.reads += 1;
    const rows = await sql<IncidentRow[]>`${selectIncidents(sql)} WHERE i.id = ANY(${ids})`;
    return rows.map(fromRow);
  };
  // One unreadable row must not hold back the others of its batch: the batch is read again one by one, and the
  // row that fails goes to its subscribers as an error (with its company, so only those who may see it get it).
  const read = async (ids: string[]): Promise<FeedItem[]> => {
    try {
      return await readIncidents(ids);
    } catch (err) {
      if (!rowFailure(err)) throw err;
      if (ids.length > 1) return (await Promise.all(ids.map((id) => read([id])))).flat();
      const [row] = await sql<{ companyId: string }[]>`SELECT company_id FROM incidents WHERE id = ${ids[0]!}`;
      return row ? [{ id: ids[0]!, companyId: row.companyId, error: err }] : [];
    }
  };

  const drain = async () => {
    let failures = 0;
    while (pending.size > 0 && subscribers > 0) {
      const ids = [...pending].slice(0, FEED_BATCH);
      for (const id of ids) pending.delete(id);
      try {
        const records = await read(ids);
        failures = 0;
        for (const record of records) {
          stats.published += 1;
          pubsub.publish('incident', record);
        }
      } catch (err) {
        failures += 1;
        log?.warn({ err: String(err), incidents: ids.length }, 'live incident read failed');
        // A change newer than the failed read may have been added meanwhile; either way one read covers both.
        if (failures < READ_ATTEMPTS) for (const id of ids) pending.add(id);
      }
    }
  };
  const kick = () => {
    if (draining) return;
    draining = true;
    void drain().finally(() => {
      draining = false;
      if (pending.size > 0 && subscribers > 0) kick();
    });
  };

  return {
    changed(incidentId) {
      if (subscribers === 0) return;
      stats.changes += 1;
      pending.add(incidentId);
      kick();
    },
    subscribe() {
      const inner = pubsub.subscribe('incident')[Symbol.asyncIterator]();
      subscribers += 1;
      let open = true;
      const release = () => {
        if (!open) return;
        open = false;
        subscribers -= 1;
        if (subscribers === 0) pending.clear();
      };
      // A plain iterator rather than an async generator: a generator's return() waits behind its pending next(),
      // so a subscriber closing while no change comes would hold its slot until the next change.
      const it: AsyncIterableIterator<FeedItem> = {
        next: async () => {
          const r = await inner.next();
          if (r.done) release();
          return r;
        },
        return: async () => {
          release();
          await inner.return?.();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]: () => it,
      };
      return it;
    },
    subscribers: () => subscribers,
    stats: () => ({ ...stats }),
  };
}
