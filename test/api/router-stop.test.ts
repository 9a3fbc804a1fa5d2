// A router whose Temporal is away, or which is told to stop, ends its pass without waiting out a deadline per lane
// (router/routing/send.ts): with Temporal unreachable, each of its ROUTING_CONCURRENCY runners stops at its first
// failed lane, and a stop cancels the lanes in flight and signals no more. The lanes it left are not counted against
// their alerts, and the next router routes them, each counted once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awayRouter,
  awayTemporal,
  raiseOnDistinctKeys,
  realRouter,
  startAwayServers,
  type AwayServers,
} from '../helpers/away-temporal.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

/** Distinct keys: each alert is a lane of its own, more than the 16 a pass signals at once. */
const LANES = 40;
const CONCURRENCY = 16;
/** Each call's deadline for the router of the Temporal that is away (10 s in production). */
const DEADLINE_MS = 3_000;

let stack: Stack;
let servers: AwayServers;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  servers = await startAwayServers();
});
afterAll(async () => {
  await servers?.close();
  await stack?.stop();
});

/** What the company's alerts show: how many are routed, the attempts counted, the errors, the pass marks left. */
async function state(company: TestCompany) {
  const [r] = await stack.sql<{ routed: number; attempts: number; errors: string[]; marks: number }[]>`
    WITH mine AS (SELECT * FROM alerts WHERE company_id = ${company.companyId})
    SELECT count(*) FILTER (WHERE routed_at IS NOT NULL)::int AS routed,
      coalesce(sum(route_attempts), 0)::int AS attempts,
      coalesce(array_agg(DISTINCT route_error) FILTER (WHERE route_error IS NOT NULL), '{}') AS errors,
      (SELECT count(*)::int FROM route_passes WHERE alert_ids && (SELECT array_agg(id) FROM mine)) AS marks
    FROM mine`;
  return r!;
}

/** Nothing routed, no attempt counted, no pass mark left, and the alerts say why they wait. */
async function expectLeftUncounted(company: TestCompany, why: RegExp): Promise<void> {
  const after = await state(company);
  expect(after).toMatchObject({ routed: 0, attempts: 0, marks: 0 });
  expect(after.errors.some((e) => why.test(e))).toBe(true);
}

/** The next router, on the real Temporal, once the left alerts are due: routes them all, each counted once. */
async function routedByTheNext(company: TestCompany): Promise<void> {
  await stack.sql`UPDATE alerts SET route_next_at = now() WHERE company_id = ${company.companyId}`;
  const next = realRouter(stack, company);
  await next.start();
  try {
    await eventually(
      async () => {
        const [r] = await stack.sql<{ n: number; counted: number }[]>`
          SELECT count(*)::int AS n, coalesce(sum(alert_count), 0)::int AS counted
          FROM incidents WHERE company_id = ${company.companyId}`;
        return r!.n === LANES && r!.counted === LANES ? true : undefined;
      },
      'an incident per key, each alert counted once',
      120_000,
    );
    expect((await state(company)).routed).toBe(LANES);
  } finally {
    await next.stop();
  }
}

describe('a router whose Temporal is away', () => {
  it('ends its pass after one wave of lanes, counts nothing, and the next router routes them all', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    await raiseOnDistinctKeys(stack, company, LANES);
    const away = awayTemporal(servers.refusedPort);
    const router = awayRouter(stack, company, away, DEADLINE_MS);
    try {
      expect(await router.routeBatch()).toBe(LANES);
      // One wave: each runner stopped at its first lane that Temporal did not answer.
      expect(away.tried.size).toBeLessThanOrEqual(CONCURRENCY);
      expect(away.tried.size).toBeGreaterThan(0);
      await expectLeftUncounted(company, /Temporal did not answer/);
    } finally {
      await router.stop();
      await away.close();
    }
    await routedByTheNext(company);
  });
});

describe('a router told to stop mid-pass', () => {
  it('cancels the lanes in flight, signals no more, counts nothing, and the next router routes them all', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    await raiseOnDistinctKeys(stack, company, LANES);
    const away = awayTemporal(servers.hungPort);
    // Longer than the test: only the stop may end these calls.
    const router = awayRouter(stack, company, away, 600_000);
    try {
      await router.start();
      // The first wave is in flight, each call pending on the hung server until its deadline.
      await eventually(async () => (away.tried.size === CONCURRENCY ? true : undefined), 'a wave of lanes in flight');
      await router.stop();
      expect(away.tried.size).toBe(CONCURRENCY);
      await expectLeftUncounted(company, /stopped/);
    } finally {
      await router.stop();
      await away.close();
    }
    await routedByTheNext(company);
  });
});

describe('resolutions while Temporal is away', () => {
  it('tells one incident, leaves the others for the next pass at once, and the next router tells them all', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const run = randomUUID();
    const send = async (source: string, action: 'trigger' | 'resolve') => {
      const res = await fetch(`${stack.url}/api/webhooks/events/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          routing_key: company.apiKey,
          dedup_key: `${source}/${run}`,
          event_action: action,
          payload: { summary: `5xx on ${source}`, source, severity: 'critical', class: 'http_5xx' },
        }),
      });
      expect(res.status).toBe(202);
    };
    const sources = ['web-a', 'web-b', 'web-c'];
    for (const source of sources) await send(source, 'trigger');
    const opened = realRouter(stack, company);
    await opened.start();
    const recovered = () => stack.sql<{ n: number; recovered: number }[]>`
      SELECT count(*)::int AS n, count(source_resolved_at)::int AS recovered
      FROM incidents WHERE company_id = ${company.companyId}`;
    try {
      await eventually(async () => ((await recovered())[0]!.n === 3 ? true : undefined), 'three incidents');
    } finally {
      await opened.stop();
    }

    for (const source of sources) await send(source, 'resolve');
    const away = awayTemporal(servers.refusedPort);
    const router = awayRouter(stack, company, away, DEADLINE_MS);
    try {
      await router.routeBatch();
      // The first recovery waited out its deadline; the other two were not tried this pass.
      expect(away.told).toHaveLength(1);
      expect((await recovered())[0]!.recovered).toBe(0);
    } finally {
      await router.stop();
      await away.close();
    }
    await stack.sql`UPDATE alerts SET route_next_at = now() WHERE company_id = ${company.companyId}`;
    const next = realRouter(stack, company);
    await next.start();
    try {
      await eventually(
        async () => ((await recovered())[0]!.recovered === 3 ? true : undefined),
        'every incident told it recovered at source',
      );
    } finally {
      await next.stop();
    }
  });
});
