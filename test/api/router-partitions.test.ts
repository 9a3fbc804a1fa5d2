// A router claims nothing by writing it: it holds its companies' partitions (router/routing/partitions.ts) while its
// pass runs. However long the pass (a loaded machine, Temporal slow to answer), another router takes nothing of it and
// nothing is counted twice. A router whose connection goes (killed, cut off) lets go of its partitions at once: the
// next router routes what it left, and counts the pass it left unfinished against those alerts (routing/passes.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { PARTITION_OF } from '../../router/routing/partitions.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

type AlertRouterHold = NonNullable<ConstructorParameters<typeof AlertRouter>[0]['hold']>;

/** A hold that stops the pass at `stage` until let go. */
function holdAt(stage: 'placed' | 'signalling') {
  let reached!: () => void;
  let letGo!: () => void;
  const atHold = new Promise<void>((r) => (reached = r));
  const released = new Promise<void>((r) => (letGo = r));
  const hold: AlertRouterHold = async (s, ids) => {
    if (s !== stage || ids.length === 0) return;
    reached();
    await released;
  };
  return { hold, atHold, letGo };
}

function routerFor(company: TestCompany, hold?: AlertRouterHold): AlertRouter {
  return new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId], ...(hold ? { hold } : {}) });
}

async function raise(company: TestCompany, asset: string): Promise<string> {
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature: 'replication_lag',
    severity: 'high',
    message: 'lag',
    tool_source: 'Zabbix',
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

async function fate(alertId: string) {
  const [r] = await stack.sql<
    { routed: boolean; attempts: number; alertCount: number | null; routedRepeats: number | null }[]
  >`
    SELECT a.routed_at IS NOT NULL AS routed, a.route_attempts AS attempts,
      i.alert_count AS "alertCount", i.routed_repeats AS "routedRepeats"
    FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
  return r!;
}

describe('a router holding its partitions', () => {
  it('keeps them while a pass runs: another router takes nothing, and the alert is counted once', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const { hold, atHold, letGo } = holdAt('signalling');
    const first = routerFor(company, hold);
    const second = routerFor(company);
    try {
      const alertId = await raise(company, 'db-1');
      const pass = first.routeBatch();
      await atHold;
      // Both claims read the same unrouted row; only the holder of its partition may route it.
      expect(await second.routeBatch()).toBe(0);
      expect(await second.routeBatch()).toBe(0);
      letGo();
      expect(await pass).toBe(1);
      await eventually(async () => ((await fate(alertId)).alertCount ? true : undefined), 'the incident');
      // Routed, counted once, and no attempt on record: nothing failed, and no claim was written.
      expect(await fate(alertId)).toEqual({ routed: true, attempts: 0, alertCount: 1, routedRepeats: 0 });
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('lets go when its connection is cut mid-pass: the next router routes at once, one unfinished pass on record', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const { hold, atHold, letGo } = holdAt('placed');
    const cut = routerFor(company, hold);
    const next = routerFor(company);
    try {
      const alertId = await raise(company, 'db-2');
      const pass = cut.routeBatch().catch(() => -1);
      await atHold;
      // The held router's lock connection ends, as when its process is killed (the kernel closes its sockets).
      const ended = await stack.sql<{ ended: boolean }[]>`
        SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
          AND classid = ${cut['locks'].key}::oid AND objid < 16 AND objsubid = 2`;
      expect(ended.length).toBeGreaterThan(0);
      // No lease to wait out: the next router's first pass takes the partition and routes the alert.
      await eventually(async () => ((await next.routeBatch()) > 0 ? true : undefined), 'the next router to claim');
      await eventually(async () => ((await fate(alertId)).alertCount ? true : undefined), 'the incident');
      // The cut-off router, let go, finds its partitions lost and stops its pass before writing or signalling.
      letGo();
      expect(await pass).toBe(-1);
      const settled = await fate(alertId);
      expect(settled).toEqual({ routed: true, attempts: 1, alertCount: 1, routedRepeats: 0 });
      // The cut pass had placed it (its placement rode on the pass's mark): the next router kept that group, counted
      // once, rather than placing it again.
      const groups = await stack.sql<{ alertCount: number; alertIn: boolean }[]>`
        SELECT g.alert_count AS "alertCount", g.id = a.group_id AS "alertIn"
        FROM correlation_groups g LEFT JOIN alerts a ON a.id = ${alertId}
        WHERE g.company_id = ${company.companyId}`;
      expect(groups).toEqual([{ alertCount: 1, alertIn: true }]);
    } finally {
      await cut.stop();
      await next.stop();
    }
  });

  it('counts a pass that stops with an error against its alerts, keeping their placement, and routes them next', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    let thrown = 0;
    const failing = new AlertRouter({
      ...stack.routerOptions,
      companyIds: [company.companyId],
      retryBaseMs: 50,
      // The pass stops after placing, as when the database drops the connection between two statements.
      hold: async (stage, ids) => {
        if (stage === 'placed' && ids.length > 0 && thrown++ === 0) throw new Error('connection reset mid-pass');
      },
    });
    try {
      const alertId = await raise(company, 'db-3');
      await expect(failing.routeBatch()).rejects.toThrow('connection reset mid-pass');
      const [left] = await stack.sql<{ attempts: number; placed: boolean; waits: boolean }[]>`
        SELECT route_attempts AS attempts, group_id IS NOT NULL AS placed, route_next_at > now() AS waits
        FROM alerts WHERE id = ${alertId}`;
      expect(left).toEqual({ attempts: 1, placed: true, waits: true });
      await eventually(async () => ((await failing.routeBatch()) > 0 ? true : undefined), 'the next pass to claim');
      await eventually(async () => ((await fate(alertId)).alertCount ? true : undefined), 'the incident');
      expect(await fate(alertId)).toEqual({ routed: true, attempts: 1, alertCount: 1, routedRepeats: 0 });
      const groups = await stack.sql<{ alertCount: number }[]>`
        SELECT alert_count AS "alertCount" FROM correlation_groups WHERE company_id = ${company.companyId}`;
      expect(groups).toEqual([{ alertCount: 1 }]);
    } finally {
      await failing.stop();
    }
  });

  it('shares the partitions with work with another router: both route at once', async () => {
    // Two companies in two partitions (ids are random: create until they differ).
    const partitionOf = async (id: string) =>
      (await stack.sql<{ p: number }[]>`SELECT ${stack.sql.unsafe(PARTITION_OF(`'${id}'`))} AS p`)[0]!.p;
    const one = await createCompany(stack.sql, { runbooks: [] });
    let two = await createCompany(stack.sql, { runbooks: [] });
    while ((await partitionOf(two.companyId)) === (await partitionOf(one.companyId)))
      two = await createCompany(stack.sql, { runbooks: [] });
    const ids = [one.companyId, two.companyId];
    const { hold, atHold, letGo } = holdAt('signalling');
    const first = new AlertRouter({ ...stack.routerOptions, companyIds: ids, hold });
    const second = new AlertRouter({ ...stack.routerOptions, companyIds: ids });
    try {
      // Both present before any work: each counts the other in its share.
      expect(await second.routeBatch()).toBe(0);
      expect(await first.routeBatch()).toBe(0);
      const alerts = [await raise(one, 'db-4'), await raise(two, 'db-5')];
      const pass = first.routeBatch();
      await atHold;
      // The first holds one partition, mid-pass; the second takes the other and routes its alert meanwhile.
      expect(await second.routeBatch()).toBe(1);
      letGo();
      expect(await pass).toBe(1);
      for (const id of alerts)
        await eventually(async () => ((await fate(id)).alertCount ? true : undefined), `alert ${id} in an incident`);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
