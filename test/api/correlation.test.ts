// Correlation on the live path (router → PostgreSQL groups → incident workflows), in event time: alerts are
// stored with the received_at a monitoring tool would have produced over the last hour, then routed, so the
// window, recurrence and minimum count are exercised without waiting for real minutes to pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { storeAlerts, routeAll, type StoredAlert } from '../helpers/event-time.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';
import { AlertRouter } from '../../router/alert-router.ts';
import { mergeIncident } from '../../workflows/messages.ts';

let stack: Stack;
beforeAll(async () => {
  // Routed by hand, pass by pass, so each step sees the groups the previous one left.
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

type Sent = StoredAlert;
const store = (companyId: string, alerts: Sent[]) => storeAlerts(stack, companyId, alerts);
const route = (ids: string[]) => routeAll(stack, ids);

async function incidentOf(alertId: string): Promise<{ id: string; status: string; alert_count: number }> {
  const [r] = await stack.sql<{ id: string; status: string; alert_count: number }[]>`
    SELECT i.id, i.status, i.alert_count FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
  return r!;
}

const CORRELATION = `correlation { key rule recurrenceOf reasons { rule matched alertCount } }
  alerts { id correlationRule correlationMatched }`;

async function asAdmin(companyId: string): Promise<string> {
  const admin = await createUser(stack.sql, 'company_admin', [companyId]);
  return login(stack.url, admin.email, admin.password);
}

describe('correlation windows', () => {
  it('joins alerts within the window after the last alert, and after a quiet window opens a linked recurrence', async () => {
    const company = await createCompany(stack.sql);
    // No runbook for this signature: the incident escalates and stays open, as the issue describes.
    const [first] = await store(company.companyId, [{ asset: 'srv-w', signature: 'queue_stuck', minutesAgo: 50 }]);
    await route([first!]);
    const opened = await incidentOf(first!);
    const [second] = await store(company.companyId, [{ asset: 'srv-w', signature: 'queue_stuck', minutesAgo: 38 }]);
    await route([second!]);
    expect((await incidentOf(second!)).id).toBe(opened.id);

    // 33 minutes after the last alert: the 15-minute window has closed although the incident is still open.
    const [third] = await store(company.companyId, [{ asset: 'srv-w', signature: 'queue_stuck', minutesAgo: 5 }]);
    await route([third!]);
    const recurrence = await incidentOf(third!);
    expect(recurrence.id).not.toBe(opened.id);
    const before = await eventually(async () => {
      const i = await incidentOf(first!);
      return i.status === 'escalated' ? i : undefined;
    }, 'the first incident to escalate');
    expect(before.alert_count).toBe(2);

    const token = await asAdmin(company.companyId);
    const r = await graphql<{ incident: Record<string, unknown> }>(
      stack.url,
      `query($id:ID!){incident(id:$id){ ${CORRELATION} }}`,
      { id: recurrence.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.incident).toMatchObject({
      correlation: {
        key: 'srv-w|queue_stuck',
        rule: 'recurrence',
        recurrenceOf: opened.id,
        reasons: [{ rule: 'recurrence', matched: ['asset', 'signature'], alertCount: 1 }],
      },
    });
    const first_ = await graphql<{ incident: { correlation: { reasons: unknown[] } } }>(
      stack.url,
      `query($id:ID!){incident(id:$id){ ${CORRELATION} }}`,
      { id: opened.id },
      token,
    );
    expect(first_.data!.incident.correlation.reasons).toEqual([
      { rule: 'opened', matched: ['asset', 'signature'], alertCount: 1 },
      { rule: 'same_key', matched: ['asset', 'signature'], alertCount: 1 },
    ]);
  });

  it('holds alerts below the minimum count without an incident, then opens one with all of them', async () => {
    const company = await createCompany(stack.sql);
    await stack.sql`UPDATE companies SET settings = ${stack.sql.json({ correlation: { minAlerts: 3 } })}
      WHERE id = ${company.companyId}`;
    const held = await store(company.companyId, [
      { asset: 'srv-m', signature: 'flappy_check', minutesAgo: 10 },
      { asset: 'srv-m', signature: 'flappy_check', minutesAgo: 9 },
    ]);
    await route(held);
    const rows = await stack.sql<{ group_id: string | null; incident_id: string | null; routed_at: string | null }[]>`
      SELECT group_id, incident_id, routed_at FROM alerts WHERE id = ANY(${held})`;
    expect(rows.every((r) => r.group_id !== null && r.incident_id === null && r.routed_at !== null)).toBe(true);
    const [none] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM incidents WHERE company_id = ${company.companyId}`;
    expect(none!.n).toBe(0);

    const [third] = await store(company.companyId, [{ asset: 'srv-m', signature: 'flappy_check', minutesAgo: 8 }]);
    await route([...held, third!]);
    const incident = await eventually(async () => {
      const i = await incidentOf(third!);
      return i && i.alert_count === 3 ? i : undefined;
    }, 'one incident of three alerts');
    for (const id of held) expect((await incidentOf(id)).id).toBe(incident.id);
  });

  it('puts every alert alone when auto-correlate is off', async () => {
    const company = await createCompany(stack.sql);
    await stack.sql`UPDATE companies SET settings = ${stack.sql.json({ correlation: { autoCorrelate: false } })}
      WHERE id = ${company.companyId}`;
    const ids = await store(company.companyId, [
      { asset: 'srv-o', signature: 'queue_stuck', minutesAgo: 3 },
      { asset: 'srv-o', signature: 'queue_stuck', minutesAgo: 2 },
    ]);
    await route(ids);
    const a = await incidentOf(ids[0]!);
    const b = await incidentOf(ids[1]!);
    expect(a.id).not.toBe(b.id);
  });
});

describe('grouping beyond one key', () => {
  it('attaches an asset’s other alerts to its open host fault, and says so', async () => {
    const company = await createCompany(stack.sql);
    const [down] = await store(company.companyId, [
      { asset: 'srv-h', signature: 'Host is unreachable', tool: 'Zabbix', minutesAgo: 4 },
    ]);
    await route([down!]);
    const symptoms = await store(company.companyId, [
      { asset: 'srv-h', signature: 'HighCPU', tool: 'Datadog', minutesAgo: 3 },
      { asset: 'srv-h', signature: 'queue_stuck', tool: 'Prometheus', minutesAgo: 2 },
    ]);
    await route(symptoms);
    const fault = await incidentOf(down!);
    for (const id of symptoms) expect((await incidentOf(id)).id).toBe(fault.id);
    const [why] = await stack.sql<{ correlation: { rule: string; matched: string[] } }[]>`
      SELECT correlation FROM alerts WHERE id = ${symptoms[0]!}`;
    expect(why!.correlation).toEqual({ rule: 'host_fault', matched: ['asset', 'host_fault:host_down'] });
  });

  it('folds the incident of a symptom seen just before a host fault into the fault’s, and its key follows', async () => {
    const company = await createCompany(stack.sql);
    // No runbook for it: its incident escalates, which a merge by the correlation still takes.
    const [symptom] = await store(company.companyId, [
      { asset: 'srv-f', signature: 'queue_stuck', tool: 'Prometheus', minutesAgo: 3.5 },
    ]);
    await route([symptom!]);
    const first = await incidentOf(symptom!);
    // Half a minute later the host is down: the queue was its first symptom.
    const [down] = await store(company.companyId, [
      { asset: 'srv-f', signature: 'Host is unreachable', tool: 'Zabbix', minutesAgo: 3 },
    ]);
    await route([down!]);
    const fault = await eventually(async () => {
      await stack.router.routeBatch();
      const [f] = await stack.sql<{ id: string; alert_count: number; merged: string | null }[]>`
        SELECT f.id, f.alert_count, s.merged_into AS merged FROM incidents f, incidents s
        WHERE f.id = (SELECT incident_id FROM alerts WHERE id = ${down!}) AND s.id = ${first.id}`;
      return f?.merged === f?.id && f!.alert_count === 2 ? f : undefined;
    }, 'the symptom’s incident to fold into the fault’s');
    expect((await incidentOf(symptom!)).id).toBe(fault!.id);
    const [source] = await stack.sql<{ status: string; resolution_note: string }[]>`
      SELECT status, resolution_note FROM incidents WHERE id = ${first.id}`;
    expect(source).toMatchObject({ status: 'resolved', resolution_note: expect.stringMatching(/^Merged into srv-f/) });
    const lines = await stack.sql<{ kind: string; message: string; actor: string | null }[]>`
      SELECT kind, message, actor FROM incident_events WHERE incident_id = ${fault!.id} AND kind = 'merged'`;
    expect(lines).toEqual([
      {
        kind: 'merged',
        message: expect.stringMatching(/^Took in srv-f \/ queue_stuck .*\(1 alerts\): symptoms seen on the asset/),
        actor: null,
      },
    ]);
    // The symptom's key now follows the fault while it lasts.
    const [again] = await store(company.companyId, [{ asset: 'srv-f', signature: 'queue_stuck', minutesAgo: 1 }]);
    await route([again!]);
    expect((await incidentOf(again!)).id).toBe(fault!.id);
    const [mark] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM correlation_groups WHERE company_id = ${company.companyId} AND absorb_pending`;
    expect(mark!.n).toBe(0);
  });

  it('finishes a fold another router began and died in: the fault takes the merged symptom in once', async () => {
    const company = await createCompany(stack.sql);
    const [symptom, down] = await store(company.companyId, [
      { asset: 'srv-k', signature: 'queue_stuck', minutesAgo: 3 },
      { asset: 'srv-k2', signature: 'host_down', tool: 'Zabbix', minutesAgo: 2 },
    ]);
    await route([symptom!, down!]);
    const [first, fault] = [await incidentOf(symptom!), await incidentOf(down!)];
    const rows = await stack.sql<{ id: string; workflowId: string }[]>`
      SELECT id, workflow_id AS "workflowId" FROM incidents WHERE id = ANY(${[first.id, fault.id]})`;
    const wf = (id: string) => rows.find((r) => r.id === id)!.workflowId;
    // What a router leaves when it dies after the symptom's Update: the mark, and the symptom merged.
    await stack.sql`
      UPDATE correlation_groups SET absorb_pending = true,
        merged_into = (SELECT id FROM correlation_groups WHERE workflow_id = ${wf(fault.id)})
      WHERE workflow_id = ${wf(first.id)}`;
    const correlation = { userId: 'correlation', email: 'correlation', role: 'msp_admin' as const, companyIds: [] };
    await stack.temporal.workflow.getHandle(wf(first.id)).executeUpdate(mergeIncident, {
      args: [
        { incidentId: first.id, actor: correlation, into: { incidentId: fault.id, label: 'x' }, byCorrelation: true },
      ],
    });
    // The router that died comes back (or another process sweeps): it finishes what is marked.
    const restarted = new AlertRouter(stack.routerOptions);
    const taken = await eventually(async () => {
      await restarted.routeBatch();
      const [f] = await stack.sql<{ alert_count: number; pending: number }[]>`
        SELECT alert_count, (SELECT count(*)::int FROM correlation_groups
          WHERE company_id = ${company.companyId} AND absorb_pending) AS pending
        FROM incidents WHERE id = ${fault.id}`;
      return f!.pending === 0 ? f : undefined;
    }, 'the fold to finish');
    expect(taken.alert_count).toBe(2);
    expect((await incidentOf(symptom!)).id).toBe(fault.id);
    await new AlertRouter(stack.routerOptions).routeBatch();
    const [again] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM incident_events WHERE incident_id = ${fault.id} AND kind = 'merged'`;
    expect(again!.n).toBe(1);
  });

  it('joins one fault reported by two tools under different names', async () => {
    const company = await createCompany(stack.sql);
    const ids = await store(company.companyId, [
      { asset: 'srv-x', signature: 'cpu_high', tool: 'Prometheus', minutesAgo: 3 },
      { asset: 'srv-x', signature: 'CPU utilization is too high', tool: 'Datadog', minutesAgo: 2 },
    ]);
    await route(ids);
    const a = await incidentOf(ids[0]!);
    expect((await incidentOf(ids[1]!)).id).toBe(a.id);
    const [why] = await stack.sql<{ correlation: { rule: string; matched: string[] } }[]>`
      SELECT correlation FROM alerts WHERE id = ${ids[1]!}`;
    expect(why!.correlation).toEqual({ rule: 'same_key', matched: ['asset', 'signature', 'cross_tool'] });
  });

  it('groups by a label when the company keys on it', async () => {
    const company = await createCompany(stack.sql);
    await stack.sql`UPDATE companies SET settings = ${stack.sql.json({ correlation: { keyFields: ['label:cluster'] } })}
      WHERE id = ${company.companyId}`;
    const ids = await store(company.companyId, [
      { asset: 'node-1', signature: 'pod_crashloop', minutesAgo: 3, labels: { cluster: 'prod-eu' } },
      { asset: 'node-2', signature: 'etcd_latency', minutesAgo: 2, labels: { cluster: 'prod-eu' } },
      { asset: 'node-3', signature: 'pod_crashloop', minutesAgo: 2, labels: { cluster: 'staging' } },
    ]);
    await route(ids);
    const eu = await incidentOf(ids[0]!);
    expect((await incidentOf(ids[1]!)).id).toBe(eu.id);
    expect((await incidentOf(ids[2]!)).id).not.toBe(eu.id);
  });
});
