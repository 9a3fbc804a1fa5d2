// Ingestion on the real stack (PostgreSQL, Temporal, router): bad input, batches, storms, poison keys,
// dead letters, replayed signatures and resolve at source, as an integrator and a technician see them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { signWebhook } from '../../api/hmac.ts';
import { createCompany, createUser, fixtureCompanyId } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

const valid = {
  asset_name: 'srv-1',
  signature: 'unknown_check',
  severity: 'high',
  message: 'm',
  tool_source: 'Prometheus',
};
let seq = 0;
const unique = (over: Record<string, unknown> = {}) => ({ ...valid, delivery_id: `d-${Date.now()}-${seq++}`, ...over });

const count = async (sqlWhere: string, companyId: string): Promise<number> => {
  const [r] = await stack.sql.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM alerts WHERE company_id = $1 AND ${sqlWhere}`,
    [companyId],
  );
  return r!.n;
};

async function incidentsOf(companyId: string) {
  return stack.sql<
    { id: string; status: string; alert_count: number; workflow_id: string; source_resolved_at: string | null }[]
  >`
    SELECT id, status, alert_count, workflow_id, source_resolved_at FROM incidents WHERE company_id = ${companyId} ORDER BY created_at`;
}

async function adminOf(companyId: string): Promise<string> {
  const admin = await createUser(stack.sql, 'company_admin', [companyId]);
  return login(stack.url, admin.email, admin.password);
}

describe('bad input', () => {
  it('answers NUL, lone surrogates, deep nesting and wrong content types with a 4xx, stores nothing and records why', async () => {
    const company = await createCompany(stack.sql);
    const send = (body: string, type = 'application/json') =>
      fetch(`${stack.url}/api/webhooks/alerts?api_key=${company.apiKey}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
    const nul = await send(JSON.stringify({ ...valid, message: 'a\u0000b' }));
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({ error: 'invalid_content', message: expect.stringContaining('"message"') });
    expect(
      (await send('{"asset_name":"\\ud800","signature":"s","severity":"high","message":"m","tool_source":"t"}')).status,
    ).toBe(400);
    expect((await send(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`)).status).toBe(400);
    expect((await send(JSON.stringify(valid), 'text/plain')).status).toBe(415);
    expect((await send(JSON.stringify(valid), 'application/x-www-form-urlencoded')).status).toBe(415);
    expect(await count('true', company.companyId)).toBe(0);

    const token = await adminOf(company.companyId);
    const rejected = await eventually(async () => {
      const r = await graphql<{
        rejectedDeliveries: Array<{ httpStatus: number; error: string; reason: string; bodyExcerpt: string }>;
      }>(
        stack.url,
        'query($c:ID!){rejectedDeliveries(companyId:$c){httpStatus error reason bodyExcerpt receiver}}',
        { c: company.companyId },
        token,
      );
      return (r.data?.rejectedDeliveries.length ?? 0) >= 5 && r.data!.rejectedDeliveries;
    }, 'the rejections to be recorded');
    expect(rejected.map((r) => r.httpStatus).sort()).toEqual([400, 400, 400, 415, 415]);
    expect(rejected.find((r) => r.reason.includes('"message"'))?.bodyExcerpt).toContain('\\u0000');
  });
});

describe('batches', () => {
  it('stores the valid alerts of a batch and answers each one', async () => {
    const company = await createCompany(stack.sql);
    const items = [unique(), unique({ severity: 'urgent' }), unique({ asset_name: 'srv-2' }), unique()];
    const res = await postAlert(stack.url, company.apiKey, { alerts: items });
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      accepted: number;
      rejected: number;
      results: Array<{ index: number; status: string; fields?: unknown }>;
    };
    expect(body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 1 });
    expect(body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted', 'accepted']);
    expect(body.results[1]!.fields).toEqual([expect.objectContaining({ field: expect.stringContaining('severity') })]);
    expect(await count('true', company.companyId)).toBe(3);

    const again = await postAlert(stack.url, company.apiKey, items);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 3, rejected: 1 });
    expect(await count('true', company.companyId)).toBe(3);

    const tooMany = await postAlert(
      stack.url,
      company.apiKey,
      Array.from({ length: 1001 }, () => unique()),
    );
    expect(tooMany.status).toBe(422);
    expect(await count('true', company.companyId)).toBe(3);
  });
});

describe('storms and poison keys', () => {
  it('turns a 1,000-alert storm on two keys into two incidents with exact counts and short histories', async () => {
    const company = await createCompany(stack.sql);
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 50 }, (_, i) =>
        unique({ asset_name: `storm-${(b * 50 + i) % 2}`, message: `storm ${b}/${i}` }),
      );
      expect((await postAlert(stack.url, company.apiKey, batch)).status).toBe(202);
    }
    const incidents = await eventually(
      async () => {
        const rows = await incidentsOf(company.companyId);
        return rows.length === 2 && rows.every((r) => r.alert_count === 500) && rows;
      },
      'two incidents of 500 alerts each',
      60_000,
    );
    expect(await count('routed_at IS NULL', company.companyId)).toBe(0);
    for (const i of incidents) {
      const d = await stack.temporal.workflow.getHandle(i.workflow_id).describe();
      // A signal per alert would be 500+ signals and thousands of events.
      expect(d.historyLength).toBeLessThan(120);
    }
  });

  it('routes another company on time while one sends alerts with over-long keys, and routes those too', async () => {
    const poison = await createCompany(stack.sql);
    const other = await createCompany(stack.sql);
    const long = 'あ'.repeat(255);
    const batch = Array.from({ length: 200 }, (_, i) =>
      unique({ asset_name: long, signature: long, message: `poison ${i}` }),
    );
    expect((await postAlert(stack.url, poison.apiKey, batch)).status).toBe(202);
    const started = Date.now();
    expect((await postAlert(stack.url, other.apiKey, unique({ asset_name: 'srv-ok' }))).status).toBe(202);
    await eventually(
      async () => (await incidentsOf(other.companyId)).length === 1,
      "the other company's incident",
      15_000,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    const [inc] = await eventually(
      async () => {
        const rows = await incidentsOf(poison.companyId);
        return rows.length === 1 && rows[0]!.alert_count === 200 && rows;
      },
      'the long-key incident with all 200 alerts',
      30_000,
    );
    expect(Buffer.byteLength(inc!.workflow_id)).toBeLessThanOrEqual(200);
  });
});

describe('dead letters', () => {
  it('parks an alert Temporal keeps refusing, shows it to its company admin only, and retries it on request', async () => {
    const company = await createCompany(stack.sql);
    const stranger = await createCompany(stack.sql);
    await stack.router.stop();
    // The pre-fix workflow ID: over Temporal's length limit for this key, so every try is refused.
    const refused = new AlertRouter({
      ...stack.routerOptions,
      pollIntervalMs: 100,
      maxAttempts: 2,
      retryBaseMs: 50,
      workflowIdFor: (c, k) => `incident:${c}:${k}`,
    });
    await refused.start();
    let retried: AlertRouter | null = null;
    try {
      const long = 'あ'.repeat(255); // 1,530 bytes of key: past Temporal's 1,000-byte ID limit
      const res = await postAlert(stack.url, company.apiKey, unique({ asset_name: long, signature: long }));
      const { alert_id } = (await res.json()) as { alert_id: string };
      await eventually(async () => {
        const [row] =
          await stack.sql`SELECT route_attempts, route_error, dead_lettered_at, routed_at FROM alerts WHERE id = ${alert_id}`;
        return row?.dead_lettered_at ? row : JSON.stringify(row) === '' && row;
      }, 'the alert to be dead-lettered');
      await refused.stop();

      const token = await adminOf(company.companyId);
      const q = 'query($c:ID!){deadLetteredAlerts(companyId:$c){id routeAttempts routeError}}';
      const seen = await graphql<{
        deadLetteredAlerts: Array<{ id: string; routeAttempts: number; routeError: string }>;
      }>(stack.url, q, { c: company.companyId }, token);
      expect(seen.data?.deadLetteredAlerts).toEqual([
        { id: alert_id, routeAttempts: 2, routeError: expect.stringMatching(/WorkflowId|length|exceed/i) },
      ]);
      const tech = await createUser(stack.sql, 'technician', [company.companyId]);
      const techView = await graphql(
        stack.url,
        q,
        { c: company.companyId },
        await login(stack.url, tech.email, tech.password),
      );
      expect(techView.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const strangerView = await graphql(stack.url, q, { c: company.companyId }, await adminOf(stranger.companyId));
      expect(strangerView.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      retried = new AlertRouter({ ...stack.routerOptions, pollIntervalMs: 100 });
      await retried.start();
      const retry = await graphql<{ retryDeadLetteredAlerts: number }>(
        stack.url,
        'mutation($c:ID!){retryDeadLetteredAlerts(companyId:$c)}',
        { c: company.companyId },
        token,
      );
      expect(retry.data?.retryDeadLetteredAlerts).toBe(1);
      await eventually(
        async () => (await incidentsOf(company.companyId)).length === 1,
        'the retried alert to open its incident',
      );
    } finally {
      await refused.stop();
      await retried?.stop();
      stack.router = new AlertRouter(stack.routerOptions);
      await stack.router.start();
    }
  });
});

describe('priority score in the row', () => {
  it('uses the same alert-count term in SQL as domain/priority.ts', async () => {
    const { priorityScore } = await import('../../domain/priority.ts');
    const base = { severity: 'low' as const, assetCritical: false, toolSourceCount: 1, ageHours: 0 };
    for (const n of [0, 1, 2, 5, 10, 11, 12, 50]) {
      const [r] = await stack.sql<{ bonus: number }[]>`SELECT alert_count_bonus(${n}::int) AS bonus`;
      expect(r!.bonus, `${n} alerts`).toBe(
        priorityScore({ ...base, alertCount: n }) - priorityScore({ ...base, alertCount: 1 }),
      );
    }
  });
});

describe('API keys', () => {
  it('stops taking a key the moment it changes, though lookups are cached', async () => {
    const company = await createCompany(stack.sql);
    expect((await postAlert(stack.url, company.apiKey, unique())).status).toBe(202); // now cached
    const { hashApiKey } = await import('../../domain/api-keys.ts');
    await stack.sql`
      UPDATE integration_keys SET key_hash = ${hashApiKey('ak_rotated_key_0001')} WHERE company_id = ${company.companyId}`;
    await eventually(
      async () => (await postAlert(stack.url, company.apiKey, unique())).status === 401,
      'the old key to be refused',
      5_000,
    );
    expect((await postAlert(stack.url, 'ak_rotated_key_0001', unique())).status).toBe(202);
  });

  it("takes a new company's key at once, though it was just looked up as unknown", async () => {
    const early = `ak_test_early_${Date.now()}`;
    expect((await postAlert(stack.url, early, unique())).status).toBe(401); // remembered as unknown
    const { hashApiKey } = await import('../../domain/api-keys.ts');
    const id = fixtureCompanyId();
    await stack.sql`INSERT INTO companies (id, name, settings) VALUES (${id}, 'Early Co', ${stack.sql.json({ groupWaitSeconds: 0 })})`;
    await stack.sql`
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint)
      VALUES (${`key-${id}`}, ${id}, 'Early', ${hashApiKey(early)}, 'ak_test')`;
    await eventually(async () => (await postAlert(stack.url, early, unique())).status === 202, 'the new key', 3_000);
  });
});

describe('signed deliveries', () => {
  it('refuses a signed request replayed with another delivery id, and answers a true redelivery as a duplicate', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: 'whsec_replay' });
    const body = JSON.stringify(valid);
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = (id: string) => ({
      'x-timestamp': ts,
      'x-signature': signWebhook('whsec_replay', ts, body),
      'x-delivery-id': id,
    });
    expect((await postAlert(stack.url, company.apiKey, body, headers('first'))).status).toBe(202);
    expect((await postAlert(stack.url, company.apiKey, body, headers('first'))).status).toBe(200);
    const replay = await postAlert(stack.url, company.apiKey, body, headers('second'));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({
      error: 'invalid_signature',
      message: expect.stringContaining('replay'),
    });
    expect(await count('true', company.companyId)).toBe(1);
  });
});

describe('resolve at source', () => {
  const timeline = async (incidentId: string) =>
    await stack.sql<
      { kind: string; message: string }[]
    >`SELECT kind, message FROM incident_events WHERE incident_id = ${incidentId} ORDER BY seq`;

  it('resolves an incident once every alert has recovered at its source', async () => {
    const company = await createCompany(stack.sql);
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-1', asset_name: 'srv-r' }));
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-2', asset_name: 'srv-r' }));
    const [open] = await eventually(async () => {
      const rows = await incidentsOf(company.companyId);
      return rows[0]?.status === 'escalated' && rows[0].alert_count === 2 && rows;
    }, 'the escalated incident');
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-1', asset_name: 'srv-r', status: 'resolved' }));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await incidentsOf(company.companyId))[0]!.status).toBe('escalated'); // fp-2 is still firing
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-2', asset_name: 'srv-r', status: 'resolved' }));
    const [done] = await eventually(async () => {
      const rows = await incidentsOf(company.companyId);
      return rows[0]?.status === 'resolved' && rows;
    }, 'the incident to resolve at source');
    expect(done!.id).toBe(open!.id);
    expect(done!.source_resolved_at).not.toBeNull();
    expect((await timeline(done!.id)).find((e) => e.kind === 'resolved')).toMatchObject({
      message: expect.stringContaining('recovered at its source'),
    });
    expect(await count('resolved_at IS NOT NULL', company.companyId)).toBe(2);

    const token = await adminOf(company.companyId);
    const r = await graphql<{ incident: { sourceResolvedAt: string; alerts: Array<{ status: string }> } }>(
      stack.url,
      'query($id:ID!){incident(id:$id){sourceResolvedAt alerts{status}}}',
      { id: done!.id },
      token,
    );
    expect(r.data?.incident.sourceResolvedAt).toBeTruthy();
    expect(r.data?.incident.alerts.map((a) => a.status).sort()).toEqual(['firing', 'firing', 'resolved', 'resolved']);
  });

  it('only records it when the company keeps such incidents open', async () => {
    const company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, autoResolveAtSource: false } });
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-k', asset_name: 'srv-k' }));
    await eventually(
      async () => (await incidentsOf(company.companyId))[0]?.status === 'escalated',
      'the escalated incident',
    );
    await postAlert(stack.url, company.apiKey, unique({ source_key: 'fp-k', asset_name: 'srv-k', status: 'resolved' }));
    const [kept] = await eventually(async () => {
      const rows = await incidentsOf(company.companyId);
      return rows[0]?.source_resolved_at ? rows : null;
    }, 'the recovery to be recorded');
    expect(kept!.status).toBe('escalated');
    // Paging the escalation runs alongside, so the recovery is one of the latest events, not always the last.
    expect((await timeline(kept!.id)).map((e) => e.kind)).toContain('resolved_at_source');
  });
});
