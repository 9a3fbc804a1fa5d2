// POST /api/webhooks/alerts on the real API, PostgreSQL and Temporal: every answer and what it stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../api/hmac.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let acme: TestCompany;
const valid = {
  asset_name: 'srv-app-01',
  signature: 'cpu_high',
  severity: 'critical',
  message: 'CPU 95%',
  tool_source: 'Datadog',
};

async function alertCount(companyId: string): Promise<number> {
  const [r] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM alerts WHERE company_id = ${companyId}`;
  return r!.n;
}

beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '600' } });
  acme = await createCompany(stack.sql);
});
afterAll(async () => {
  await stack?.stop();
});

describe('webhook', () => {
  it('stores the alert before answering 202 with its id, and routes it to an incident workflow', async () => {
    const res = await postAlert(stack.url, acme.apiKey, valid);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { alert_id: string; status: string };
    expect(body.status).toBe('accepted');
    const [row] = await stack.sql<
      { severity: string; aggregation_key: string }[]
    >`SELECT severity, aggregation_key FROM alerts WHERE id = ${body.alert_id}`;
    expect(row).toEqual({ severity: 'critical', aggregation_key: 'srv-app-01|cpu_high' });
    const incidentId = await eventually(async () => {
      const [a] = await stack.sql<
        { incident_id: string | null }[]
      >`SELECT incident_id FROM alerts WHERE id = ${body.alert_id}`;
      return a?.incident_id;
    }, 'the alert to join an incident');
    const [incident] = await stack.sql<
      { workflow_id: string }[]
    >`SELECT workflow_id FROM incidents WHERE id = ${incidentId}`;
    expect(incident?.workflow_id).toBe(`incident:${acme.companyId}:srv-app-01|cpu_high|#1`);
  });

  it('accepts the API key in the X-API-Key header too', async () => {
    const res = await fetch(`${stack.url}/api/webhooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': acme.apiKey },
      body: JSON.stringify({ ...valid, message: 'sent with X-API-Key' }),
    });
    expect(res.status).toBe(202);
  });

  it('answers a redelivery with the same X-Delivery-ID as a duplicate, storing it once', async () => {
    const before = await alertCount(acme.companyId);
    const first = await postAlert(stack.url, acme.apiKey, valid, { 'x-delivery-id': 'dd-1' });
    const again = await postAlert(stack.url, acme.apiKey, valid, { 'x-delivery-id': 'dd-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    const a = (await first.json()) as { alert_id: string };
    expect(await again.json()).toMatchObject({ alert_id: a.alert_id, duplicate: true });
    expect(await alertCount(acme.companyId)).toBe(before + 1);
  });

  it('rejects malformed JSON with 400, storing nothing', async () => {
    const before = await alertCount(acme.companyId);
    const res = await postAlert(stack.url, acme.apiKey, '{"asset_name": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_json' });
    expect(await alertCount(acme.companyId)).toBe(before);
  });

  it('rejects missing and invalid fields with 422, naming each field and the allowed values', async () => {
    const res = await postAlert(stack.url, acme.apiKey, { asset_name: 'srv-1', severity: 'urgent', message: '' });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; fields: Array<{ field: string; message: string }> };
    expect(body.error).toBe('validation_failed');
    expect(body.fields.map((f) => f.field).sort()).toEqual(['message', 'severity', 'signature', 'tool_source']);
    expect(body.fields.find((f) => f.field === 'severity')?.message).toBe(
      'severity must be one of: critical, high, medium, low',
    );
  });

  it('rejects an unknown or missing API key with 401', async () => {
    expect((await postAlert(stack.url, 'ak_wrong', valid)).status).toBe(401);
    const res = await fetch(`${stack.url}/api/webhooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('rejects a body over 4 MB with 413', async () => {
    const before = await alertCount(acme.companyId);
    const res = await postAlert(stack.url, acme.apiKey, { ...valid, message: 'x'.repeat(4 * 1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
    expect(await alertCount(acme.companyId)).toBe(before);
  });

  it('requires a valid, fresh HMAC signature when the company has a secret', async () => {
    const signed = await createCompany(stack.sql, { hmacSecret: 'whsec_test' });
    const body = JSON.stringify(valid);
    const now = String(Math.floor(Date.now() / 1000));
    const send = (headers: Record<string, string>) => postAlert(stack.url, signed.apiKey, body, headers);

    const unsigned = await send({});
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: 'invalid_signature' });
    expect((await send({ 'x-timestamp': now, 'x-signature': signWebhook('wrong', now, body) })).status).toBe(401);
    const stale = String(Number(now) - 600);
    const replay = await send({ 'x-timestamp': stale, 'x-signature': signWebhook('whsec_test', stale, body) });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { message: string }).message).toContain('replay');
    expect((await send({ 'x-timestamp': now, 'x-signature': signWebhook('whsec_test', now, body) })).status).toBe(202);
    expect(await alertCount(signed.companyId)).toBe(1);
  });

  it('limits each company to its rate, answering 429 with Retry-After', async () => {
    const limited = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '3' }, startRouter: false });
    try {
      const company = await createCompany(limited.sql);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await postAlert(limited.url, company.apiKey, { ...valid, message: `alert ${i}` });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  it('keeps alerts stored while routing is down and routes them all once it is back', async () => {
    const company = await createCompany(stack.sql);
    await stack.router.stop();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postAlert(stack.url, company.apiKey, {
        ...valid,
        asset_name: `srv-${i % 2}`,
        message: `burst ${i}`,
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { alert_id: string }).alert_id);
    }
    const [unrouted] = await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM alerts WHERE id = ANY(${ids}) AND routed_at IS NULL`;
    expect(unrouted?.n).toBe(5);

    const { AlertRouter } = await import('../../router/alert-router.ts');
    stack.router = new AlertRouter(stack.routerOptions);
    await stack.router.start();
    // One read for both, so the incidents listed are those of the moment nothing was pending.
    const incidents = await eventually(async () => {
      const [r] = await stack.sql<{ pending: number; incidents: string[] | null }[]>`
        SELECT count(*) FILTER (WHERE incident_id IS NULL)::int AS pending,
          array_agg(DISTINCT incident_id) FILTER (WHERE incident_id IS NOT NULL) AS incidents
        FROM alerts WHERE id = ANY(${ids})`;
      return r?.pending === 0 ? (r.incidents ?? []).map((incident_id) => ({ incident_id })) : undefined;
    }, 'all five alerts to reach their incidents');
    // srv-0 and srv-1: two keys, two incidents, five alerts between them.
    expect(incidents).toHaveLength(2);
    const counts = await stack.sql<
      { alert_count: number }[]
    >`SELECT alert_count FROM incidents WHERE id = ANY(${incidents.map((r) => r.incident_id)}) ORDER BY alert_count`;
    expect(counts.map((c) => c.alert_count)).toEqual([2, 3]);
  });
  it('neither sends again nor opens a second incident for an alert its closed incident already took', async () => {
    const company = await createCompany(stack.sql);
    const res = await postAlert(stack.url, company.apiKey, { ...valid, signature: 'disk_full', severity: 'high' });
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };
    const first = await eventually(async () => {
      const [r] = await stack.sql<{ id: string; status: string }[]>`
        SELECT i.id, i.status FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
      return r?.status === 'resolved' ? r : undefined;
    }, 'the low-risk incident to resolve');
    const [incident] = await stack.sql<
      { workflow_id: string; run_id: string }[]
    >`SELECT workflow_id, run_id FROM incidents WHERE id = ${first.id}`;
    const latestRun = async () => (await stack.temporal.workflow.getHandle(incident!.workflow_id).describe()).runId;
    expect(await latestRun()).toBe(incident!.run_id);

    // As if the router had crashed after signalling but before recording it: the alert is claimed again. Its
    // incident already took it, so the router records it as routed without sending it again. (An alert the
    // incident had not yet linked goes out again, and the workflow drops the id it has seen: workflows tests.)
    await stack.sql`UPDATE alerts SET routed_at = NULL, route_next_at = now() WHERE id = ${alertId}`;
    await eventually(async () => {
      const [a] = await stack.sql<{ routed_at: string | null }[]>`SELECT routed_at FROM alerts WHERE id = ${alertId}`;
      return a?.routed_at;
    }, 'the alert to be recorded as routed');
    // Nothing went to Temporal: no run after the incident's own.
    expect(await latestRun()).toBe(incident!.run_id);

    const incidents = await stack.sql<
      { id: string }[]
    >`SELECT id FROM incidents WHERE company_id = ${company.companyId}`;
    expect(incidents.map((i) => i.id)).toEqual([first.id]);
    const [linked] = await stack.sql<{ incident_id: string }[]>`SELECT incident_id FROM alerts WHERE id = ${alertId}`;
    expect(linked?.incident_id).toBe(first.id);
  });

  it('treats a blank X-Delivery-ID as absent and refuses an overlong one', async () => {
    const company = await createCompany(stack.sql);
    const a = await postAlert(stack.url, company.apiKey, valid, { 'x-delivery-id': '  ' });
    const b = await postAlert(stack.url, company.apiKey, { ...valid, message: 'another' }, { 'x-delivery-id': '' });
    expect([a.status, b.status]).toEqual([202, 202]);
    // Without any id, the same content within the minute is a retry of the same alert.
    const retry = await postAlert(stack.url, company.apiKey, valid);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({
      alert_id: ((await a.json()) as { alert_id: string }).alert_id,
      duplicate: true,
    });
    const long = await postAlert(stack.url, company.apiKey, valid, { 'x-delivery-id': 'x'.repeat(201) });
    expect(long.status).toBe(422);
    expect(await long.json()).toMatchObject({
      fields: [{ field: 'X-Delivery-ID', message: 'X-Delivery-ID must be at most 200 characters' }],
    });
    expect(await alertCount(company.companyId)).toBe(2);
  });
  it('records the error and keeps the alert while Temporal is unreachable, then routes it once it is back', async () => {
    const company = await createCompany(stack.sql);
    await stack.router.stop();
    const { Client, Connection } = await import('@temporalio/client');
    const { AlertRouter } = await import('../../router/alert-router.ts');
    // Nothing listens on port 1: every signal fails as it would with Temporal down.
    const deadConnection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    // A signal deadline of 2 s rather than the 10 s of router/routing/signals.ts: the same failure, sooner.
    const down = new AlertRouter({
      ...stack.routerOptions,
      temporal: new Client({ connection: deadConnection }),
      signalDeadlineMs: 2_000,
    });
    await down.start();
    const res = await postAlert(stack.url, company.apiKey, { ...valid, asset_name: 'srv-outage' });
    expect(res.status).toBe(202);
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };
    // Each lane the dead router tries waits out its signal deadline, and alerts of companies no fixture made, left
    // unrouted in the shared database, may be tried first: a generous bound.
    const failed = await eventually(
      async () => {
        const [a] = await stack.sql<{ route_attempts: number; route_error: string | null; routed_at: string | null }[]>`
        SELECT route_attempts, route_error, routed_at FROM alerts WHERE id = ${alertId}`;
        return a?.route_error ? a : undefined;
      },
      'a failed routing attempt',
      120_000,
    );
    expect(failed.routed_at).toBeNull();
    expect(failed.route_error).toBeTruthy();
    await down.stop();
    await deadConnection.close().catch(() => undefined);

    stack.router = new AlertRouter(stack.routerOptions);
    await stack.router.start();
    const routed = await eventually(
      async () => {
        const [a] = await stack.sql<
          { incident_id: string | null; route_error: string | null }[]
        >`SELECT incident_id, route_error FROM alerts WHERE id = ${alertId}`;
        // The workflow links it and the router clears the outage's error, in either order.
        return a?.incident_id && a.route_error === null ? a : undefined;
      },
      'the alert to reach its incident after the outage, its error cleared',
      120_000,
    );
    expect(routed.route_error).toBeNull();
  }, 300_000);
});
