// The episodes of each Events API v2 dedup_key (migration 026). PagerDuty de-duplicates a trigger or a resolve sent
// again, yet lets a sender use a dedup_key once more after resolving it: that trigger opens a new incident. The
// episode a trigger or resolve belongs to tells the two apart, so it is part of the event's delivery id.
import type { Sql } from './sql.ts';

export type EpisodeAction = 'trigger' | 'resolve';

export class EventEpisodes {
  constructor(private readonly sql: Sql) {}

  /**
   * The key's episode this event belongs to, moving the key on: a trigger opens the next episode when the key is
   * resolved (or joins the open one), a resolve closes the current one. A repeated event changes nothing, so a
   * retry lands in the episode of its first attempt. One statement: concurrent events of a key queue on its row.
   */
  async advance(companyId: string, dedupKey: string, action: EpisodeAction): Promise<number> {
    const open = action === 'trigger';
    const [row] = await this.sql<{ episode: number }[]>`
      INSERT INTO event_episodes AS e (company_id, dedup_key, episode, open)
      VALUES (${companyId}, ${dedupKey}, 1, ${open})
      ON CONFLICT (company_id, dedup_key) DO UPDATE
        SET episode = e.episode + CASE WHEN ${open} AND NOT e.open THEN 1 ELSE 0 END, open = ${open},
          changed_at = now()
      RETURNING episode`;
    return row!.episode;
  }
}
