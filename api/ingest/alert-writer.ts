// Group commit for webhook deliveries. A 2xx is only sent once a delivery's rows are committed, but
// requests that arrive while a commit is under way wait for the next one together: one multi-row INSERT takes their
// companies' rate-limit tokens and stores the alerts under the limit (alert-insert.ts), alone the commit unless a
// signed request needs its replay check first (delivery-checks.ts, in one transaction with the INSERT). Under
// load that turns thousands of commits into a few dozen. Routers are woken
// after the commit (a throttled NOTIFY), so commits never queue on PostgreSQL's notification lock.
import { ALERT_CHANNEL } from '../../db/channels.ts';
import type { Sql } from '../../db/sql.ts';
import type { Severity } from '../../domain/types.ts';
import type { AlertStatus } from '../receivers/types.ts';
import { insertBatch, limitedCompanies, makeBuckets } from './alert-insert.ts';
import { refuseReplays } from './delivery-checks.ts';

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
  /** Companies whose rate-limit bucket exists: made once, on a company's first limited request in this process. */
  private readonly buckets = new Set<string>();

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
        const newBuckets = limitedCompanies(reqs).filter((c) => !this.buckets.has(c));
        if (newBuckets.length > 0) {
          await makeBuckets(this.opts.sql, newBuckets, reqs);
          for (const c of newBuckets) this.buckets.add(c);
        }
        // With no signed request the batch is one INSERT, atomic by itself, rate limits included: it commits without
        // BEGIN and COMMIT, two round trips fewer for every commit on the webhook's path.
        const { results, inserted, bucketless } = reqs.every((r) => !r.signature)
          ? await insertBatch(
              this.opts.sql,
              reqs,
              reqs.map(() => null),
            )
          : await this.opts.sql.begin(async (tx) => insertBatch(tx, reqs, await refuseReplays(tx, reqs)));
        // A bucket gone (its company deleted meanwhile) refused its requests for a second; the next commit makes it
        // again, or fails for a company that is no more.
        for (const c of bucketless) this.buckets.delete(c);
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
