// Live incident changes read once per change and shared by every subscriber of this API process (issue 15 item 4).
//
// A change arrives as an incident id (NOTIFY on incident_updated, or the catch-up after a re-listen). The feed
// reads the changed incidents' headers in one query for all of them, whoever is watching, and hands the same record
// to the subscribers who may see it: those following that incident (found by id) and those watching lists whose
// companies include its company (checked in memory). The read is batched like a group commit: ids that arrive while
// a read is in flight wait for the next one, so at 500 changes a second the feed makes a few reads a second, not
// one per subscriber per change. With nobody subscribed it reads nothing. The header carries no alerts or timeline
// (subscriptions may not select them: live-selection.ts).
//
// Each subscriber has a queue that keeps the latest record per incident: a slow socket gets the newest state of
// each incident it missed, once, and its queue never holds more than the incidents it may see.
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
  /**
   * Changed incidents' headers from the moment of the call: the one incident `incidentId` names, or (null) every
   * incident of the companies `scope()` returns at the time of the change (null: every company). `return()` ends it.
   */
  subscribe(watch: Watch): AsyncIterableIterator<FeedItem>;
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

export interface Watch {
  incidentId: string | null;
  scope: () => string[] | null;
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

/** One subscriber's undelivered records, the latest per incident, in the order incidents first changed. */
class LatestQueue {
  private readonly queue = new Map<string, FeedItem>();
  private waiting: ((r: IteratorResult<FeedItem, undefined>) => void) | null = null;
  private closed = false;

  constructor(readonly watch: Watch) {}

  push(item: FeedItem): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
    } else {
      this.queue.set(item.id, item);
    }
  }

  next(): Promise<IteratorResult<FeedItem, undefined>> {
    const first = this.queue.entries().next();
    if (!first.done) {
      this.queue.delete(first.value[0]);
      return Promise.resolve({ value: first.value[1], done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }
}

export function createIncidentFeed(sql: Sql, log?: Logger): IncidentFeed {
  /** Subscribers following one incident, by its id. */
  const following = new Map<string, Set<LatestQueue>>();
  /** Subscribers watching lists. */
  const watching = new Set<LatestQueue>();
  let subscribers = 0;
  const pending = new Set<string>();
  const stats: FeedStats = { changes: 0, reads: 0, published: 0 };
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
  const publish = (item: FeedItem) => {
    stats.published += 1;
    for (const q of following.get(item.id) ?? []) q.push(item);
    for (const q of watching) {
      const scope = q.watch.scope();
      if (scope === null || scope.includes(item.companyId)) q.push(item);
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
        for (const record of records) publish(record);
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

  const add = (q: LatestQueue) => {
    subscribers += 1;
    const id = q.watch.incidentId;
    if (id === null) watching.add(q);
    else following.set(id, (following.get(id) ?? new Set()).add(q));
  };
  const remove = (q: LatestQueue) => {
    const id = q.watch.incidentId;
    const removed = id === null ? watching.delete(q) : (following.get(id)?.delete(q) ?? false);
    if (!removed) return;
    if (id !== null && following.get(id)?.size === 0) following.delete(id);
    subscribers -= 1;
    if (subscribers === 0) pending.clear();
  };

  return {
    changed(incidentId) {
      if (subscribers === 0) return;
      stats.changes += 1;
      pending.add(incidentId);
      kick();
    },
    subscribe(watch) {
      const q = new LatestQueue(watch);
      add(q);
      const it: AsyncIterableIterator<FeedItem> = {
        next: () => q.next(),
        return: async () => {
          remove(q);
          q.close();
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
