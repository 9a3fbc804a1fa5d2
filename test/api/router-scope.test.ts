// Test files share one PostgreSQL database, and each file's stack runs a router: each router claims only its own
// file's fixture companies (and companies no fixture made), so one file's held or refusing router never claims or
// backs off another file's alerts. Here a second stack's worth of router stands in for another test file's.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { ROUTE_PARTITIONS } from '../../router/routing/partitions.ts';
import { claimAlerts, type CompanyScope } from '../../router/routing/queue.ts';
import { createCompany, FILE_COMPANY_SCOPE, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let own: TestCompany;
let foreign: TestCompany;
let shared: TestCompany;
const family = FILE_COMPANY_SCOPE.sharedUnlessPrefix!;
/** Another test file's scope: the same fixture family, another file token. */
const foreignScope: CompanyScope = { idPrefix: `${family}${randomUUID().slice(0, 8)}-`, sharedUnlessPrefix: family };

beforeAll(async () => {
  // Each test starts the routers it needs.
  stack = await startStack({ startRouter: false });
  own = await createCompany(stack.sql);
  foreign = await createCompany(stack.sql, { id: `${foreignScope.idPrefix}${randomUUID().slice(0, 8)}` });
  // As the API names a company it creates (api/tenants/companies.ts): outside the fixture family.
  shared = await createCompany(stack.sql, { id: `comp-${randomUUID()}` });
});
afterAll(async () => {
  await stack?.stop();
});

let sent = 0;
async function raise(company: TestCompany): Promise<string> {
  sent += 1;
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: `srv-${sent}`,
    signature: 'cpu_high',
    severity: 'high',
    message: `scope ${sent}`,
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

interface Routing {
  routeAttempts: number;
  routeError: string | null;
  deadLettered: boolean;
  incidentId: string | null;
}
async function routing(alertId: string): Promise<Routing> {
  const [r] = await stack.sql<Routing[]>`
    SELECT route_attempts AS "routeAttempts", route_error AS "routeError",
      dead_lettered_at IS NOT NULL AS "deadLettered", incident_id AS "incidentId"
    FROM alerts WHERE id = ${alertId}`;
  return r!;
}
const untouched: Routing = { routeAttempts: 0, routeError: null, deadLettered: false, incidentId: null };

describe('claim share', () => {
  // Each company's alerts waiting, posted as one batch on as many assets.
  async function backlog(company: TestCompany, n: number): Promise<string[]> {
    const alerts = Array.from({ length: n }, (_, i) => ({
      asset_name: `share-${i}`,
      signature: 'disk_full',
      severity: 'high',
      message: `share ${i}`,
      tool_source: 'Zabbix',
    }));
    const res = await postAlert(stack.url, company.apiKey, { alerts });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { results: Array<{ alert_id: string }> };
    return body.results.map((r) => r.alert_id);
  }
  const claimOf = async (companies: TestCompany[], perCompany: number, total: number) => {
    const claimed = await claimAlerts(stack.sql, {
      perCompany,
      total,
      partitions: Array.from({ length: ROUTE_PARTITIONS }, (_, p) => p),
      afterCompanyId: '',
      companyIds: companies.map((c) => c.companyId),
    });
    const counts = new Map(companies.map((c) => [c.companyId, 0]));
    for (const a of claimed) counts.set(a.companyId, counts.get(a.companyId)! + 1);
    return companies.map((c) => counts.get(c.companyId));
  };

  it('gives a company alone the whole claim, two half each, and many their fair share in turn', async () => {
    const a = await createCompany(stack.sql);
    const b = await createCompany(stack.sql);
    const c = await createCompany(stack.sql);
    const d = await createCompany(stack.sql);
    const ids = await backlog(a, 30);
    // Alone, a storm fills the claim: 20 of its 30, not the 5 a company gets while others wait.
    expect(await claimOf([a], 5, 20)).toEqual([20]);
    // Two waiting: each may take half the claim; the smaller backlog is taken whole.
    ids.push(...(await backlog(b, 3)));
    expect(await claimOf([a, b], 5, 20)).toEqual([10, 3]);
    // Four waiting, each more than its share: 5 each while the claim lasts, in the cursor's order.
    ids.push(...(await backlog(b, 27)), ...(await backlog(c, 30)), ...(await backlog(d, 30)));
    const order = [a, b, c, d].sort((x, y) => (x.companyId < y.companyId ? -1 : 1));
    expect(await claimOf(order, 5, 12)).toEqual([5, 5, 2, 0]);
    // Out of the other tests' way.
    await stack.sql`UPDATE alerts SET routed_at = now() WHERE id = ANY(${ids})`;
  });
});

describe('claim scope', () => {
  it("claims the scope's companies and those outside the fixture family, never another file's", async () => {
    const ids = new Map([
      [await raise(own), 'own'],
      [await raise(foreign), 'foreign'],
      [await raise(shared), 'shared'],
    ]);
    const claim = async (scope: { companyScope?: CompanyScope; companyIds?: string[] }) => {
      const claimed = await claimAlerts(stack.sql, {
        perCompany: 500,
        total: 2000,
        partitions: Array.from({ length: ROUTE_PARTITIONS }, (_, p) => p),
        afterCompanyId: '',
        ...scope,
      });
      return claimed.flatMap((a) => ids.get(a.id) ?? []).sort();
    };
    expect(await claim({ companyScope: FILE_COMPANY_SCOPE })).toEqual(['own', 'shared']);
    expect(await claim({ companyScope: foreignScope })).toEqual(['foreign', 'shared']);
    expect(await claim({ companyScope: { idPrefix: FILE_COMPANY_SCOPE.idPrefix } })).toEqual(['own']);
    expect(await claim({ companyScope: FILE_COMPANY_SCOPE, companyIds: [foreign.companyId] })).toEqual([]);
    expect(await claim({})).toEqual(['foreign', 'own', 'shared']);
    // A claim writes nothing: every case above saw all three, and they are as stored.
    for (const id of ids.keys()) expect(await routing(id)).toEqual(untouched);
    // Out of the next test's way.
    await stack.sql`UPDATE alerts SET routed_at = now() WHERE id = ANY(${[...ids.keys()]})`;
  });

  it("leaves this file's alert to this file's router while another file's router is refused by Temporal", async () => {
    // Another file's router whose every workflow ID Temporal refuses (over its length limit): what it claims it parks.
    const refusing = new AlertRouter({
      ...stack.routerOptions,
      companyScope: foreignScope,
      pollIntervalMs: 50,
      maxAttempts: 1,
      workflowIdFor: () => 'x'.repeat(1500),
    });
    try {
      // This file's router passes over the other file's alert: it routes its own, with no failure on record.
      const foreignAlert = await raise(foreign);
      await stack.router.start();
      const first = await raise(own);
      await eventually(async () => (await routing(first)).incidentId, "this file's alert to reach its incident");
      expect(await routing(first)).toMatchObject({ routeAttempts: 0, routeError: null, deadLettered: false });
      expect(await routing(foreignAlert)).toEqual(untouched);
      await stack.router.stop();

      // With this file's router away, the refused router parks its own file's alert and leaves this file's alone.
      const waiting = await raise(own);
      await refusing.routeBatch();
      await refusing.routeBatch();
      expect(await routing(foreignAlert)).toMatchObject({ routeAttempts: 1, deadLettered: true, incidentId: null });
      expect(await routing(waiting)).toEqual(untouched);

      // Both running (NOTIFY wakes both for every alert): this file's router routes each of this file's alerts within
      // the normal wait, with no failure or error the refused router would have left.
      await refusing.start();
      stack.router = new AlertRouter(stack.routerOptions);
      await stack.router.start();
      const during = await raise(own);
      for (const id of [waiting, during]) {
        await eventually(async () => (await routing(id)).incidentId, "this file's alert to reach its incident");
        expect(await routing(id)).toMatchObject({ routeAttempts: 0, routeError: null, deadLettered: false });
      }
    } finally {
      await refusing.stop();
    }
  });
});
