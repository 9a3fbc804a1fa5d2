// A person's command while every worker is gone, on the real stack: the API answers PENDING at the install's
// deadline instead of holding the request for ever, and the command (with what the API does after it: the audit
// line, a merge's alerts) takes effect once a worker is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let token: string;

beforeAll(async () => {
  stack = await startStack({ env: { COMMAND_DEADLINE_MS: '1000' } });
  company = await createCompany(stack.sql);
  const tech = await createUser(stack.sql, 'technician', [company.companyId]);
  token = await login(stack.url, tech.email, tech.password);
});
afterAll(async () => {
  await stack?.stop();
});

/** An incident the rules escalated to a person (no runbook for the signature). */
async function openIncident(asset: string, signature: string): Promise<string> {
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: `${signature} on ${asset}`,
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const [r] = await stack.sql<{ id: string; status: string }[]>`
      SELECT id, status FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset}`;
    return r?.status === 'escalated' ? r.id : undefined;
  }, `the incident on ${asset} to escalate`);
}

type Incident = { id: string; status: string; acknowledgedBy: string | null; alertCount: number };

async function seen(id: string): Promise<Incident | null> {
  const r = await graphql<{ incident: Incident | null }>(
    stack.url,
    'query($id: ID!) { incident(id: $id) { id status acknowledgedBy alertCount } }',
    { id },
    token,
  );
  return r.data?.incident ?? null;
}

const audited = async (id: string, action: string) =>
  (
    await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE target_id = ${id} AND action = ${action}`
  )[0]!.n;

describe("a person's command while no worker answers", () => {
  it('answers PENDING at the deadline, and the command takes effect when a worker is back', async () => {
    const acked = await openIncident('web-pending-1', 'queue_stuck');
    const source = await openIncident('web-pending-2', 'queue_stuck_consumer');
    const target = await openIncident('db-pending-1', 'replication_lag');

    await stack.stopWorker();
    const ack = await graphql(
      stack.url,
      'mutation($id: ID!) { acknowledgeIncident(id: $id) { id status } }',
      { id: acked },
      token,
    );
    expect(ack.data).toBeNull();
    expect(ack.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Incident \S+ has not taken acknowledgeIncident within 1 s/),
      extensions: { code: 'PENDING' },
    });
    const merge = await graphql(
      stack.url,
      'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s) { id } }',
      { t: target, s: [source] },
      token,
    );
    expect(merge.errors?.[0]?.extensions?.code).toBe('PENDING');
    // Nothing taken yet: the workflows have no worker.
    expect(await seen(acked)).toMatchObject({ status: 'escalated', acknowledgedBy: null });
    expect(await audited(acked, 'incident.acknowledged')).toBe(0);

    await stack.startWorker();
    await eventually(async () => (await seen(acked))?.status === 'acknowledged', 'the acknowledgement to apply');
    await eventually(async () => (await audited(acked, 'incident.acknowledged')) === 1, 'its audit line');
    // The merge finished its steps after the Updates: the source resolved into the target, its alert moved there.
    await eventually(async () => (await seen(source))?.status === 'resolved', 'the source to resolve');
    await eventually(async () => (await seen(target))?.alertCount === 2, 'the target to count both alerts');
    await eventually(async () => (await audited(target, 'incident.merged')) === 1, 'the merge audit line');
    const [moved] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE incident_id = ${target}`;
    expect(moved!.n).toBe(2);
  });
});
