// The alert writer's commits on the real PostgreSQL (api/ingest/alert-writer.ts, alert-insert.ts): requests with no
// signature commit as their lone INSERT, rate limits included, with no BEGIN or COMMIT; a signed one gets its
// transaction; one commit at a time takes every request that arrived meanwhile; each answer comes once its rows are
// stored; the limit holds across writers (API processes) sharing a company.
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

/** A request of `n` alerts for `companyId`, held to 6 alerts a minute. */
function limitedRequest(companyId: string, n: number): WriteRequest {
  const one = request();
  const alerts = Array.from({ length: n }, (_, i) => ({
    ...one.alerts[0]!,
    id: `${one.alerts[0]!.id}-${i}`,
    companyId,
    deliveryId: `${one.alerts[0]!.deliveryId}-${i}`,
  }));
  return { companyId, ratePerMinute: 6, alerts };
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

  it('commits a rate-limited request as its lone INSERT too, gives a signed one its transaction, refuses a replay', async () => {
    const { sql: pool, seen } = counted(sql);
    const writer = new AlertWriter({ sql: pool });
    const limited = request({ ratePerMinute: 600 });
    expect(await writer.write(limited)).toMatchObject({ kind: 'stored' });
    expect(seen.transactions).toBe(0);
    const value = `sig-${randomUUID()}`;
    expect(await writer.write(request({ signature: { value, deliveryKey: 'first' } }))).toMatchObject({
      kind: 'stored',
    });
    expect(await writer.write(request({ signature: { value, deliveryKey: 'second' } }))).toEqual({
      kind: 'replayed',
    });
    expect(seen.transactions).toBe(2);
    expect(await storedIds([limited.alerts[0]!.id])).toEqual([limited.alerts[0]!.id]);
  });

  it("takes a company's tokens with its alerts' INSERT, and a refused request takes none", async () => {
    const own = await createCompany(sql);
    const writer = new AlertWriter({ sql });
    const limited = (n: number) => limitedRequest(own.companyId, n);
    const bucket = async () =>
      (
        await sql<{ tokens: number; updatedAt: string }[]>`
          SELECT tokens, updated_at AS "updatedAt" FROM webhook_rate_buckets WHERE company_id = ${own.companyId}`
      )[0]!;
    // A minute's allowance at once: accepted, the bucket made full and emptied by the same commit.
    expect(await writer.write(limited(6))).toMatchObject({ kind: 'stored' });
    const emptied = await bucket();
    expect(emptied.tokens).toBe(0);
    // Refused (under one token: a tenth comes back a second): nothing stored and no token taken; the bucket keeps
    // what it had, refilled for the moments since.
    const refusedRequest = limited(1);
    const refused = await writer.write(refusedRequest);
    expect(refused).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    expect(refused.kind === 'rate_limited' && refused.retryAfterSeconds).toBeGreaterThan(1);
    expect(await storedIds([refusedRequest.alerts[0]!.id])).toEqual([]);
    const kept = await bucket();
    expect(kept.tokens).toBeGreaterThanOrEqual(emptied.tokens);
    expect(kept.tokens).toBeLessThan(1);
    // Twenty seconds later (the bucket's clock moved back instead of waiting) two tokens have come back.
    await sql`UPDATE webhook_rate_buckets SET updated_at = updated_at - interval '20 seconds'
      WHERE company_id = ${own.companyId}`;
    expect(await writer.write(limited(1))).toMatchObject({ kind: 'stored' });
    const after = await bucket();
    expect(after.tokens).toBeGreaterThanOrEqual(1);
    expect(after.tokens).toBeLessThan(1.5);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(emptied.updatedAt));
  });

  it('decides the requests of one commit in order: each goes through while a token is left before it', async () => {
    const own = await createCompany(sql);
    const { sql: pool, seen } = counted(sql);
    const writer = new AlertWriter({ sql: pool, maxInFlight: 1 });
    const limited = (n: number) => limitedRequest(own.companyId, n);
    // The first write commits alone; the three limited ones arrive while it is under way and share the next commit.
    const reqs = [limited(4), limited(3), limited(1)];
    const [, ...results] = await Promise.all([writer.write(request()), ...reqs.map((r) => writer.write(r))]);
    expect(seen.transactions).toBe(0);
    // 6 tokens: 4 leave 2 (at least one: the next goes through), 3 leave -1, and the last is refused until the debt
    // of 2 tokens is repaid at 6 a minute.
    expect(results.map((r) => r.kind)).toEqual(['stored', 'stored', 'rate_limited']);
    expect(results[2]).toEqual({ kind: 'rate_limited', retryAfterSeconds: 20 });
    const ids = reqs.flatMap((r) => r.alerts.map((a) => a.id));
    expect(await storedIds(ids)).toEqual(ids.slice(0, 7).sort());
  });

  it('holds a company to its limit across writers committing at once, and stores exactly what it accepts', async () => {
    const own = await createCompany(sql);
    const writers = [new AlertWriter({ sql }), new AlertWriter({ sql })];
    const started = Date.now();
    const reqs = Array.from({ length: 400 }, () => {
      const r = request();
      return {
        ...r,
        companyId: own.companyId,
        ratePerMinute: 120,
        alerts: [{ ...r.alerts[0]!, companyId: own.companyId }],
      };
    });
    const results = await Promise.all(reqs.map((r, i) => writers[i % 2]!.write(r)));
    const seconds = (Date.now() - started) / 1000;
    const accepted = results.filter((r) => r.kind === 'stored').length;
    // A full bucket's 120, and what came back while the requests ran (2 a second), never more.
    expect(accepted).toBeGreaterThanOrEqual(120);
    expect(accepted).toBeLessThanOrEqual(120 + Math.ceil(seconds * 2));
    expect(results.filter((r) => r.kind === 'rate_limited')).toHaveLength(400 - accepted);
    const stored = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM alerts WHERE company_id = ${own.companyId}`;
    expect(stored[0]!.n).toBe(accepted);
  });
});
