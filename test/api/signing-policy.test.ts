// Per-key signing policy and receiver limit on the real stack (issue 13, item 9): a company with a signing
// secret chooses per key whether the receivers that cannot sign may use it, and a key can be limited to one
// receiver. Refusals are 401/403 with a reason, recorded as rejected deliveries, and store nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../api/hmac.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';
import { headerObject, runZabbixScript } from '../helpers/zabbix.ts';

const FIXTURES = new URL('../fixtures/receivers/', import.meta.url);
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;
const SECRET = 'whsec_policy_test_secret';

let stack: Stack;
let msp: TestUser;
let mspToken: string;

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  msp = await createUser(stack.sql, 'msp_admin', []);
  mspToken = await login(stack.url, msp.email, msp.password);
});

afterAll(async () => {
  await stack?.stop();
});

interface Key {
  id: string;
  signing: string;
  receiver: string | null;
}

const KEY = 'id signing receiver';

async function gql<T>(query: string, variables: Record<string, unknown>, token = mspToken) {
  return graphql<T>(stack.url, query, variables, token);
}

async function issueKey(companyId: string, policy: { signing?: string; receiver?: string } = {}) {
  const r = await gql<{ createIntegrationKey: { apiKey: string; key: Key } }>(
    `mutation($c:ID!,$s:KeySigning,$r:KeyReceiver){
       createIntegrationKey(companyId:$c,name:"Tool",signing:$s,receiver:$r) { apiKey key { ${KEY} } } }`,
    { c: companyId, s: policy.signing, r: policy.receiver },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.createIntegrationKey;
}

const SET_POLICY = `mutation($c:ID!,$k:ID!,$s:KeySigning!,$r:KeyReceiver){
  setIntegrationKeyPolicy(companyId:$c,keyId:$k,signing:$s,receiver:$r) { ${KEY} } }`;

const genericAlert = (asset: string) =>
  JSON.stringify({
    asset_name: asset,
    signature: 'disk_full',
    severity: 'high',
    message: 'Disk full',
    tool_source: 'x',
  });

/** Each receiver route with a body in its tool's own format, the key where that tool puts it. */
function request(route: string, apiKey: string): { url: string; body: string; headers: Record<string, string> } {
  const url = (path: string) => `${stack.url}/api/webhooks/${path}?api_key=${encodeURIComponent(apiKey)}`;
  const json = { 'content-type': 'application/json' };
  switch (route) {
    case 'alerts':
      return { url: url('alerts'), body: genericAlert(`srv-${Math.random()}`), headers: json };
    case 'events_v2':
      return {
        url: `${stack.url}/api/webhooks/events/v2/enqueue`,
        body: JSON.stringify({ ...fixture('pagerduty-trigger.json'), routing_key: apiKey }),
        headers: json,
      };
    case 'zabbix': {
      const run = runZabbixScript({
        ...fixture('zabbix-media-params-problem.json'),
        URL: `${stack.url}/api/webhooks/zabbix`,
        api_key: apiKey,
      });
      const [req] = run.requests;
      if (!req) throw new Error(`the media type script made no request: ${String(run.thrown)}`);
      return { url: req.url, body: req.body, headers: headerObject(req.headers) };
    }
    default: {
      const files: Record<string, string> = {
        alertmanager: 'alertmanager-firing.json',
        grafana: 'grafana-firing.json',
        datadog: 'datadog-recommended-triggered.json',
      };
      return { url: url(route), body: JSON.stringify(fixture(files[route]!)), headers: json };
    }
  }
}

async function send(route: string, apiKey: string, opts: { signWith?: string } = {}) {
  const r = request(route, apiKey);
  const headers = { ...r.headers };
  if (opts.signWith) {
    const ts = String(Math.floor(Date.now() / 1000));
    Object.assign(headers, { 'x-timestamp': ts, 'x-signature': signWebhook(opts.signWith, ts, r.body) });
  }
  const res = await fetch(r.url, { method: 'POST', headers, body: r.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The receivers that stored alerts for the company (an Alertmanager group holds several). */
async function storedAlerts(companyId: string): Promise<string[]> {
  const rows = await stack.sql<{ receiver: string }[]>`
    SELECT DISTINCT receiver FROM alerts WHERE company_id = ${companyId} ORDER BY receiver`;
  return rows.map((r) => r.receiver);
}

/** The company's rejected deliveries once the log has written them (it batches every 500 ms). */
async function rejections(companyId: string, count: number) {
  return eventually(async () => {
    const rows = await stack.sql<{ receiver: string; httpStatus: number; error: string; reason: string }[]>`
      SELECT receiver, http_status AS "httpStatus", error, reason FROM rejected_deliveries
      WHERE company_id = ${companyId} ORDER BY receiver`;
    return rows.length >= count && rows;
  }, `${count} rejected deliveries`);
}

const UNSIGNED_TOOLS = ['alertmanager', 'grafana', 'events_v2', 'datadog', 'zabbix'];

describe('signed only', () => {
  it('is a new key’s default when the company has a secret: unsigned is refused (401) on every receiver', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: SECRET });
    const { apiKey, key } = await issueKey(company.companyId);
    expect(key).toMatchObject({ signing: 'signed_only', receiver: null });
    for (const route of ['alerts', ...UNSIGNED_TOOLS]) {
      const res = await send(route, apiKey);
      expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(401);
    }
    expect(await storedAlerts(company.companyId)).toEqual([]);
    const recorded = await rejections(company.companyId, 6);
    expect(recorded.map((r) => r.receiver).sort()).toEqual(['alerts', ...UNSIGNED_TOOLS].sort());
    expect(recorded.every((r) => r.httpStatus === 401 && r.error === 'invalid_signature')).toBe(true);
    expect(recorded.find((r) => r.receiver === 'grafana')!.reason).toMatch(/signed requests only.*Grafana/);

    // Signed, it is taken: on the generic route, and on Alertmanager's through a signing proxy.
    expect((await send('alerts', apiKey, { signWith: SECRET })).status).toBe(202);
    expect((await send('alertmanager', apiKey, { signWith: SECRET })).status).toBe(202);
    expect((await send('grafana', apiKey, { signWith: 'whsec_wrong' })).status).toBe(401);
    expect(await storedAlerts(company.companyId)).toEqual(['alertmanager', 'alerts']);
  });
});

describe('unsigned receivers allowed', () => {
  it('lets the tools that cannot sign use the key unsigned; the generic route still needs a signature', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: SECRET });
    const { apiKey, key } = await issueKey(company.companyId, { signing: 'unsigned_allowed' });
    expect(key.signing).toBe('unsigned_allowed');
    for (const route of UNSIGNED_TOOLS) {
      const res = await send(route, apiKey);
      expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(202);
    }
    expect((await send('alerts', apiKey)).status).toBe(401);
    expect((await send('alerts', apiKey, { signWith: SECRET })).status).toBe(202);
    expect(await storedAlerts(company.companyId)).toEqual(['alerts', ...UNSIGNED_TOOLS].sort());
  });

  it('is what keys made before the policy existed keep (the column default), so existing installs work', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: SECRET });
    const [row] = await stack.sql<{ signing: string; receiver: string | null }[]>`
      SELECT signing, receiver FROM integration_keys WHERE company_id = ${company.companyId}`;
    expect(row).toEqual({ signing: 'unsigned_allowed', receiver: null });
    expect((await send('alertmanager', company.apiKey)).status).toBe(202);
  });
});

describe('a key limited to one receiver', () => {
  it('is refused (403, recorded) on other routes and accepted on its own', async () => {
    const company = await createCompany(stack.sql);
    const { apiKey, key } = await issueKey(company.companyId, { receiver: 'alertmanager' });
    expect(key).toMatchObject({ signing: 'unsigned_allowed', receiver: 'alertmanager' });
    for (const route of ['alerts', 'datadog']) {
      const res = await send(route, apiKey);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'key_not_for_receiver' });
      expect(String(res.body.message)).toContain('limited to the Alertmanager');
    }
    expect((await send('alertmanager', apiKey)).status).toBe(202);
    expect(await storedAlerts(company.companyId)).toEqual(['alertmanager']);
    const recorded = await rejections(company.companyId, 2);
    expect(recorded.map((r) => [r.receiver, r.httpStatus, r.error])).toEqual([
      ['alerts', 403, 'key_not_for_receiver'],
      ['datadog', 403, 'key_not_for_receiver'],
    ]);
  });
});

describe('changing the policy', () => {
  it('over GraphQL holds for the very next request, without a restart, and is audited', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: SECRET });
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const { apiKey, key } = await issueKey(company.companyId, { signing: 'unsigned_allowed' });
    expect((await send('alertmanager', apiKey)).status).toBe(202); // the key is cached now

    const strict = await gql<{ setIntegrationKeyPolicy: Key }>(
      SET_POLICY,
      { c: company.companyId, k: key.id, s: 'signed_only' },
      token,
    );
    expect(strict.data?.setIntegrationKeyPolicy).toMatchObject({ signing: 'signed_only', receiver: null });
    expect((await send('alertmanager', apiKey)).status).toBe(401);

    const limited = await gql(
      SET_POLICY,
      { c: company.companyId, k: key.id, s: 'unsigned_allowed', r: 'grafana' },
      token,
    );
    expect(limited.errors).toBeUndefined();
    expect((await send('alertmanager', apiKey)).status).toBe(403);
    expect((await send('grafana', apiKey)).status).toBe(202);

    const audit = await gql<{ auditLog: Array<{ data: Record<string, unknown> }> }>(
      'query($c:ID!){ auditLog(companyId:$c, action:"key.policy_changed") { data } }',
      { c: company.companyId },
    );
    expect(audit.data!.auditLog.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ signing: { from: 'unsigned_allowed', to: 'signed_only' } }),
        expect.objectContaining({ receiver: { from: null, to: 'grafana' } }),
      ]),
    );
  });

  it('made elsewhere (another API process, SQL) reaches the cache through the trigger', async () => {
    const company = await createCompany(stack.sql);
    expect((await send('alertmanager', company.apiKey)).status).toBe(202);
    await stack.sql`UPDATE integration_keys SET receiver = 'datadog' WHERE company_id = ${company.companyId}`;
    await eventually(async () => (await send('alertmanager', company.apiKey)).status === 403, 'the limit to apply');
  });

  it('is for company admins: a technician is refused and the key stays as it was', async () => {
    const company = await createCompany(stack.sql, { hmacSecret: SECRET });
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const token = await login(stack.url, tech.email, tech.password);
    const { key } = await issueKey(company.companyId);
    const r = await gql(SET_POLICY, { c: company.companyId, k: key.id, s: 'unsigned_allowed' }, token);
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const [row] = await stack.sql`SELECT signing FROM integration_keys WHERE id = ${key.id}`;
    expect(row!.signing).toBe('signed_only');
  });

  it('refuses "signed only" by name while the company has no secret; rotation keeps the policy', async () => {
    const company = await createCompany(stack.sql);
    const created = await gql(
      'mutation($c:ID!){ createIntegrationKey(companyId:$c,name:"x",signing:signed_only) { apiKey } }',
      { c: company.companyId },
    );
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'signing' }] });
    const { key } = await issueKey(company.companyId, { receiver: 'zabbix' });
    expect(key.signing).toBe('unsigned_allowed');
    const set = await gql(SET_POLICY, { c: company.companyId, k: key.id, s: 'signed_only' });
    expect(set.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'signing' }] });
    const rotated = await gql<{ rotateIntegrationKey: { key: Key } }>(
      `mutation($c:ID!,$k:ID!){ rotateIntegrationKey(companyId:$c,keyId:$k) { key { ${KEY} } } }`,
      { c: company.companyId, k: key.id },
    );
    expect(rotated.data!.rotateIntegrationKey.key).toMatchObject({ signing: 'unsigned_allowed', receiver: 'zabbix' });
  });
});
