// The model's answer while it streams, for the dashboard: the text so far goes to decision_progress (one row per
// incident, migration 022) at most every `intervalMs`, and the incident id goes out on NOTIFY; the API re-reads the
// row within each subscriber's scope (api/graphql/types/decision-progress.ts). Writing is best effort: a failure
// is logged and never fails or delays the decision beyond the last write.
import type { Sql } from '../../db/sql.ts';
import { MAX_STREAM_CHARS } from '../../domain/decision-stream.ts';

export const DECISION_PROGRESS_CHANNEL = 'decision_progress';
/** A few updates a second: enough to read along, few enough for many incidents deciding at once. */
export const PROGRESS_INTERVAL_MS = 250;

export interface ProgressWriter {
  /** The text so far (written within `intervalMs`, the latest only). */
  update(soFar: string): void;
  /** Writes the last text and marks the stream done; resolves when every write has settled. */
  finish(): Promise<void>;
}

export function createProgressWriter(
  sql: Sql,
  ids: { incidentId: string; companyId: string },
  who: { provider: string; model: string | null },
  opts: { intervalMs?: number; logFailure(message: string, meta: Record<string, unknown>): void },
): ProgressWriter {
  const intervalMs = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
  let latest = '';
  let written: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  let failed = false;

  const write = (done: boolean, fresh = false) => {
    const text = latest;
    written = text;
    chain = chain.then(async () => {
      if (failed) return;
      try {
        // One round trip: the row, then the id on NOTIFY (sent when the statement's transaction commits).
        await sql`
          WITH up AS (
            INSERT INTO decision_progress (incident_id, company_id, provider, model, text, done)
            VALUES (${ids.incidentId}, ${ids.companyId}, ${who.provider}, ${who.model}, ${text}, ${done})
            ON CONFLICT (incident_id) DO UPDATE SET
              provider = EXCLUDED.provider, model = EXCLUDED.model, text = EXCLUDED.text, done = EXCLUDED.done,
              started_at = CASE WHEN ${fresh}::boolean THEN clock_timestamp() ELSE decision_progress.started_at END,
              updated_at = clock_timestamp()
            WHERE decision_progress.company_id = EXCLUDED.company_id
            RETURNING incident_id)
          SELECT pg_notify(${DECISION_PROGRESS_CHANNEL}, incident_id) FROM up`;
      } catch (err) {
        // One warning per decision; the decision goes on without the live view.
        failed = true;
        opts.logFailure('Could not write the decision’s progress; it goes on without the live view', {
          incidentId: ids.incidentId,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    });
  };

  // A new decision starts with an empty text, so a follower never reads the previous decision's answer as this one.
  write(false, true);
  return {
    update(soFar) {
      latest = soFar.slice(0, MAX_STREAM_CHARS);
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        if (latest !== written) write(false);
      }, intervalMs);
    },
    async finish() {
      if (timer) clearTimeout(timer);
      timer = null;
      write(true);
      await chain;
    },
  };
}
