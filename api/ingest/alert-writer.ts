// Group commit for webhook deliveries. A 2xx is only sent once a delivery's rows are committed, but
// requests that arrive while a commit is under way wait for the next one together: one transaction
// checks their signatures for replays, takes their rate-limit tokens (delivery-checks.ts) and inserts all
// their alerts with one multi-row INSERT, which alone is the commit when there is nothing to check. Under
// load that turns thousands of commits into a few dozen. Routers are woken
// after the commit (a throttled NOTIFY), so commits never queue on PostgreSQL's notification lock.
import { ALERT_CHANNEL } from '../../db/channels.ts';
import type { Sql, TransactionSql as Tx } from '../../db/sql.ts';
import type { Severity } from '../../domain/types.ts';
import type { AlertStatus } from '../receivers/types.ts';
import { checkBatch, type BucketWrite } from './delivery-checks.ts';

/** Named in db/channels.ts; re-exported for the API code that wakes the routers too. */
export { ALERT_CHANNEL };
const WAKE_MS = 20;

export interface AlertRow {
  id: string;
  companyId: string;
  deliveryId: string;
  assetName: string;
  signature: string;
  aggregationKey: string;
  severity: Severity;
  message: string;
  toolSource: string;
  status: AlertStatus;
  sourceKey: string | null;
  labels: Record<string, string>;
  receiver: string;
}

export interface WriteRequest {
  companyId: string;
  /** 0 = unlimited. */
  ratePerMinute: number;
  alerts: AlertRow[];
  /** A signed request: the same signature with another delivery key within the window is a replay. */
  signature?: { value: string; deliveryKey: string };
}

export interface StoredAlert {
  alertId: string;
  deliveryId: string;
  duplicate: boolean;
}

export type WriteResult =
  | { kind: 'stored'; alerts: StoredAlert[] }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'replayed' };

interface Pending {
  req: WriteRequest;
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

export interface AlertWriterOptions {
  sql: Sql;
  /**
   * Commits under way at once (default 2); more requests wait and join the next commit. One at a time made commits
   * larger and cost less CPU per request, but with the router and the worker on the same cores the open loop's p99
   * went from 82–96 ms to 272–342 ms (bench/RESULTS.md, eleventh session): a commit slowed by the machine held up
   * every request behind it.
   */
  maxInFlight?: number;
  /** Alerts in one commit at most; a larger queue is split over several. */
  maxBatchAlerts?: number;
}

export class AlertWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private lastPrune = 0;
  private lastWake = 0;
  private wakeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: AlertWriterOptions) {}

  write(req: WriteRequest): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const maxInFlight = this.opts.maxInFlight ?? 2;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight += 1;
      void this.commit(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private take(): Pending[] {
    const max = this.opts.maxBatchAlerts ?? 5000;
    let alerts = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || alerts + this.queue[n]!.req.alerts.length <= max)) {
      alerts += this.queue[n]!.req.alerts.length;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  /**
   * Tells routers (any process) that alerts are waiting, after the commit and at most once per WAKE_MS.
   * NOTIFY inside the insert would serialise every commit on PostgreSQL's notification lock; a wake-up
   * lost to a crash right after a commit costs one router poll (2 s), never an alert.
   */
  private wakeRouters(): void {
    if (this.wakeTimer) return;
    const wait = Math.max(this.lastWake + WAKE_MS - Date.now(), 0);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.lastWake = Date.now();
      this.opts.sql`SELECT pg_notify(${ALERT_CHANNEL}, '')`.catch(() => undefined);
    }, wait);
  }

  private async commit(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const reqs = batch.map((p) => p.req);
        // With no signed request and no rate limit the batch is one INSERT, atomic by itself: it commits without
        // BEGIN and COMMIT, two round trips fewer for every commit on the webhook's path.
        const lone = reqs.every((r) => !r.signature && !(r.ratePerMinute > 0));
        const { results, inserted } = lone
          ? await insertBatch(
              this.opts.sql,
              reqs,
              reqs.map(() => null),
            )
          : await this.opts.sql.begin(async (tx) => {
              const { results: refused, buckets } = await checkBatch(tx, reqs);
              return insertBatch(tx, reqs, refused, buckets);
            });
        batch.forEach((p, i) => p.resolve(results[i]!));
        if (inserted > 0) this.wakeRouters();
        break;
      } catch (err) {
        // Two processes committing overlapping batches can deadlock on the unique index; PostgreSQL
        // picks one to fail, and running it again is safe because nothing of it was kept.
        const code = (err as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < 3) continue;
        for (const p of batch) p.reject(err);
        break;
      }
    }
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      // Past the replay window a signature is refused by its timestamp anyway.
      await this.opts.sql`DELETE FROM webhook_signatures WHERE seen_at < now() - interval '15 minutes'`.catch(
        () => undefined,
      );
    }
  }
}

/**
 * The alerts of the requests `results` did not refuse, in one INSERT that also writes the rate-limit `buckets` the
 * checks left (and, for duplicates, a read of what an earlier commit stored): atomic by itself, so `tx` is the pool
 * when no check ran, the checks' transaction otherwise.
 */
async function insertBatch(
  tx: Tx | Sql,
  reqs: WriteRequest[],
  results: Array<WriteResult | null>,
  buckets: BucketWrite | null = null,
): Promise<{ results: WriteResult[]; inserted: number }> {
  // Within the batch, the first row of a delivery id wins; the rest are its duplicates.
  const byKey = new Map<string, AlertRow>();
  for (let i = 0; i < reqs.length; i++) {
    if (results[i]) continue;
    for (const a of reqs[i]!.alerts) {
      const key = `${a.companyId}\u0000${a.deliveryId}`;
      if (!byKey.has(key)) byKey.set(key, a);
    }
  }
  // Always the same order, so two processes inserting overlapping batches take index locks alike.
  const rows = [...byKey.values()].sort((x, y) => (x.companyId + x.deliveryId < y.companyId + y.deliveryId ? -1 : 1));
  const inserted = new Set<string>();
  const ids = new Map<string, string>();
  if (rows.length > 0) {
    const col = <K extends keyof AlertRow>(k: K) => rows.map((r) => r[k]);
    // Each alert's search row (migration 030) is written by the same statement, for the rows it added only: a
    // duplicate delivery adds neither.
    const taken = buckets
      ? tx`taken AS (
          UPDATE webhook_rate_buckets b SET tokens = v.t, updated_at = now()
          FROM unnest(${buckets.companyIds}::text[], ${buckets.tokens}::float8[]) AS v(c, t)
          WHERE b.company_id = v.c),`
      : tx``;
    const added = await tx<{ id: string; company_id: string; delivery_id: string }[]>`
      WITH ${taken} added AS (
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
                          tool_source, status, source_key, labels, receiver)
      SELECT id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
             tool_source, status, source_key, labels::jsonb, receiver
      FROM unnest(${col('id')}::text[], ${col('companyId')}::text[], ${col('deliveryId')}::text[],
                  ${col('assetName')}::text[], ${col('signature')}::text[], ${col('aggregationKey')}::text[],
                  ${col('severity')}::text[], ${col('message')}::text[], ${col('toolSource')}::text[],
                  ${col('status')}::text[], ${col('sourceKey') as (string | null)[]}::text[],
                  ${rows.map((r) => JSON.stringify(r.labels))}::text[], ${col('receiver')}::text[])
        AS t(id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
             tool_source, status, source_key, labels, receiver)
      ON CONFLICT (company_id, delivery_id) DO NOTHING
      RETURNING id, company_id, delivery_id, message, asset_name, signature),
      search AS (
        INSERT INTO alert_search (alert_id, body)
        SELECT id, alert_search_text(message, asset_name, signature) FROM added)
      SELECT id, company_id, delivery_id FROM added`;
    for (const r of added) {
      const key = `${r.company_id}\u0000${r.delivery_id}`;
      inserted.add(key);
      ids.set(key, r.id);
    }
    const missing = rows.filter((r) => !inserted.has(`${r.companyId}\u0000${r.deliveryId}`));
    if (missing.length > 0) {
      const existing = await tx<{ id: string; company_id: string; delivery_id: string }[]>`
        SELECT a.id, a.company_id, a.delivery_id FROM alerts a
        JOIN unnest(${missing.map((r) => r.companyId)}::text[], ${missing.map((r) => r.deliveryId)}::text[]) AS m(company_id, delivery_id)
          ON a.company_id = m.company_id AND a.delivery_id = m.delivery_id`;
      for (const r of existing) ids.set(`${r.company_id}\u0000${r.delivery_id}`, r.id);
    }
  }

  const claimed = new Set<string>();
  const out = reqs.map((req, i): WriteResult => {
    if (results[i]) return results[i]!;
    const alerts = req.alerts.map((a) => {
      const key = `${a.companyId}\u0000${a.deliveryId}`;
      // Only the first request of a delivery id in this commit may call it new.
      const fresh = inserted.has(key) && byKey.get(key) === a && !claimed.has(key);
      if (fresh) claimed.add(key);
      return { alertId: ids.get(key) ?? a.id, deliveryId: a.deliveryId, duplicate: !fresh };
    });
    return { kind: 'stored', alerts };
  });
  return { results: out, inserted: inserted.size };
}
