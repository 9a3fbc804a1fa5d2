// Moves stored alerts to their incident workflows. The webhook never waits on Temporal: it commits the rows and
// returns; this loop (NOTIFY wakes it, a poll backs it up) takes the partitions with work it may
// (routing/partitions.ts), reads their unrouted rows without writing them, marks the pass (routing/passes.ts), places
// each alert in its correlation group (routing/placement.ts), and only then talks to Temporal (routing/send.ts): per
// lane (one group: one incident's workflow ID) one signalWithStart carrying the alerts that change the incident;
// plain repeats of an open incident are counted in PostgreSQL and never reach Temporal. An alert routed is written
// once after its insert, with its group and outcome together. Delivery is at least once; workflows drop ids they saw.
// Every company's alerts go through it (its own process, router/main.ts, or inside the API's), so tenant-configured
// work in a pass is bounded (routing/muting.ts) and an alert whose routing fails by its own fault is parked rather
// than retried by every pass and restart.
import { setMaxListeners } from 'node:events';
import { incidentWorkflowId } from '../domain/correlation.ts';
import { withinLaneBudget } from '../domain/lane-budget.ts';
import { maxActiveSilences } from '../lib/config.ts';
import { TASK_QUEUE } from '../workflows/types.ts';
import type { AlertRouterOptions } from './options.ts';
import { ALERT_CHANNEL } from '../db/channels.ts';
import { routeFailure, type RetryPolicy, type RouteErrorKind } from './routing/failures.ts';
import { Outage } from './routing/outage.ts';
import { placeIsolated, screenClaim } from './routing/intake.ts';
import { DEFAULT_MUTING_BUDGET, reportInvalidRules, type MutingBudget } from './routing/muting.ts';
import {
  claimAlerts,
  duePartitions,
  markFailed,
  markRouted,
  type ClaimedAlert,
  type RouteFailure,
  type ScopeOptions,
} from './routing/queue.ts';
import { routeResolutions } from './routing/resolution-pass.ts';
import { WAITING_FOR_ROUTING } from './routing/resolutions.ts';
import { sendLanes } from './routing/send.ts';
import { CALL_LISTENERS, type CallLimits } from './routing/signals.ts';
import { foldSymptomIncidents } from './routing/symptoms.ts';
import { finishPersonMerges } from './routing/person-merges.ts';
import { lockKeyOf, PartitionLocks } from './routing/partitions.ts';
import { beginPass, endPass, failPass, settleDeadPasses } from './routing/passes.ts';

/**
 * Alerts in one claim at most (batchSize). A pass's fixed costs (partition locks, its mark, one signal per lane) are
 * paid once per claim, so a backlog drains faster in large ones: 5,000 against 2,000 drained 5.2–5.9k against
 * 3.8–5.1k alerts/s (bench:ingest). A lane's signal stays small whatever the claim: at most 100 alerts in full, the
 * rest by id (domain/coalescing.ts).
 */
const CLAIM_SIZE = 5000;
/** Lanes one pass signals at most (withinLaneBudget): what a pass's 2,000 alerts could reach before claims grew. */
const LANES_PER_PASS = 2000;
/** Pause after a partial claim while alerts keep coming, so passes route batches rather than single alerts. */
const GATHER_MS = 25;
/** How often a router looks for symptom folds it did not start itself (one indexed query). */
const FOLD_SWEEP_MS = 30_000;

export type { AlertRouterOptions };

export class AlertRouter {
  private stopped = false;
  /** Aborted by stop(): the pass under way cancels its calls to Temporal and signals no more lanes (send.ts). */
  private readonly stopping = new AbortController();
  /** How the pass's calls to Temporal end early: the stop above, and the signal deadline. */
  private readonly calls: CallLimits;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private readonly outage: Outage;
  private cursor = '';
  /** The last claim took a full share of some company's queue: route again at once. */
  private backlogged = false;
  /** Symptom incidents wait to be merged into their host fault's (at start: whatever a crash left). */
  private folding = true;
  /** When this process last looked for folds anyway: another process may have died leaving some. */
  private foldSweptAt = 0;
  private readonly muting: MutingBudget;
  private readonly policy: RetryPolicy;
  /** Rules already reported as muting nothing, so the log says it once per process. */
  private readonly reported = new Set<string>();
  private readonly locks: PartitionLocks;
  /** The companies this router claims and folds: every company for a production router. */
  private readonly scope: ScopeOptions;
  /** The pass under way (routeBatch), or settled. */
  private passDone: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: AlertRouterOptions) {
    this.outage = new Outage(opts.log);
    this.policy = { maxAttempts: opts.maxAttempts ?? 8, retryBaseMs: opts.retryBaseMs ?? 2000 };
    this.muting = {
      ...DEFAULT_MUTING_BUDGET,
      maxSilences: opts.maxActiveSilences ?? maxActiveSilences(),
      companyBudgetMs: opts.mutingBudgetMs ?? DEFAULT_MUTING_BUDGET.companyBudgetMs,
    };
    this.scope = {
      ...(opts.companyIds ? { companyIds: opts.companyIds } : {}),
      ...(opts.companyScope ? { companyScope: opts.companyScope } : {}),
    };
    this.locks = new PartitionLocks(opts.sql, lockKeyOf(this.scope), opts.leaseSeconds);
    // Each lane in flight listens for the stop (signals.ts).
    setMaxListeners(CALL_LISTENERS, this.stopping.signal);
    this.calls = { stop: this.stopping.signal, deadlineMs: opts.signalDeadlineMs };
  }

  async start(): Promise<void> {
    // Re-listening after a database restart triggers a pass too, which catches up on what was missed.
    const sub = await this.opts.sql.listen(
      ALERT_CHANNEL,
      () => this.wake?.(),
      () => this.wake?.(),
    );
    this.unlisten = () => sub.unlisten();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => undefined);
    await this.locks.close();
  }

  private async run(): Promise<void> {
    const poll = this.opts.pollIntervalMs ?? 2000;
    while (!this.stopped) {
      let claimed = 0;
      try {
        claimed = await this.routeBatch();
      } catch (err) {
        this.outage.down(`alert router: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      // A full claim, or one company at its share of it: more is waiting, so no pause to gather.
      if ((claimed >= (this.opts.batchSize ?? CLAIM_SIZE) || this.backlogged) && !this.outage.ongoing) continue;
      if (claimed > 0 && !this.outage.ongoing) {
        // A partial claim under a steady stream: let a few milliseconds of alerts gather so the next pass
        // routes them together, instead of spending a pass (and its queries) on every few alerts.
        await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
        continue;
      }
      // While Temporal or PostgreSQL is away, back off; otherwise wait for NOTIFY or the poll.
      const delay = this.outage.pause(poll);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /**
   * Routes one claim's worth of alerts; returns how many were claimed. One pass at a time per router (its loop and a
   * caller's pass share its partition locks): a call while a pass runs starts once that pass is done.
   */
  routeBatch(): Promise<number> {
    const pass = this.passDone.then(() => this.pass());
    this.passDone = pass.catch(() => undefined);
    return pass;
  }

  private async pass(): Promise<number> {
    const { sql } = this.opts;
    const partitions = await this.locks.take((conn) => duePartitions(conn, this.scope));
    try {
      if (partitions.length > 0) await settleDeadPasses(this.locks.passSql, this.locks.key, partitions);
      const share = this.opts.perCompany ?? 500;
      const claim = await claimAlerts(sql, {
        perCompany: share,
        total: this.opts.batchSize ?? CLAIM_SIZE,
        partitions,
        afterCompanyId: this.cursor,
        ...this.scope,
      });
      // As many lanes as a company's share of alerts, and as many in all as the claims of old: a storm on distinct
      // keys cannot hold the router for 5,000 signals (domain/lane-budget.ts). What it leaves waits for the next pass.
      const { kept: claimed, left } = withinLaneBudget(claim, share, LANES_PER_PASS);
      const perCompany = new Map<string, number>();
      for (const a of claimed) perCompany.set(a.companyId, (perCompany.get(a.companyId) ?? 0) + 1);
      this.backlogged = left > 0 || [...perCompany.values()].some((n) => n >= share);
      if (claimed.length === 0) {
        await this.locks.release();
        await this.fold();
        return 0;
      }
      this.cursor = claimed[claimed.length - 1]!.companyId;
      const pass = await beginPass(
        this.locks.passSql,
        this.locks.key,
        partitions,
        claimed.map((a) => a.id),
      );
      let settled: boolean;
      try {
        settled = await this.routeClaimed(claimed, pass);
      } catch (err) {
        // Should the database be what stopped it, the mark stays, and the next holder counts it the same way.
        await failPass(this.locks.passSql, pass, this.policy.retryBaseMs).catch(() => undefined);
        throw err;
      }
      await endPass(this.locks.passSql, pass, settled);
      await this.locks.release();
      await this.fold();
      return claimed.length;
    } finally {
      await this.locks.release();
    }
  }

  /** Routes a claim while its partitions are held; returns whether every alert it placed was routed. */
  private async routeClaimed(claimed: ClaimedAlert[], passId: string): Promise<boolean> {
    const { sql } = this.opts;
    // An alert its incident already took (its routing was not recorded: a failed write, a crash) is done.
    const done = claimed.filter((a) => a.status === 'firing' && a.incidentId);
    await markRouted(
      this.locks.passSql,
      done.map((a) => a.id),
    );
    const live = claimed.filter((a) => !(a.status === 'firing' && a.incidentId));
    const { firing, notes, failures, invalid, deferred } = await screenClaim(sql, live, this.policy, this.muting);
    reportInvalidRules(invalid, this.reported, this.opts.log);
    if (deferred > 0) this.backlogged = true;
    // Placement and everything after it write: only while the partitions are still this router's.
    await this.locks.verify();
    const { routable, folds, placements } = await placeIsolated(
      sql,
      firing,
      this.opts.workflowIdFor ?? incidentWorkflowId,
      passId,
      this.policy,
      failures,
    );
    if (folds > 0) this.folding = true;
    await this.opts.hold?.(
      'placed',
      routable.map((a) => a.id),
    );
    await this.locks.verify();
    const attempts = new Map([...claimed, ...routable].map((a) => [a.id, a.routeAttempts]));
    const { reached, sent, settled } = await sendLanes(
      {
        sql,
        outcomes: this.locks.passSql,
        temporal: this.opts.temporal,
        taskQueue: this.opts.taskQueue ?? TASK_QUEUE,
        hold: this.opts.hold,
        stop: this.calls.stop,
        signalDeadlineMs: this.calls.deadlineMs,
      },
      routable,
      placements,
      (id, kind) => failures.push(this.failure(id, kind, attempts.get(id) ?? 1)),
    );

    // Resolutions after the firing alerts of the same claim, so a firing-then-resolved pair lands in order.
    failures.push(
      ...(await routeResolutions(
        sql,
        this.opts.temporal,
        notes,
        (id, kind) => this.failure(id, kind, attempts.get(id) ?? 1),
        this.calls,
      )),
    );
    await markFailed(this.locks.passSql, failures);

    const outages = failures.filter((f) => !f.counts && f.error !== WAITING_FOR_ROUTING);
    // A stop's cancelled lanes are not an outage.
    const away = !this.stopped && sent > 0 && reached === 0 && outages.length > 0;
    if (away) this.outage.down(`alert router: ${outages[0]!.error}`);
    else if (!this.stopped) this.outage.up();
    const dead = failures.filter((f) => f.deadLetter).length;
    if (dead > 0)
      this.opts.log?.(`alert router: dead-lettered ${dead} alert(s) (${failures.find((f) => f.deadLetter)!.error})`);
    return settled;
  }

  /**
   * Merges the incidents host faults took as symptoms, while any wait (their lanes were signalled above), and
   * finishes people's merges their API left half done, every sweep.
   */
  private async fold(): Promise<void> {
    // A stopping router leaves the folds to the next one (their marks stay); one under way is cancelled.
    if (this.stopped) return;
    if (!this.folding && Date.now() - this.foldSweptAt < FOLD_SWEEP_MS) return;
    this.foldSweptAt = Date.now();
    const o = { limits: this.calls, scope: this.scope };
    this.folding = (await foldSymptomIncidents(this.opts.sql, this.opts.temporal, o)) > 0;
    await finishPersonMerges(this.opts.sql, this.opts.temporal, o);
  }

  private failure(id: string, kind: RouteErrorKind, attempts: number): RouteFailure {
    return routeFailure(id, kind, attempts, this.policy);
  }
}
