// Every native receiver end to end on the real stack, with payloads in each tool's own format
// (test/fixtures/receivers, from the tools' documentation): firing opens an incident, the tool's
// recovery notification resolves it at source. CloudWatch arrives through SNS, signed with a key and
// certificate made here; its signature is always verified.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificates.ts';
import { headerObject, runZabbixScript } from '../helpers/zabbix.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

const FIXTURES = new URL('../fixtures/receivers/', import.meta.url);
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;
const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';

let stack: Stack;
let key: KeyObject;
let pem: string;
const certFetches: string[] = [];
const confirmations: string[] = [];

beforeAll(async () => {
  ({ key, pem } = makeCertificate());
  stack = await startStack({
    env: { WEBHOOK_RATE_PER_MINUTE: '0' },
    cloudwatch: {
      // Only the transport is swapped: the URL is still checked, the PEM still verifies the signature.
      sns: { fetchCertificate: async (url) => (certFetches.push(url.href), pem) },
      confirmFetch: (async (url: URL | string) => {
        confirmations.push(String(url));
        return new Response('<ConfirmSubscriptionResponse/>', { status: 200 });
      }) as typeof fetch,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function post(route: string, company: TestCompany | null, body: unknown, headers: Record<string, string> = {}) {
  const q = company ? `?api_key=${encodeURIComponent(company.apiKey)}` : '';
  return fetch(`${stack.url}/api/webhooks/${route}${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Waits until the company's alerts have joined incidents; returns those incidents. */
async function incidentsOnceRouted(companyId: string) {
  return eventually(async () => {
    const [pending] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE company_id = ${companyId} AND status = 'firing' AND incident_id IS NULL`;
    const rows = await stack.sql<
      { id: string; status: string }[]
    >`SELECT id, status FROM incidents WHERE company_id = ${companyId}`;
    return pending!.n === 0 && rows.length > 0 && rows.every((r) => r.status === 'escalated') && rows;
  }, 'the firing alerts to open escalated incidents');
}

async function expectResolvedAtSource(companyId: string, opened: number) {
  const rows = await eventually(async () => {
    const r = await stack.sql<{ status: string; source_resolved_at: string | null }[]>`
      SELECT status, source_resolved_at FROM incidents WHERE company_id = ${companyId}`;
    return r.every((i) => i.status === 'resolved') && r;
  }, 'every incident to resolve at source');
  expect(rows).toHaveLength(opened);
  expect(rows.every((r) => r.source_resolved_at !== null)).toBe(true);
}

const cases: Array<{ name: string; route: string; firing: string; resolved: string }> = [
  {
    name: 'Prometheus Alertmanager',
    route: 'alertmanager',
    firing: 'alertmanager-firing.json',
    resolved: 'alertmanager-resolved.json',
  },
  { name: 'Grafana alerting', route: 'grafana', firing: 'grafana-firing.json', resolved: 'grafana-resolved.json' },
  {
    name: 'Datadog (recommended template)',
    route: 'datadog',
    firing: 'datadog-recommended-triggered.json',
    resolved: 'datadog-recommended-recovered.json',
  },
  {
    name: 'Datadog (default template)',
    route: 'datadog',
    firing: 'datadog-default-triggered.json',
    resolved: 'datadog-default-recovered.json',
  },
];

describe('native receivers: firing, then resolved at source', () => {
  it.each(cases)('$name', async ({ route, firing, resolved }) => {
    const company = await createCompany(stack.sql);
    const fired = await post(route, company, fixture(firing));
    expect(fired.status).toBe(202);
    const opened = await incidentsOnceRouted(company.companyId);
    expect((await post(route, company, fixture(firing))).status).toBe(200); // the tool's retry is a duplicate
    expect((await post(route, company, fixture(resolved))).status).toBe(202);
    await expectResolvedAtSource(company.companyId, opened.length);
  });

  it("PagerDuty Events API v2, with the routing_key as the integration key and PagerDuty's answers", async () => {
    const company = await createCompany(stack.sql);
    const trigger = { ...fixture('pagerduty-trigger.json'), routing_key: company.apiKey };
    const res = await post('events/v2/enqueue', null, trigger);
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { status: string; dedup_key: string };
    expect(answer).toMatchObject({ status: 'success', message: 'Event processed' });
    await incidentsOnceRouted(company.companyId);
    const bad = await post('events/v2', null, {
      routing_key: company.apiKey,
      event_action: 'trigger',
      payload: { summary: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: expect.any(Array),
    });
    const ack = await post('events/v2', null, {
      routing_key: company.apiKey,
      event_action: 'acknowledge',
      dedup_key: answer.dedup_key,
    });
    expect(ack.status).toBe(202);
    const resolve = { ...fixture('pagerduty-resolve.json'), routing_key: company.apiKey, dedup_key: answer.dedup_key };
    expect((await post('events/v2', null, resolve)).status).toBe(202);
    await expectResolvedAtSource(company.companyId, 1);
    // The resolve carried only its dedup_key; it takes the asset and signature of what it resolved.
    const [note] = await stack.sql<{ asset_name: string }[]>`
      SELECT asset_name FROM alerts WHERE company_id = ${company.companyId} AND status = 'resolved'`;
    expect(note!.asset_name).not.toBe('-');
  });

  it('Zabbix, through the shipped media type script', async () => {
    const company = await createCompany(stack.sql);
    const send = async (params: string) => {
      const run = runZabbixScript({
        ...fixture(params),
        URL: `${stack.url}/api/webhooks/zabbix`,
        api_key: company.apiKey,
      });
      const [req] = run.requests;
      if (!req) throw new Error(`the media type script made no request: ${String(run.thrown)}`);
      return fetch(req.url, { method: 'POST', headers: headerObject(req.headers), body: req.body });
    };
    expect((await send('zabbix-media-params-problem.json')).status).toBe(202);
    await incidentsOnceRouted(company.companyId);
    expect((await send('zabbix-media-params-update.json')).status).toBe(200);
    expect((await send('zabbix-media-params-recovery.json')).status).toBe(202);
    await expectResolvedAtSource(company.companyId, 1);
  });
});

describe('CloudWatch through Amazon SNS', () => {
  const topic = 'arn:aws:sns:us-east-1:123456789012:alert-whisperer';
  function snsSign(m: Record<string, unknown>, signingKey = key): Record<string, unknown> {
    const msg: Record<string, unknown> = {
      ...m,
      SignatureVersion: '2',
      SigningCertURL: m.SigningCertURL ?? CERT_URL,
      Timestamp: new Date().toISOString(),
    };
    const names =
      msg.Type === 'Notification'
        ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
        : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    const text = names
      .filter((n) => msg[n] !== undefined)
      .map((n) => `${n}\n${String(msg[n])}\n`)
      .join('');
    return { ...msg, Signature: sign('sha256', Buffer.from(text), signingKey).toString('base64') };
  }
  const alarm = (state: 'ALARM' | 'OK') =>
    snsSign({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: topic,
      Subject: `${state}: "prod-web-high-cpu"`,
      Message: JSON.stringify({ ...fixture(state === 'ALARM' ? 'cloudwatch-alarm.json' : 'cloudwatch-ok.json') }),
    });
  const text = { 'content-type': 'text/plain; charset=UTF-8' };

  it('confirms a subscription only once its signature checks out', async () => {
    const company = await createCompany(stack.sql);
    const subscribeUrl = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=tok`;
    const confirmation = snsSign({
      Type: 'SubscriptionConfirmation',
      MessageId: randomUUID(),
      TopicArn: topic,
      Token: 'tok',
      Message: 'You have chosen to subscribe',
      SubscribeURL: subscribeUrl,
    });
    const forged = { ...confirmation, Token: 'other' };
    expect((await post('cloudwatch', company, JSON.stringify(forged), text)).status).toBe(403);
    expect(confirmations).toEqual([]);
    const evilHost = snsSign({
      ...confirmation,
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
    });
    const fetchesBefore = certFetches.length;
    expect((await post('cloudwatch', company, JSON.stringify(evilHost), text)).status).toBe(403);
    expect(certFetches.length).toBe(fetchesBefore);
    const res = await post('cloudwatch', company, JSON.stringify(confirmation), text);
    expect(res.status).toBe(200);
    expect(confirmations).toEqual([subscribeUrl]);
  });

  it('opens an incident on ALARM and resolves it at source on OK; a message signed by another key is refused', async () => {
    const company = await createCompany(stack.sql);
    // A key of its own (node:crypto makes one directly; no certificate is needed for the forger).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = snsSign(alarm('ALARM'), privateKey);
    expect((await post('cloudwatch', company, JSON.stringify(forged), text)).status).toBe(403);
    const firing = alarm('ALARM');
    expect((await post('cloudwatch', company, JSON.stringify(firing), text)).status).toBe(202);
    expect((await post('cloudwatch', company, JSON.stringify(firing), text)).status).toBe(200); // SNS redelivery
    await incidentsOnceRouted(company.companyId);
    expect((await post('cloudwatch', company, JSON.stringify(alarm('OK')), text)).status).toBe(202);
    await expectResolvedAtSource(company.companyId, 1);
    const [asset] = await stack.sql<
      { asset_name: string }[]
    >`SELECT asset_name FROM incidents WHERE company_id = ${company.companyId}`;
    expect(asset!.asset_name).toMatch(/^i-/);
  });
});
