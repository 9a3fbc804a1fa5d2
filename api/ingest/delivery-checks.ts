// The checks a commit of webhook deliveries makes before it stores their alerts (api/ingest/alert-writer.ts): a
// signed request's signature seen before with another delivery key is a replay, and each company's rate limit is
// a token bucket in PostgreSQL. Both need the commit's transaction; a batch with neither skips them.
import type { TransactionSql as Tx } from '../../db/sql.ts';
import type { WriteRequest, WriteResult } from './alert-writer.ts';

/** The rate-limit buckets a commit leaves, written by the commit's INSERT statement (api/ingest/alert-writer.ts). */
export interface BucketWrite {
  companyIds: string[];
  tokens: number[];
}

/**
 * A commit's replay checks and rate-limit tokens: what each request refused by them gets (null for the rest), and
 * the buckets' new tokens, which the INSERT of the accepted alerts writes in the same statement.
 */
export async function checkBatch(
  tx: Tx,
  reqs: WriteRequest[],
): Promise<{ results: Array<WriteResult | null>; buckets: BucketWrite | null }> {
  const results: Array<WriteResult | null> = reqs.map(() => null);
  await refuseReplays(tx, reqs, results);
  const buckets = await takeTokens(tx, reqs, results);
  return { results, buckets };
}

/** A signature already seen with another delivery key is a replay of a captured request. */
async function refuseReplays(tx: Tx, reqs: WriteRequest[], results: Array<WriteResult | null>): Promise<void> {
  const signed = reqs.map((r, i) => ({ r, i })).filter(({ r }) => r.signature);
  if (signed.length === 0) return;
  const firstKey = new Map<string, string>();
  for (const { r } of signed) {
    const k = `${r.companyId}\u0000${r.signature!.value}`;
    if (!firstKey.has(k)) firstKey.set(k, r.signature!.deliveryKey);
  }
  const entries = [...firstKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, d]) => {
      const [company, signature] = k.split('\u0000') as [string, string];
      return [company, signature, d] as const;
    });
  await tx`
    INSERT INTO webhook_signatures (company_id, signature, delivery_key)
    SELECT * FROM unnest(${entries.map((e) => e[0])}::text[], ${entries.map((e) => e[1])}::text[], ${entries.map((e) => e[2])}::text[])
    ON CONFLICT (company_id, signature) DO NOTHING`;
  const stored = await tx<{ company_id: string; signature: string; delivery_key: string }[]>`
    SELECT company_id, signature, delivery_key FROM webhook_signatures s
    JOIN unnest(${entries.map((e) => e[0])}::text[], ${entries.map((e) => e[1])}::text[]) AS m(c, sig)
      ON s.company_id = m.c AND s.signature = m.sig`;
  const known = new Map(stored.map((s) => [`${s.company_id}\u0000${s.signature}`, s.delivery_key]));
  for (const { r, i } of signed) {
    const k = `${r.companyId}\u0000${r.signature!.value}`;
    if (known.get(k) !== r.signature!.deliveryKey) results[i] = { kind: 'replayed' };
  }
}

interface Bucket {
  company_id: string;
  tokens: number;
  elapsed: number;
}

/** The companies' buckets, locked until the commit; a company's first is made full. */
async function lockBuckets(tx: Tx, ids: string[], caps: Map<string, number>): Promise<Bucket[]> {
  const read = (which: string[]) => tx<Bucket[]>`
    SELECT company_id, tokens, GREATEST(EXTRACT(EPOCH FROM (now() - updated_at)), 0)::float8 AS elapsed
    FROM webhook_rate_buckets WHERE company_id = ANY(${which}) ORDER BY company_id FOR UPDATE`;
  const rows = await read(ids);
  if (rows.length === ids.length) return rows;
  // Only a company's first limited requests get here: its bucket is made, then locked like the others.
  const found = new Set(rows.map((r) => r.company_id));
  const missing = ids.filter((id) => !found.has(id));
  await tx`
    INSERT INTO webhook_rate_buckets (company_id, tokens, updated_at)
    SELECT c, t, now() FROM unnest(${missing}::text[], ${missing.map((id) => caps.get(id)!)}::float8[]) AS v(c, t)
    ON CONFLICT (company_id) DO NOTHING`;
  return [...rows, ...(await read(missing))];
}

/**
 * A token bucket per company in PostgreSQL, so the limit holds across API processes. A request goes
 * through while the bucket holds at least one token and may take it below zero: a batch larger than a
 * minute's allowance is accepted once, and the company then waits until the debt is repaid. The buckets stay
 * locked until the commit, which writes their new tokens with its alerts; a commit storing no alert leaves them as
 * they were, which changes nothing: the refill is computed from the last write, and none was taken.
 */
async function takeTokens(
  tx: Tx,
  reqs: WriteRequest[],
  results: Array<WriteResult | null>,
): Promise<BucketWrite | null> {
  const caps = new Map<string, number>();
  reqs.forEach((r, i) => {
    if (!results[i] && r.ratePerMinute > 0) caps.set(r.companyId, r.ratePerMinute);
  });
  if (caps.size === 0) return null;
  const ids = [...caps.keys()].sort();
  const rows = await lockBuckets(tx, ids, caps);
  const tokens = new Map(
    rows.map((r) => [
      r.company_id,
      Math.min(caps.get(r.company_id)!, r.tokens + (r.elapsed * caps.get(r.company_id)!) / 60),
    ]),
  );
  reqs.forEach((r, i) => {
    if (results[i] || r.ratePerMinute <= 0) return;
    const have = tokens.get(r.companyId)!;
    if (have >= 1) {
      tokens.set(r.companyId, have - r.alerts.length);
    } else {
      results[i] = {
        kind: 'rate_limited',
        retryAfterSeconds: Math.max(1, Math.ceil(((1 - have) * 60) / r.ratePerMinute)),
      };
    }
  });
  return { companyIds: ids, tokens: ids.map((id) => tokens.get(id)!) };
}
