// A router whose Temporal is away, or which is told to stop, ends its pass without waiting out a deadline per lane
// (router/routing/send.ts): with Temporal unreachable, each of its ROUTING_CONCURRENCY runners stops at its first
// failed lane, and a stop cancels the lanes in flight and signals no more. The lanes it left are not counted against
// their alerts, and the next router routes them, each counted once.
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

/** Distinct keys: each alert is a lane of its own, more than the 16 a pass signals at once. */
const LANES = 40;
const CONCURRENCY = 16;
/** Each call's deadline for the router of the Temporal that is away (10 s in production). */
const DEADLINE_MS = 3_000;

let stack: Stack;
/** A port nothing listens on: Temporal down (connections refused, the client retrying until each call's deadline). */
let refusedPort: number;
/** A server that takes connections and never answers: Temporal hung (each call pending until its deadline). */
const hung = createServer((socket) => void held.push(socket));
const held: Socket[] = [];
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  refusedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => hung.close(resolve));
  await stack?.stop();
});

/** A client of a Temporal that is down or hung, counting the lanes the router tried to signal. */
function awayTemporal(port: number) {
  const tried = new Set<string>();
  const told: string[] = [];
  const updates: string[] = [];
  const counting: WorkflowClientInterceptor = {
    signalWithStart: (input, next) => {
      tried.add(input.options.workflowId);
      return next(input);
    },
    signal: (input, next) => {
      told.push(input.workflowExecution.workflowId);
      return next(input);
    },
    startUpdate: (input, next) => {
      updates.push(input.workflowExecution.workflowId);
      return next(input);
    },
  };
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: [counting] } });
  return { client, tried, told, updates, close: () => connection.close() };
}

async function raiseOnDistinctKeys(company: TestCompany): Promise<void> {
  for (let i = 0; i < LANES; i++) {
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: `web-${i}`,
      signature: 'http_5xx_rate',
      severity: 'high',
      message: `5xx on web-${i}`,
      tool_source: 'Prometheus',
    });
    expect(res.status).toBe(202);
  }
}

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
  const next = new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
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
    await raiseOnDistinctKeys(company);
    const away = awayTemporal(refusedPort);
    const router = new AlertRouter({
      ...stack.routerOptions,
      temporal: away.client,
      companyIds: [company.companyId],
      signalDeadlineMs: DEADLINE_MS,
      log: () => undefined,
    });
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
    await raiseOnDistinctKeys(company);
    const away = awayTemporal((hung.address() as AddressInfo).port);
    const router = new AlertRouter({
      ...stack.routerOptions,
      temporal: away.client,
      companyIds: [company.companyId],
      // Longer than the test: only the stop may end these calls.
      signalDeadlineMs: 600_000,
      log: () => undefined,
    });
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
    const opened = new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
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
    const away = awayTemporal(refusedPort);
    const router = new AlertRouter({
      ...stack.routerOptions,
      temporal: away.client,
      companyIds: [company.companyId],
      signalDeadlineMs: DEADLINE_MS,
      log: () => undefined,
    });
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
    const next = new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
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

describe('a host fault fold whose workflows do not answer', () => {
  it('ends at its deadline or at a stop, keeps its mark, and the next router finishes it', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const ids: string[] = [];
    // Two hosts: two incidents (on one host, the fault would take the symptom in as it is routed).
    for (const [asset, signature] of [
      ['srv-k', 'queue_stuck'],
      ['srv-k2', 'host_down'],
    ]) {
      const res = await postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature,
        severity: 'high',
        message: `${signature} on ${asset}`,
        tool_source: 'Zabbix',
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { alert_id: string }).alert_id);
    }
    const incidents = async () =>
      stack.sql<{ id: string; workflowId: string; mergedInto: string | null }[]>`
        SELECT i.id, i.workflow_id AS "workflowId", i.merged_into AS "mergedInto" FROM alerts a
        JOIN incidents i ON i.id = a.incident_id WHERE a.id = ANY(${ids}) ORDER BY a.received_at`;
    const opener = new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
    await opener.start();
    const [symptom, fault] = await eventually(async () => {
      const rows = await incidents();
      return rows.length === 2 && rows[0]!.id !== rows[1]!.id ? rows : undefined;
    }, 'two incidents').finally(() => opener.stop());
    // A fold a router marked and did not finish: the symptom's group points at the fault's.
    await stack.sql`
      UPDATE correlation_groups SET absorb_pending = true,
        merged_into = (SELECT id FROM correlation_groups WHERE workflow_id = ${fault!.workflowId})
      WHERE workflow_id = ${symptom!.workflowId}`;
    const pending = async () =>
      (
        await stack.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM correlation_groups WHERE workflow_id = ${symptom!.workflowId} AND absorb_pending`
      )[0]!.n;

    // The router sweeps folds on its first pass: the symptom's Update waits on a Temporal that never answers.
    const hungPort = (hung.address() as AddressInfo).port;
    const timed = awayTemporal(hungPort);
    const atDeadline = new AlertRouter({
      ...stack.routerOptions,
      temporal: timed.client,
      companyIds: [company.companyId],
      signalDeadlineMs: DEADLINE_MS,
      log: () => undefined,
    });
    try {
      expect(await atDeadline.routeBatch()).toBe(0);
      expect(timed.updates.length).toBeGreaterThan(0);
      expect(await pending()).toBe(1);
    } finally {
      await atDeadline.stop();
      await timed.close();
    }

    const stopped = awayTemporal(hungPort);
    const untilStopped = new AlertRouter({
      ...stack.routerOptions,
      temporal: stopped.client,
      companyIds: [company.companyId],
      // Longer than the test: only the stop may end the Update.
      signalDeadlineMs: 600_000,
      log: () => undefined,
    });
    try {
      await untilStopped.start();
      await eventually(async () => (stopped.updates.length > 0 ? true : undefined), 'the fold under way');
      await untilStopped.stop();
      expect(await pending()).toBe(1);
    } finally {
      await untilStopped.stop();
      await stopped.close();
    }

    const next = new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
    try {
      await eventually(async () => {
        await next.routeBatch();
        const [s] = (await incidents()).filter((i) => i.id === symptom!.id);
        return (await pending()) === 0 && !s ? true : undefined;
      }, 'the fold finished: both alerts in the fault');
    } finally {
      await next.stop();
    }
    expect((await incidents()).map((i) => i.id)).toEqual([fault!.id, fault!.id]);
  });
});
