// Which router routes which alerts. Companies fall into ROUTE_PARTITIONS partitions by a hash of their id; a router
// routes a partition's alerts only while it holds the partition's session advisory lock, taken on a connection of
// its own (a client of one connection that never retires it) for the pass and let go at its end. Nothing is written
// to claim an alert, and a router that dies lets go of its partitions with its connection: the next router takes them
// at once. One that hangs lets go after its lease (ROUTER_LEASE_SECONDS without a word on the session), which a timer
// renews however slow Temporal is to answer. Each router takes a fair share of the partitions with work (by how many
// routers hold the presence lock), so two or more routers route side by side.
import postgres from 'postgres';
import type { Sql } from '../../db/sql.ts';
import type { ScopeOptions } from './queue.ts';

type PendingQuery = postgres.PendingQuery<postgres.Row[]>;

/** Fixed for an install: every router must map a company to the same partition. */
export const ROUTE_PARTITIONS = 16;
/** A company's partition, in SQL (`id` being the company's id). */
export const PARTITION_OF = (column: string): string => `(hashtext(${column}) & ${ROUTE_PARTITIONS - 1})`;
/** ROUTER_LEASE_SECONDS' default: a hung router's companies wait this long for another router. */
export const DEFAULT_LEASE_SECONDS = 30;

/** The presence lock's second key: outside the partitions' 0…ROUTE_PARTITIONS-1. */
const PRESENCE = ROUTE_PARTITIONS;

/**
 * The lock key of a router scope: routers of one scope exclude each other, and every production router shares the
 * empty scope's.
 */
export function lockKeyOf(o: ScopeOptions): number {
  const scope = o.companyIds
    ? `ids:${[...o.companyIds].sort().join(',')}`
    : o.companyScope
      ? `scope:${o.companyScope.idPrefix}|${o.companyScope.sharedUnlessPrefix ?? ''}`
      : '';
  // FNV-1a, kept positive so pg_locks shows the same number (its classid is an oid).
  let h = 0x811c9dc5;
  for (const ch of `alert-route:${scope}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff;
}

/** Thrown when the lock connection was lost mid-pass: the partitions may be another router's by now. */
export class PartitionsLost extends Error {
  constructor() {
    super('alert router: lost its partition locks (its database connection was cut); the pass stops here');
  }
}

export class PartitionLocks {
  private readonly conn: Sql;
  /**
   * The lock connection, for the pass's own writes: its marks (passes.ts) and the alerts' outcomes (send.ts). It
   * commits them without waiting for the WAL flush, so a pass waits on one flush only, its placement's: that flush
   * covers everything the pass wrote before it, and what a database crash loses after it leaves alerts unrouted under
   * their pass's mark, routed again by the next pass and counted once (a lost mark costs at most one attempt count).
   */
  get passSql(): Sql {
    return this.conn;
  }
  private held: number[] = [];
  /** The session that holds `held` (a reconnected client is another session, without them). */
  private session: number | null = null;
  /** The session that holds this router's presence lock. */
  private present: number | null = null;
  private turn = 0;

  /** Keeps the lease (below) while this process's event loop runs. */
  private readonly heartbeat: NodeJS.Timeout;

  /**
   * `leaseSeconds`: how long the lock session may say nothing before PostgreSQL ends it (idle_session_timeout), its
   * locks with it. A router whose process hangs (a blocked event loop, a stopped process: its socket stays open) then
   * lets go of its partitions after that long, and the next router routes them; a live one says something at least
   * every third of it.
   */
  constructor(
    sql: Sql,
    readonly key: number,
    leaseSeconds = DEFAULT_LEASE_SECONDS,
  ) {
    const o = sql.options;
    // One connection of its own, never closed for age or idleness by us: its session is what holds the locks.
    const options: Record<string, unknown> = {
      host: o.host,
      port: o.port,
      ...(o.path ? { path: o.path } : {}),
      database: o.database,
      user: o.user,
      pass: o.pass,
      ssl: o.ssl,
      max: 1,
      max_lifetime: 0,
      idle_timeout: 0,
      onnotice: () => {},
      connection: {
        application_name: 'alert-whisperer-router-locks',
        synchronous_commit: 'off',
        idle_session_timeout: `${leaseSeconds}s`,
      },
    };
    this.conn = postgres(options as postgres.Options<Record<string, never>>);
    // Only once the session holds something; after PostgreSQL ended it, this opens a new one without locks (take()
    // takes the presence lock again there, and a pass under way finds its partitions lost at its next verify()).
    this.heartbeat = setInterval(
      () => void (this.present !== null ? this.conn`SELECT 1`.catch(() => undefined) : undefined),
      (leaseSeconds * 1000) / 3,
    );
    this.heartbeat.unref();
  }

  /**
   * Takes this router's share of the partitions that have work (`due`: a query of their numbers as `p`, built on the
   * connection it is given), those another router holds left out, in an order that moves on each time so no
   * partition always comes last. One statement, on the lock connection; returns what it holds.
   */
  async take(due: (sql: Sql) => PendingQuery): Promise<number[]> {
    if (this.held.length > 0) throw new Error('partitions already held: release them first');
    // Present from the first pass on, even one with nothing to take, so the others count this router in.
    if (this.present === null) {
      const [{ session }] = await this.conn<[{ session: number }]>`
        SELECT pg_backend_pid() AS session FROM pg_advisory_lock_shared(${this.key}, ${PRESENCE})`;
      this.present = session;
    }
    const start = this.turn++ % ROUTE_PARTITIONS;
    // The routers sharing the work are those holding the presence lock, this one counted if its session does not yet.
    // OFFSET 0 keeps the lock condition out of the ordered subquery (PostgreSQL pushes even volatile conditions into a
    // plain one, below its sort, where every row would be tried): locks are tried in order, up to the share.
    const rows = await this.conn<{ p: number; session: number }[]>`
      WITH due AS (${due(this.conn)}), share AS (
        SELECT ceil((SELECT count(*) FROM due)::float8 / (
          (SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND classid = ${this.key}::oid AND objid = ${PRESENCE}::oid
              AND objsubid = 2)
          + CASE WHEN pg_backend_pid() = ${this.present ?? -1} THEN 0 ELSE 1 END))::int AS n
      )
      SELECT o.p, pg_backend_pid() AS session
      FROM (SELECT p FROM due ORDER BY (p + ${ROUTE_PARTITIONS} - ${start}) % ${ROUTE_PARTITIONS} OFFSET 0) AS o
      WHERE pg_try_advisory_lock(${this.key}, o.p)
      LIMIT (SELECT n FROM share)`;
    this.held = rows.map((r) => r.p);
    this.session = rows[0]?.session ?? null;
    if (this.session !== null && this.session !== this.present) {
      await this.conn`SELECT pg_advisory_lock_shared(${this.key}, ${PRESENCE})`;
      this.present = this.session;
    }
    return this.held;
  }

  /** Throws PartitionsLost when the session holding the partitions is gone: call before each step that writes. */
  async verify(): Promise<void> {
    if (this.held.length === 0) return;
    const [{ session }] = await this.conn<[{ session: number }]>`SELECT pg_backend_pid() AS session`;
    if (session !== this.session) {
      this.held = [];
      throw new PartitionsLost();
    }
  }

  /** Lets go of the pass's partitions: every partition lock its session holds, so none can outlive a pass. */
  async release(): Promise<void> {
    if (this.held.length === 0) return;
    this.held = [];
    // A failure means the connection is gone, and its locks with it.
    await this.conn`
      SELECT pg_advisory_unlock(${this.key}, objid::int) FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND classid = ${this.key}::oid
        AND objid < ${ROUTE_PARTITIONS}::oid AND objsubid = 2`.catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.release();
    await this.conn.end({ timeout: 5 });
  }
}
