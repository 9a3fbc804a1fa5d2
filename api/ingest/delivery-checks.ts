// The replay check a commit of webhook deliveries makes before it stores their alerts (api/ingest/alert-writer.ts):
// a signed request's signature seen before with another delivery key is a replay. It needs the commit's
// transaction, so a commit without a signed request skips it and is its INSERT alone (rate limits are taken by that
// INSERT, api/ingest/alert-insert.ts).
import type { TransactionSql as Tx } from '../../db/sql.ts';
import type { WriteRequest, WriteResult } from './alert-writer.ts';

/** A signature already seen with another delivery key is a replay of a captured request: `replayed`, else null. */
export async function refuseReplays(tx: Tx, reqs: WriteRequest[]): Promise<Array<WriteResult | null>> {
  const results: Array<WriteResult | null> = reqs.map(() => null);
  const signed = reqs.map((r, i) => ({ r, i })).filter(({ r }) => r.signature);
  if (signed.length === 0) return results;
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
  return results;
}
