// The episodes of each Events API v2 dedup_key (migration 026). PagerDuty de-duplicates a trigger or a resolve sent
// again, yet lets a sender use a dedup_key once more after resolving it: that trigger opens a new incident. The
// episode a trigger or resolve belongs to tells the two apart, so it is part of the event's delivery id.
import type { Sql } from './sql.ts';

export type EpisodeAction = 'trigger' | 'resolve';

/**
 * How long a key resolved and unused keeps its row. Senders retry within minutes; past this a key's row only numbers
 * its next trigger, which the key's stored alerts can number as well (see `open`), so the row may go.
 */
export const EPISODE_RETENTION_DAYS = 30;

export interface EpisodeRetention {
  days: number;
  /** Rows deleted by one statement, so a prune never holds many row locks or a long transaction. */
  batch: number;
  /** How often a process prunes (a full batch prunes again on the next event). */
  everyMs: number;
}

const DEFAULT_RETENTION: EpisodeRetention = { days: EPISODE_RETENTION_DAYS, batch: 1_000, everyMs: 10 * 60_000 };

export class EventEpisodes {
  private readonly retention: EpisodeRetention;
  private prunedAt = Date.now();
  private pruning = false;

  constructor(
    private readonly sql: Sql,
    retention: Partial<EpisodeRetention> = {},
  ) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
  }

  /**
   * The key's episode this event belongs to, moving the key on: a trigger opens the next episode when the key is
   * resolved (or joins the open one), a resolve closes the current one. A repeated event changes nothing, so a
   * retry lands in the episode of its first attempt. Concurrent events of a key queue on its row.
   */
  async advance(companyId: string, dedupKey: string, action: EpisodeAction): Promise<number> {
    const open = action === 'trigger';
    const [moved] = await this.sql<{ episode: number }[]>`
      UPDATE event_episodes AS e
      SET episode = e.episode + CASE WHEN ${open} AND NOT e.open THEN 1 ELSE 0 END, open = ${open}, changed_at = now()
      WHERE company_id = ${companyId} AND dedup_key = ${dedupKey}
      RETURNING episode`;
    const episode = moved?.episode ?? (await this.open(companyId, dedupKey, open));
    this.pruneSoon();
    return episode;
  }

  /**
   * Deletes up to one batch of keys resolved longer ago than the retention; the number deleted. A key an event moves
   * meanwhile is skipped (its row is locked) or no longer matches, so a live key never loses its row.
   */
  async prune(): Promise<number> {
    const rows = await this.sql`
      DELETE FROM event_episodes WHERE (company_id, dedup_key) IN (
        SELECT company_id, dedup_key FROM event_episodes
        WHERE NOT open AND changed_at < now() - make_interval(days => ${this.retention.days})
        LIMIT ${this.retention.batch}
        FOR UPDATE SKIP LOCKED)`;
    return rows.count;
  }

  /**
   * A key without a row: new, or pruned. A pruned key's next episode must not reuse the delivery ids its stored
   * alerts carry (they would be taken for retries and dropped), so it starts past the last episode whose trigger or
   * resolve is stored: the ids of api/receivers/pagerduty.ts, hashed past 200 characters as api/webhooks/
   * delivery-ids.ts does, each looked up in the alerts' unique (company_id, delivery_id) index. A new key costs one
   * look-up. Two first events racing meet in ON CONFLICT, which moves the key as `advance` does.
   */
  private async open(companyId: string, dedupKey: string, open: boolean): Promise<number> {
    const [row] = await this.sql<{ episode: number }[]>`
      WITH RECURSIVE stored(n) AS (
        SELECT 0
        UNION ALL
        SELECT s.n + 1 FROM stored s
        WHERE EXISTS (
          SELECT 1
          FROM (VALUES ('trigger'), ('resolve')) AS a(action)
          CROSS JOIN LATERAL (
            SELECT 'events_v2:' || ${dedupKey}::text || ':' || a.action
              || CASE WHEN s.n = 0 THEN '' ELSE ':' || (s.n + 1) END AS id
          ) ids
          JOIN alerts al ON al.company_id = ${companyId}
            AND al.delivery_id IN (ids.id, 'sha256:' || encode(sha256(convert_to(ids.id, 'UTF8')), 'hex')))
      )
      INSERT INTO event_episodes AS e (company_id, dedup_key, episode, open)
      SELECT ${companyId}, ${dedupKey}, max(n) + 1, ${open} FROM stored
      ON CONFLICT (company_id, dedup_key) DO UPDATE
        SET episode = e.episode + CASE WHEN ${open} AND NOT e.open THEN 1 ELSE 0 END, open = ${open},
          changed_at = now()
      RETURNING episode`;
    return row!.episode;
  }

  /** One batch off the request's path, at most every `everyMs` per process (sooner while batches come back full). */
  private pruneSoon(): void {
    if (this.pruning || Date.now() - this.prunedAt < this.retention.everyMs) return;
    this.pruning = true;
    this.prune()
      .then((n) => {
        this.prunedAt = n >= this.retention.batch ? 0 : Date.now();
      })
      .catch(() => {
        // The table is only a little larger until the next try: an event is never refused over its clean-up.
        this.prunedAt = Date.now();
      })
      .finally(() => {
        this.pruning = false;
      });
  }
}
