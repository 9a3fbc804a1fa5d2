// The alert writer's commits on the real PostgreSQL (api/ingest/alert-writer.ts): requests with nothing to check
// commit as their lone INSERT, with no BEGIN or COMMIT; a signed or rate-limited one gets its transaction; one
// commit at a time takes every request that arrived meanwhile; each answer comes once its rows are stored.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertWriter, type AlertRow, type WriteRequest } from '../../api/ingest/alert-writer.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';

let sql: Sql;
let company: TestCompany;

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  company = await createCompany(sql);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

/** The pool as the writer uses it, counting its lone statements and its transactions. */
function counted(pool: Sql) {
  const seen = { statements: 0, transactions: 0 };
  const proxy = new Proxy(pool, {
    apply(target, self, args: unknown[]) {
      seen.statements += 1;
      return Reflect.apply(target as never, self, args);
    },
    get(target, key, receiver) {
      if (key === 'begin') seen.transactions += 1;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { sql: proxy, seen };
}

function request(extra: Partial<WriteRequest> = {}): WriteRequest {
  const id = randomUUID();
  const row: AlertRow = {
    id: `al-${id}`,
    companyId: company.companyId,
    deliveryId: `writer-${id}`,
    assetName: 'web-01',
    signature: 'cpu_high',
    aggregationKey: 'web-01|cpu_high',
    severity: 'high',
    message: `cpu 97 % (${id})`,
    toolSource: 'Prometheus',
    status: 'firing',
    sourceKey: null,
    labels: {},
    receiver: 'alerts',
  };
  return { companyId: company.companyId, ratePerMinute: 0, alerts: [row], ...extra };
}

const storedIds = async (ids: string[]) =>
  (await sql<{ id: string }[]>`SELECT id FROM alerts WHERE id = ANY(${ids}) ORDER BY id`).map((r) => r.id);

describe('the alert writer', () => {
  it('commits requests with nothing to check as one INSERT, several at once, with no transaction', async () => {
    const { sql: pool, seen } = counted(sql);
    const writer = new AlertWriter({ sql: pool });
    const reqs = Array.from({ length: 20 }, () => request());
    const results = await Promise.all(reqs.map((r) => writer.write(r)));
    expect(results.every((r) => r.kind === 'stored')).toBe(true);
    const ids = reqs.map((r) => r.alerts[0]!.id);
    expect(await storedIds(ids)).toEqual([...ids].sort());
    // Every answer came after its row was stored, in fewer commits than requests (the first alone, then the rest).
    expect(seen.transactions).toBe(0);
    expect(seen.statements).toBeGreaterThan(0);
    expect(seen.statements).toBeLessThan(reqs.length);
    // A delivery sent again is found, not stored twice: its read runs on the pool as well.
    const again = await writer.write({ ...reqs[0]!, alerts: [{ ...reqs[0]!.alerts[0]!, id: `al-${randomUUID()}` }] });
    expect(again).toMatchObject({ kind: 'stored', alerts: [{ alertId: reqs[0]!.alerts[0]!.id, duplicate: true }] });
    expect(seen.transactions).toBe(0);
  });

  it('gives a rate-limited or signed request its transaction, and still refuses a replay', async () => {
    const { sql: pool, seen } = counted(sql);
    const writer = new AlertWriter({ sql: pool });
    const limited = request({ ratePerMinute: 600 });
    expect(await writer.write(limited)).toMatchObject({ kind: 'stored' });
    expect(seen.transactions).toBe(1);
    const value = `sig-${randomUUID()}`;
    expect(await writer.write(request({ signature: { value, deliveryKey: 'first' } }))).toMatchObject({
      kind: 'stored',
    });
    expect(await writer.write(request({ signature: { value, deliveryKey: 'second' } }))).toEqual({
      kind: 'replayed',
    });
    expect(seen.transactions).toBe(3);
    expect(await storedIds([limited.alerts[0]!.id])).toEqual([limited.alerts[0]!.id]);
  });

  it("takes a company's tokens with its alerts' INSERT, and a commit that stores nothing leaves the bucket as it was", async () => {
    const own = await createCompany(sql);
    const writer = new AlertWriter({ sql });
    const limited = (n: number): WriteRequest => {
      const one = request();
      const alerts = Array.from({ length: n }, (_, i) => ({
        ...one.alerts[0]!,
        id: `${one.alerts[0]!.id}-${i}`,
        companyId: own.companyId,
        deliveryId: `${one.alerts[0]!.deliveryId}-${i}`,
      }));
      return { companyId: own.companyId, ratePerMinute: 6, alerts };
    };
    const bucket = async () =>
      (
        await sql<{ tokens: number; updatedAt: string }[]>`
          SELECT tokens, updated_at AS "updatedAt" FROM webhook_rate_buckets WHERE company_id = ${own.companyId}`
      )[0]!;
    // A minute's allowance at once: accepted, the bucket made full and emptied by the same commit.
    expect(await writer.write(limited(6))).toMatchObject({ kind: 'stored' });
    const emptied = await bucket();
    expect(emptied.tokens).toBe(0);
    // Refused (under one token: a tenth comes back a second): nothing stored, nothing written, so the refill still
    // counts from the last write.
    const refused = await writer.write(limited(1));
    expect(refused).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    expect(refused.kind === 'rate_limited' && refused.retryAfterSeconds).toBeGreaterThan(1);
    expect(await bucket()).toEqual(emptied);
    // Twenty seconds later (the bucket's clock moved back instead of waiting) two tokens have come back.
    await sql`UPDATE webhook_rate_buckets SET updated_at = updated_at - interval '20 seconds'
      WHERE company_id = ${own.companyId}`;
    expect(await writer.write(limited(1))).toMatchObject({ kind: 'stored' });
    const after = await bucket();
    expect(after.tokens).toBeGreaterThanOrEqual(1);
    expect(after.tokens).toBeLessThan(1.5);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(emptied.updatedAt));
  });
});
