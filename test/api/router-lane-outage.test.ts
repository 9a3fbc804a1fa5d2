// A lane whose call fails like an outage while Temporal answers the others (one overloaded workflow) fails on its
// own (router/routing/send.ts): its runner goes on with the next lanes, so the pass still routes the rest. Only when
// no lane reached Temporal while it waited does a runner stop, as in test/api/router-stop.test.ts.
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { raiseOnDistinctKeys } from '../helpers/away-temporal.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/** Distinct keys, each a lane; lanes FIRST_FAILING.. fail, one for each of the 16 runners. */
const LANES = 60;
const FIRST_FAILING = 20;
const FAILING = 16;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

/**
 * The stack's Temporal, but the lanes of web-20 to web-35 fail with DEADLINE_EXCEEDED as one overloaded workflow's
 * would: each only once another lane has reached Temporal while it waited (or after 20 s, which the router's runners
 * never let happen unless they stop at such a lane, as they did before).
 */
function withFailingLanes() {
  let reached = 0;
  const failed: string[] = [];
  const failing: WorkflowClientInterceptor = {
    signalWithStart: async (input, next) => {
      const message = (input.signalArgs[0] as { alerts: Array<{ message: string }> }).alerts[0]?.message ?? '';
      const n = Number(/web-(\d+)$/.exec(message)?.[1]);
      if (n >= FIRST_FAILING && n < FIRST_FAILING + FAILING) {
        const seen = reached;
        // Polled: the router counts a lane as reached a few microtasks after this count; a timer turn is past that.
        for (const until = Date.now() + 20_000; reached === seen && Date.now() < until;)
          await new Promise((r) => setTimeout(r, 10));
        failed.push(message);
        throw Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), {
          code: 4,
          details: 'Deadline exceeded',
          metadata: {},
        });
      }
      const run = await next(input);
      reached += 1;
      return run;
    },
  };
  const connection = Connection.lazy({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: [failing] } });
  return { client, failed, close: () => connection.close() };
}

describe('a lane that fails like an outage while Temporal answers the others', () => {
  it('fails alone: the same pass routes every other lane, and the failed ones wait uncounted', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    await raiseOnDistinctKeys(stack, company, LANES);
    const temporal = withFailingLanes();
    const router = new AlertRouter({
      ...stack.routerOptions,
      temporal: temporal.client,
      companyIds: [company.companyId],
      log: () => undefined,
    });
    try {
      expect(await router.routeBatch()).toBe(LANES);
    } finally {
      await router.stop();
      await temporal.close();
    }
    // Each of the 16 runners met one failing lane; before, each stopped there, leaving the last 24 lanes unsent.
    expect(temporal.failed).toHaveLength(FAILING);
    const rows = await stack.sql<{ assetName: string; routed: boolean; attempts: number; error: string | null }[]>`
      SELECT asset_name AS "assetName", routed_at IS NOT NULL AS routed, route_attempts AS attempts,
        route_error AS error
      FROM alerts WHERE company_id = ${company.companyId}`;
    const failing = (r: { assetName: string }) => {
      const n = Number(r.assetName.slice('web-'.length));
      return n >= FIRST_FAILING && n < FIRST_FAILING + FAILING;
    };
    expect(rows.filter((r) => !failing(r)).every((r) => r.routed)).toBe(true);
    const left = rows.filter(failing);
    expect(left).toHaveLength(FAILING);
    for (const r of left)
      expect(r).toMatchObject({ routed: false, attempts: 0, error: expect.stringMatching(/Deadline/) });
  });
});
