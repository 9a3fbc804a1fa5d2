// Merge and split by hand on the real stack: merged incidents resolve into the target with their alerts, and
// later alerts of their key join the target; split-off alerts open an incident of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql);
  const tech = await createUser(stack.sql, 'technician', [company.companyId]);
  token = await login(stack.url, tech.email, tech.password);
});
afterAll(async () => {
  await stack?.stop();
});

let sent = 0;
async function raise(asset: string, signature: string, tool = 'Datadog'): Promise<string> {
  sent += 1;
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    // Distinct messages: the same payload twice is a redelivery (200), not a new alert.
    message: `${signature} on ${asset} #${sent}`,
    tool_source: tool,
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

async function incidentOf(alertId: string): Promise<{ id: string; status: string; alertCount: number }> {
  return eventually(async () => {
    const [r] = await stack.sql<{ id: string; status: string; alertCount: number }[]>`
      SELECT i.id, i.status, i.alert_count AS "alertCount" FROM alerts a JOIN incidents i ON i.id = a.incident_id
      WHERE a.id = ${alertId}`;
    return r && r.status !== 'new' ? r : undefined;
  }, `the incident of alert ${alertId}`);
}

describe('merge and split by hand', () => {
  it('merges two incidents into a third, and later alerts of their keys join it', async () => {
    const a = await incidentOf(await raise('shop-1', 'checkout_errors'));
    const b = await incidentOf(await raise('shop-2', 'checkout_errors'));
    const c = await incidentOf(await raise('payments', 'psp_timeout'));
    const r = await graphql<{ mergeIncidents: { id: string; alertCount: number; toolSources: string[] } }>(
      stack.url,
      'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s, comment: "one PSP outage") { id alertCount } }',
      { t: c.id, s: [a.id, b.id] },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.mergeIncidents).toMatchObject({ id: c.id, alertCount: 3 });

    const rows = await eventually(async () => {
      const got = await stack.sql<{ id: string; status: string; mergedInto: string | null; note: string | null }[]>`
        SELECT id, status, merged_into AS "mergedInto", resolution_note AS note FROM incidents
        WHERE id = ANY(${[a.id, b.id]}) ORDER BY id`;
      return got.every((g) => g.status === 'resolved') ? got : undefined;
    }, 'the merged incidents to resolve');
    for (const row of rows) {
      expect(row).toMatchObject({
        mergedInto: c.id,
        note: expect.stringMatching(/^Merged into payments \/ psp_timeout/),
      });
    }
    const [{ n }] = (await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE incident_id = ${c.id}`) as unknown as [{ n: number }];
    expect(n).toBe(3);

    // A later checkout error on shop-1 follows its merged incident into the target.
    const later = await raise('shop-1', 'checkout_errors', 'Prometheus');
    await eventually(async () => {
      const [x] = await stack.sql<{ incidentId: string | null }[]>`
        SELECT incident_id AS "incidentId" FROM alerts WHERE id = ${later}`;
      return x?.incidentId === c.id;
    }, 'the later alert to join the target');
    const timeline = await stack.sql<{ kind: string }[]>`
      SELECT kind FROM incident_events WHERE incident_id = ${c.id} ORDER BY seq`;
    expect(timeline.filter((e) => e.kind === 'merged')).toHaveLength(2);

    // A resolved incident cannot be merged again.
    const again = await graphql(
      stack.url,
      'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s) { id } }',
      { t: c.id, s: [a.id] },
      token,
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('splits chosen alerts off into an incident of their own', async () => {
    const first = await raise('db-7', 'slow_queries');
    const inc = await incidentOf(first);
    const second = await raise('db-7', 'slow_queries', 'Zabbix');
    const third = await raise('db-7', 'slow_queries', 'Zabbix');
    await eventually(async () => {
      const [r] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM alerts WHERE incident_id = ${inc.id}`;
      return r!.n === 3;
    }, 'three alerts in the incident');

    const all = await graphql(
      stack.url,
      'mutation($id: ID!, $a: [ID!]!) { splitIncident(id: $id, alertIds: $a) { id } }',
      { id: inc.id, a: [first, second, third] },
      token,
    );
    expect(all.errors?.[0]?.message).toBe('Split off at least one alert, and leave at least one');

    const r = await graphql<{ splitIncident: { id: string; alertCount: number } }>(
      stack.url,
      'mutation($id: ID!, $a: [ID!]!) { splitIncident(id: $id, alertIds: $a, comment: "replica, not primary") { id alertCount } }',
      { id: inc.id, a: [second, third] },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.splitIncident.alertCount).toBe(1);
    const split = await incidentOf(second);
    expect(split.id).not.toBe(inc.id);
    expect((await incidentOf(third)).id).toBe(split.id);
    expect(split.alertCount).toBe(2);
    expect((await incidentOf(first)).id).toBe(inc.id);
  });
});
