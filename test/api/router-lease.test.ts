// A routing pass that outlives its claim's lease (a loaded machine, Temporal slow to answer): the router renews the
// lease while the pass runs (router/routing/lease.ts), so a second router does not claim the same alerts and count
// them a second time. The first router is held just before it signals, past the lease's first end, by a hook the
// test controls; the second router's passes meanwhile claim nothing, and the incident counts its one alert once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

const LEASE_SECONDS = 3;

describe('a routing pass longer than its lease', () => {
  it('keeps its claim: another router takes nothing, and the alert is counted once', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    let reached!: () => void;
    const held = new Promise<void>((r) => (reached = r));
    let letGo!: () => void;
    const released = new Promise<void>((r) => (letGo = r));
    const router = (hold?: AlertRouterHold) =>
      new AlertRouter({
        ...stack.routerOptions,
        leaseSeconds: LEASE_SECONDS,
        companyIds: [company.companyId],
        ...(hold ? { hold } : {}),
      });
    const first = router(async (stage, ids) => {
      if (stage !== 'signalling' || ids.length === 0) return;
      reached();
      await released;
    });
    const second = router();

    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'db-1',
      signature: 'replication_lag',
      severity: 'high',
      message: 'lag',
      tool_source: 'Zabbix',
    });
    expect(res.status).toBe(202);
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };
    const pass = first.routeBatch();
    await held;
    const leaseOf = async () =>
      (
        await stack.sql<{ until: number; now: number }[]>`
          SELECT extract(epoch FROM route_next_at)::float8 AS until, extract(epoch FROM now())::float8 AS now
          FROM alerts WHERE id = ${alertId}`
      )[0]!;
    const firstEnd = (await leaseOf()).until;
    // Past the claim's first end, the lease was renewed: the second router finds nothing to take.
    await eventually(async () => {
      const l = await leaseOf();
      return l.now > firstEnd && l.until > firstEnd ? true : undefined;
    }, 'the lease to be renewed past its first end');
    expect(await second.routeBatch()).toBe(0);

    letGo();
    expect(await pass).toBe(1);
    const incident = await eventually(async () => {
      const [r] = await stack.sql<{ alertCount: number; routedRepeats: number }[]>`
        SELECT i.alert_count AS "alertCount", i.routed_repeats AS "routedRepeats"
        FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
      return r;
    }, 'the alert to reach its incident');
    expect(incident).toEqual({ alertCount: 1, routedRepeats: 0 });
    const [a] = await stack.sql<{ routed: boolean; attempts: number }[]>`
      SELECT routed_at IS NOT NULL AS routed, route_attempts AS attempts FROM alerts WHERE id = ${alertId}`;
    expect(a).toEqual({ routed: true, attempts: 1 });
  });
});

type AlertRouterHold = NonNullable<ConstructorParameters<typeof AlertRouter>[0]['hold']>;
