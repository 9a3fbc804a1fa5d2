// The statement that stores a commit of webhook deliveries (api/ingest/alert-writer.ts): every accepted alert and its
// search row in one multi-row INSERT, which also takes the rate-limited companies' tokens (migration 031). Atomic by
// itself, so a commit with no signed request runs it alone, without BEGIN and COMMIT.
import type { Sql, TransactionSql as Tx } from '../../db/sql.ts';
import type { AlertRow, WriteRequest, WriteResult } from './alert-writer.ts';

/**
 * The limited requests of a commit, for the statement's token bucket. A request goes through while its company's
 * bucket, refilled, holds at least one token before it, and it may take the bucket below zero: a batch larger than a
 * minute's allowance is accepted once, and the company then waits until the debt is repaid. Once one request of a
 * company is refused, every later one is too (nothing refused takes a token), so the requests under the limit are
 * those whose alerts before them, in commit order, leave at least one token: `before` below.
 */
interface Limits {
  /** The companies' buckets, sorted (two commits updating several take their row locks alike), and their rates. */
  companies: string[];
  perMinute: number[];
  /** Each limited request: its index in the commit, its company and the alerts of that company before it. */
  requests: number[];
  requestCompanies: string[];
  before: number[];
  rates: Map<string, number>;
}

/** A company is limited in a commit when any of its requests is (a key cache refreshed mid-commit disagrees). */
function planLimits(reqs: WriteRequest[], results: Array<WriteResult | null>): Limits | null {
  const rates = new Map<string, number>();
  reqs.forEach((r, i) => {
    if (!results[i] && r.ratePerMinute > 0) rates.set(r.companyId, r.ratePerMinute);
  });
  if (rates.size === 0) return null;
  const companies = [...rates.keys()].sort();
  const used = new Map<string, number>();
  const limits: Limits = {
    companies,
    perMinute: companies.map((c) => rates.get(c)!),
    requests: [],
    requestCompanies: [],
    before: [],
    rates,
  };
  reqs.forEach((r, i) => {
    if (results[i] || !rates.has(r.companyId)) return;
    const before = used.get(r.companyId) ?? 0;
    limits.requests.push(i);
    limits.requestCompanies.push(r.companyId);
    limits.before.push(before);
    used.set(r.companyId, before + r.alerts.length);
  });
  return limits;
}

/** The rate-limited companies of a commit (the writer makes the buckets of those it has not seen yet). */
export function limitedCompanies(reqs: WriteRequest[]): string[] {
  return [...new Set(reqs.filter((r) => r.ratePerMinute > 0).map((r) => r.companyId))];
}

/** Makes the companies' buckets, full (a minute's allowance of their limited requests), where there are none yet. */
export async function makeBuckets(sql: Sql, companies: string[], reqs: WriteRequest[]): Promise<void> {
  const rate = new Map(reqs.filter((r) => r.ratePerMinute > 0).map((r) => [r.companyId, r.ratePerMinute]));
  await sql`
    INSERT INTO webhook_rate_buckets (company_id, tokens, updated_at)
    SELECT c, t, now() FROM unnest(${companies}::text[], ${companies.map((c) => rate.get(c)!)}::float8[]) AS v(c, t)
    ON CONFLICT (company_id) DO NOTHING`;
}

export interface Inserted {
  results: WriteResult[];
  inserted: number;
  /** Companies whose bucket was gone (a company deleted meanwhile): their requests were refused, to be retried. */
  bucketless: string[];
}

/**
 * The alerts of the requests `results` did not refuse (a replay), and of the limited ones under their company's
 * limit, in one statement; for duplicates, a read of what an earlier commit stored. `tx` is the pool when no check
 * ran, the checks' transaction otherwise.
 */
export async function insertBatch(
  tx: Tx | Sql,
  reqs: WriteRequest[],
  checked: Array<WriteResult | null>,
): Promise<Inserted> {
  const limits = planLimits(reqs, checked);
  // Within the batch, the first row of a delivery id wins; the rest are its duplicates. A later row of the same
  // company can only be refused by the limit if the first one is too, so the first is the one to keep.
  const byKey = new Map<string, { row: AlertRow; request: number }>();
  reqs.forEach((r, i) => {
    if (checked[i]) return;
    for (const a of r.alerts) {
      const key = `${a.companyId}\u0000${a.deliveryId}`;
      if (!byKey.has(key)) byKey.set(key, { row: a, request: i });
    }
  });
  // Always the same order, so two processes inserting overlapping batches take index locks alike.
  const entries = [...byKey.values()].sort((x, y) =>
    x.row.companyId + x.row.deliveryId < y.row.companyId + y.row.deliveryId ? -1 : 1,
  );
  const rows = entries.map((e) => e.row);
  const inserted = new Set<string>();
  const ids = new Map<string, string>();
  const accepted = new Set<number>();
  const tokensLeft = new Map<string, number>();
  if (rows.length > 0) {
    const col = <K extends keyof AlertRow>(k: K) => rows.map((r) => r[k]);
    // The limited companies' tokens: each bucket refilled for the time since its last commit, less the alerts of
    // its requests under the limit (all of them when none is over it). A commit that refuses every request of a
    // company writes its bucket as it found it, refilled: the same tokens, counted from now.
    const taken = limits
      ? tx`taken AS (
          UPDATE webhook_rate_buckets b
          SET (refilled, tokens, updated_at) = (
            SELECT f.t, f.t - COALESCE(SUM(q.n) FILTER (WHERE f.t - q.x >= 1), 0), now()
            FROM (SELECT LEAST(v.per_minute,
                    b.tokens + GREATEST(EXTRACT(EPOCH FROM (now() - b.updated_at)), 0)::float8 * v.per_minute / 60)
                  AS t) f,
              unnest(${limits.requestCompanies}::text[], ${limits.before}::float8[],
                     ${limits.requests.map((i) => reqs[i]!.alerts.length)}::float8[]) AS q(c, x, n)
            WHERE q.c = b.company_id
            GROUP BY f.t)
          FROM unnest(${limits.companies}::text[], ${limits.perMinute}::float8[]) AS v(c, per_minute)
          WHERE b.company_id = v.c
          RETURNING b.company_id, b.refilled, b.tokens),
        accepted AS (
          SELECT q.i FROM unnest(${limits.requests}::int[], ${limits.requestCompanies}::text[],
                                 ${limits.before}::float8[]) AS q(i, c, x)
          JOIN taken t ON t.company_id = q.c AND t.refilled - q.x >= 1),`
      : tx``;
    const under = limits
      ? tx`WHERE t.request <> ALL(${limits.requests}::int[]) OR t.request IN (SELECT i FROM accepted)`
      : tx``;
    const outcome = limits
      ? tx`UNION ALL SELECT 'bucket', NULL, company_id, NULL, tokens FROM taken
           UNION ALL SELECT 'accepted', i::text, NULL, NULL, NULL FROM accepted`
      : tx``;
    // Each alert's search row (migration 030) is written by the same statement, for the rows it added only: a
    // duplicate delivery adds neither.
    const out = await tx<
      { kind: string; id: string | null; company_id: string | null; delivery_id: string | null; tokens: number }[]
    >`
      WITH ${taken} added AS (
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
                          tool_source, status, source_key, labels, receiver)
      SELECT id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
             tool_source, status, source_key, labels::jsonb, receiver
      FROM unnest(${col('id')}::text[], ${col('companyId')}::text[], ${col('deliveryId')}::text[],
                  ${col('assetName')}::text[], ${col('signature')}::text[], ${col('aggregationKey')}::text[],
                  ${col('severity')}::text[], ${col('message')}::text[], ${col('toolSource')}::text[],
                  ${col('status')}::text[], ${col('sourceKey') as (string | null)[]}::text[],
                  ${rows.map((r) => JSON.stringify(r.labels))}::text[], ${col('receiver')}::text[],
                  ${entries.map((e) => e.request)}::int[])
        AS t(id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
             tool_source, status, source_key, labels, receiver, request)
      ${under}
      ON CONFLICT (company_id, delivery_id) DO NOTHING
      RETURNING id, company_id, delivery_id, message, asset_name, signature),
      search AS (
        INSERT INTO alert_search (alert_id, body)
        SELECT id, alert_search_text(message, asset_name, signature) FROM added)
      SELECT 'alert' AS kind, id, company_id, delivery_id, NULL::float8 AS tokens FROM added ${outcome}`;
    for (const r of out) {
      if (r.kind === 'alert') {
        const key = `${r.company_id}\u0000${r.delivery_id}`;
        inserted.add(key);
        ids.set(key, r.id!);
      } else if (r.kind === 'bucket') tokensLeft.set(r.company_id!, r.tokens);
      else accepted.add(Number(r.id));
    }
    const results = [...checked];
    if (limits) {
      for (const i of limits.requests) {
        if (accepted.has(i)) continue;
        const company = reqs[i]!.companyId;
        const have = tokensLeft.get(company);
        const wait = have === undefined ? 1 : Math.ceil(((1 - have) * 60) / limits.rates.get(company)!);
        results[i] = { kind: 'rate_limited', retryAfterSeconds: Math.max(1, wait) };
      }
    }
    // A delivery stored by an earlier commit: its id, read back (a request under the limit only).
    const missing = entries
      .filter((e) => !results[e.request] && !inserted.has(`${e.row.companyId}\u0000${e.row.deliveryId}`))
      .map((e) => e.row);
    if (missing.length > 0) {
      const existing = await tx<{ id: string; company_id: string; delivery_id: string }[]>`
        SELECT a.id, a.company_id, a.delivery_id FROM alerts a
        JOIN unnest(${missing.map((r) => r.companyId)}::text[], ${missing.map((r) => r.deliveryId)}::text[]) AS m(company_id, delivery_id)
          ON a.company_id = m.company_id AND a.delivery_id = m.delivery_id`;
      for (const r of existing) ids.set(`${r.company_id}\u0000${r.delivery_id}`, r.id);
    }
    checked = results;
  }

  const claimed = new Set<string>();
  const results = reqs.map((req, i): WriteResult => {
    if (checked[i]) return checked[i]!;
    const alerts = req.alerts.map((a) => {
      const key = `${a.companyId}\u0000${a.deliveryId}`;
      // Only the first request of a delivery id in this commit may call it new.
      const fresh = inserted.has(key) && byKey.get(key)?.row === a && !claimed.has(key);
      if (fresh) claimed.add(key);
      return { alertId: ids.get(key) ?? a.id, deliveryId: a.deliveryId, duplicate: !fresh };
    });
    return { kind: 'stored', alerts };
  });
  const bucketless = limits ? limits.companies.filter((c) => !tokensLeft.has(c)) : [];
  return { results, inserted: inserted.size, bucketless };
}
