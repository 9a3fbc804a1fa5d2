// Onboarding a client without SQL, on the real stack: companies and settings, integration keys, signing
// secrets, assets, people and invitations, and what each change leaves in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../api/hmac.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let msp: TestUser;
let mspToken: string;

const alert = (asset: string) => ({
  asset_name: asset,
  signature: 'disk_full',
  severity: 'high',
  message: 'Disk 95% full',
  tool_source: 'Prometheus',
});

async function gql<T>(query: string, variables: Record<string, unknown> = {}, token = mspToken) {
  return graphql<T>(stack.url, query, variables, token);
}

async function newCompany(name = `Client ${Date.now()}-${Math.random().toString(36).slice(2, 6)}`) {
  const r = await gql<{ createCompany: { id: string } }>(
    'mutation($n:String!){ createCompany(input:{name:$n}) { id } }',
    { n: name },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.createCompany.id;
}

async function newKey(companyId: string, name = 'Prometheus') {
  const r = await gql<{
    createIntegrationKey: {
      apiKey: string;
      key: { id: string; keyHint: string };
      webhookUrls: Array<{ receiver: string; url: string }>;
    };
  }>(
    'mutation($c:ID!,$n:String!){ createIntegrationKey(companyId:$c,name:$n) { apiKey key { id keyHint } webhookUrls { receiver url } } }',
    { c: companyId, n: name },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.createIntegrationKey;
}

async function auditActions(companyId: string): Promise<string[]> {
  const r = await gql<{ auditLog: Array<{ action: string }> }>('query($c:ID!){ auditLog(companyId:$c) { action } }', {
    c: companyId,
  });
  return r.data!.auditLog.map((e) => e.action);
}

beforeAll(async () => {
  stack = await startStack();
  msp = await createUser(stack.sql, 'msp_admin', []);
  mspToken = await login(stack.url, msp.email, msp.password);
});

afterAll(async () => {
  await stack?.stop();
});

describe('companies and settings', () => {
  it('creates a company whose alerts open incidents once it has a key, with no SQL', async () => {
    const companyId = await newCompany();
    const issued = await newKey(companyId);
    expect(issued.apiKey).toMatch(/^awk_[A-Za-z0-9_-]{43}$/);
    expect(issued.key.keyHint).toBe(`${issued.apiKey.slice(0, 8)}…`);
    expect(issued.webhookUrls.map((u) => u.receiver)).toEqual(
      expect.arrayContaining(['alerts', 'alertmanager', 'grafana', 'datadog', 'zabbix', 'cloudwatch', 'events_v2']),
    );
    const ready = new URL(issued.webhookUrls.find((u) => u.receiver === 'alerts')!.url);
    const url = `${stack.url}${ready.pathname}${ready.search}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert('srv-new-01')),
    });
    expect(res.status).toBe(202);
    await eventually(async () => {
      const [row] = await stack.sql`SELECT id FROM incidents WHERE company_id = ${companyId}`;
      return row;
    }, 'the new company’s incident');
    const keys = await gql<{ company: { integrationKeys: Array<{ lastUsedAt: string | null }> } }>(
      'query($c:ID!){ company(id:$c) { integrationKeys { lastUsedAt } } }',
      { c: companyId },
    );
    await eventually(async () => {
      const [k] = await stack.sql`SELECT last_used_at FROM integration_keys WHERE company_id = ${companyId}`;
      return k?.last_used_at;
    }, 'last used time');
    expect(keys.errors).toBeUndefined();
    // The key itself is never stored: only its hash.
    const [stored] = await stack.sql`SELECT key_hash FROM integration_keys WHERE company_id = ${companyId}`;
    expect(stored!.key_hash).not.toContain(issued.apiKey);
    expect(await auditActions(companyId)).toEqual(expect.arrayContaining(['company.created', 'key.created']));
  });

  it('keeps chat webhook URLs sealed: shown as a hint to everyone, kept when saved without one', async () => {
    const companyId = await newCompany();
    const url = 'https://hooks.slack.example/services/T000/B000/secretpathXYZ1';
    const SAVE = 'mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { settings } }';
    const hooks = (w: unknown[]) => ({ notifications: { emails: ['ops@client.example'], webhooks: w } });
    const saved = await gql<{ updateCompany: { settings: unknown } }>(SAVE, {
      c: companyId,
      s: hooks([{ name: 'ops', format: 'slack', url }]),
    });
    const hint = 'https://hooks.slack.example/…XYZ1';
    expect(saved.data!.updateCompany.settings).toEqual(hooks([{ name: 'ops', format: 'slack', urlHint: hint }]));
    const [row] = await stack.sql<{ settings: unknown }[]>`SELECT settings FROM companies WHERE id = ${companyId}`;
    expect(JSON.stringify(row!.settings)).not.toContain('secretpath');

    // Saved again from the form, which never held the URL: kept. A new name needs its URL.
    const again = await gql<{ updateCompany: { settings: unknown } }>(SAVE, {
      c: companyId,
      s: hooks([{ name: 'ops', format: 'teams', urlHint: 'forged', urlSealed: 'v1.forged' }]),
    });
    expect(again.data!.updateCompany.settings).toEqual(hooks([{ name: 'ops', format: 'teams', urlHint: hint }]));
    const [kept] = await stack.sql<{ settings: unknown }[]>`SELECT settings FROM companies WHERE id = ${companyId}`;
    expect(JSON.stringify(kept!.settings)).not.toContain('forged');
    const missing = await gql(SAVE, { c: companyId, s: hooks([{ name: 'noc', format: 'slack' }]) });
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'settings.notifications.webhooks', message: 'webhook 1 ("noc"): give its URL' }],
    });

    // A technician of the company and the audit log see the hint only.
    const tech = await createUser(stack.sql, 'technician', [companyId]);
    const read = await gql<{ company: { settings: unknown } }>(
      'query($c:ID!){ company(id:$c) { settings } }',
      { c: companyId },
      await login(stack.url, tech.email, tech.password),
    );
    expect(JSON.stringify(read.data!.company.settings)).toContain(hint);
    const audit = await gql<{ auditLog: unknown[] }>(
      'query($c:ID!){ auditLog(companyId:$c, action:"company.updated") { data } }',
      { c: companyId },
    );
    expect(audit.data!.auditLog).toHaveLength(2);
    expect(JSON.stringify(audit.data)).not.toMatch(/secretpath|v1\./);
  });

  it('refuses bad settings naming each field, and the ingest path reads good ones', async () => {
    const companyId = await newCompany();
    const bad = await gql('mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { id } }', {
      c: companyId,
      s: { timeZone: 'Mars/Olympus', sla: { responseMinutes: { critical: 0 } }, webhookRatePerMinute: -1, nope: 1 },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const fields = (bad.errors?.[0]?.extensions as { fields: Array<{ field: string }> }).fields.map((f) => f.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'settings.timeZone',
        'settings.sla.responseMinutes.critical',
        'settings.webhookRatePerMinute',
        'settings.nope',
      ]),
    );
    const ok = await gql<{ updateCompany: { settings: Record<string, unknown> } }>(
      'mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { settings } }',
      { c: companyId, s: { timeZone: 'Europe/Berlin', webhookRatePerMinute: 2, groupWaitSeconds: 0 } },
    );
    expect(ok.data?.updateCompany.settings).toEqual({
      timeZone: 'Europe/Berlin',
      webhookRatePerMinute: 2,
      groupWaitSeconds: 0,
    });
    // null returns one key to the default and leaves the others.
    const reset = await gql<{ updateCompany: { settings: Record<string, unknown> } }>(
      'mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { settings } }',
      { c: companyId, s: { timeZone: null } },
    );
    expect(reset.data?.updateCompany.settings).toEqual({ webhookRatePerMinute: 2, groupWaitSeconds: 0 });
    const { apiKey } = await newKey(companyId);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await postAlert(stack.url, apiKey, alert(`srv-rate-${i}`))).status);
    expect(statuses).toEqual([202, 202, 429, 429]);
    const changes = await gql<{ auditLog: Array<{ action: string; data: { settings?: Record<string, unknown> } }> }>(
      'query($c:ID!){ auditLog(companyId:$c, action:"company.updated") { action data } }',
      { c: companyId },
    );
    expect(changes.data!.auditLog[1]!.data.settings).toMatchObject({
      timeZone: { from: null, to: 'Europe/Berlin' },
      webhookRatePerMinute: { from: null, to: 2 },
    });
  });

  it('archiving refuses the company’s keys at once; restoring takes them again', async () => {
    const companyId = await newCompany();
    const { apiKey } = await newKey(companyId);
    expect((await postAlert(stack.url, apiKey, alert('srv-a'))).status).toBe(202);
    await gql('mutation($c:ID!){ archiveCompany(id:$c) { archivedAt } }', { c: companyId });
    await eventually(async () => (await postAlert(stack.url, apiKey, alert('srv-b'))).status === 401, 'refused', 5000);
    const listed = await gql<{ companies: Array<{ id: string }> }>('{ companies { id } }');
    expect(listed.data!.companies.map((c) => c.id)).not.toContain(companyId);
    await gql('mutation($c:ID!){ restoreCompany(id:$c) { id } }', { c: companyId });
    await eventually(async () => (await postAlert(stack.url, apiKey, alert('srv-c'))).status === 202, 'taken', 5000);
  });
});

describe('integration keys', () => {
  it('rotates with an overlap (both keys work), and revoking stops a key at once', async () => {
    const companyId = await newCompany();
    const first = await newKey(companyId, 'Datadog');
    const rotated = await gql<{ rotateIntegrationKey: { apiKey: string; key: { id: string; name: string } } }>(
      'mutation($c:ID!,$k:ID!){ rotateIntegrationKey(companyId:$c,keyId:$k,overlapHours:1) { apiKey key { id name } } }',
      { c: companyId, k: first.key.id },
    );
    const second = rotated.data!.rotateIntegrationKey;
    expect(second.key.name).toBe('Datadog');
    expect((await postAlert(stack.url, first.apiKey, alert('srv-1'))).status).toBe(202);
    expect((await postAlert(stack.url, second.apiKey, alert('srv-2'))).status).toBe(202);
    const keys = await gql<{
      company: { integrationKeys: Array<{ id: string; active: boolean; expiresAt: string | null }> };
    }>('query($c:ID!){ company(id:$c) { integrationKeys { id active expiresAt } } }', { c: companyId });
    const old = keys.data!.company.integrationKeys.find((k) => k.id === first.key.id)!;
    expect(old.active).toBe(true);
    expect(Date.parse(old.expiresAt!) - Date.now()).toBeGreaterThan(59 * 60_000);

    // A rotation without overlap ends the old key now.
    const third = await gql<{ rotateIntegrationKey: { apiKey: string } }>(
      'mutation($c:ID!,$k:ID!){ rotateIntegrationKey(companyId:$c,keyId:$k,overlapHours:0) { apiKey } }',
      { c: companyId, k: second.key.id },
    );
    await eventually(
      async () => (await postAlert(stack.url, second.apiKey, alert('srv-3'))).status === 401,
      'old key',
      5000,
    );
    expect((await postAlert(stack.url, third.data!.rotateIntegrationKey.apiKey, alert('srv-4'))).status).toBe(202);

    await gql('mutation($c:ID!,$k:ID!){ revokeIntegrationKey(companyId:$c,keyId:$k) { revokedAt } }', {
      c: companyId,
      k: first.key.id,
    });
    await eventually(
      async () => (await postAlert(stack.url, first.apiKey, alert('srv-5'))).status === 401,
      'revoked',
      5000,
    );
    const again = await gql('mutation($c:ID!,$k:ID!){ revokeIntegrationKey(companyId:$c,keyId:$k) { id } }', {
      c: companyId,
      k: first.key.id,
    });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await auditActions(companyId)).toEqual(
      expect.arrayContaining(['key.created', 'key.rotated', 'key.revoked']),
    );
  });

  it('refuses a bad name or overlap with the field named', async () => {
    const companyId = await newCompany();
    const r = await gql('mutation($c:ID!){ createIntegrationKey(companyId:$c,name:"  ") { apiKey } }', {
      c: companyId,
    });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'name' }] });
    const { key } = await newKey(companyId);
    const o = await gql(
      'mutation($c:ID!,$k:ID!){ rotateIntegrationKey(companyId:$c,keyId:$k,overlapHours:-1) { apiKey } }',
      {
        c: companyId,
        k: key.id,
      },
    );
    expect(o.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'overlapHours' }] });
  });
});

describe('signing secrets', () => {
  it('are generated, sealed at rest, required once set, and the rotated one verifies during its overlap', async () => {
    const companyId = await newCompany();
    const { apiKey } = await newKey(companyId);
    const made = await gql<{ rotateSigningSecret: { secret: string; example: string } }>(
      'mutation($c:ID!){ rotateSigningSecret(companyId:$c) { secret example } }',
      { c: companyId },
    );
    const secret = made.data!.rotateSigningSecret.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(made.data!.rotateSigningSecret.example).toContain('openssl dgst -sha256 -hmac');
    const [row] = await stack.sql`SELECT * FROM companies WHERE id = ${companyId}`;
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));

    const signed = (s: string, body: string) => {
      const ts = String(Math.floor(Date.now() / 1000));
      return { 'x-timestamp': ts, 'x-signature': signWebhook(s, ts, body), 'x-delivery-id': `d-${Math.random()}` };
    };
    const body = JSON.stringify(alert('srv-signed'));
    await eventually(async () => (await postAlert(stack.url, apiKey, body)).status === 401, 'unsigned refused', 5000);
    const first = await postAlert(stack.url, apiKey, body, signed(secret, body));
    expect(first.status, await first.clone().text()).toBe(202);

    const next = await gql<{ rotateSigningSecret: { secret: string } }>(
      'mutation($c:ID!){ rotateSigningSecret(companyId:$c, overlapHours: 2) { secret } }',
      { c: companyId },
    );
    const newer = next.data!.rotateSigningSecret.secret;
    await eventually(
      async () => (await postAlert(stack.url, apiKey, body, signed(newer, body))).status === 202,
      'the new secret',
      5000,
    );
    // Another body: the same signature twice within the window would be refused as a replay.
    const other = JSON.stringify(alert('srv-signed-2'));
    expect((await postAlert(stack.url, apiKey, other, signed(secret, other))).status).toBe(202);
    expect((await postAlert(stack.url, apiKey, other, signed('whsec_other', other))).status).toBe(401);

    await gql('mutation($c:ID!){ removeSigningSecret(companyId:$c) }', { c: companyId });
    await eventually(async () => (await postAlert(stack.url, apiKey, body)).status !== 401, 'unsigned again', 5000);
    const entries = await gql<{ auditLog: Array<{ action: string; data: unknown }> }>(
      'query($c:ID!){ auditLog(companyId:$c, action:"signing_secret") { action data } }',
      { c: companyId },
    );
    expect(entries.data!.auditLog.map((e) => e.action)).toEqual([
      'signing_secret.removed',
      'signing_secret.rotated',
      'signing_secret.created',
    ]);
    expect(JSON.stringify(entries.data)).not.toContain(secret.slice(6));
  });

  it('seals a secret or chat webhook URL stored in clear before this release when the API starts', async () => {
    const chat = { name: 'ops', format: 'slack', url: 'https://chat.example/hooks/legacy-plain' };
    const company = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, notifications: { webhooks: [chat] } } as never,
    });
    await stack.sql`UPDATE companies SET hmac_secret_legacy = 'whsec_legacy_plain' WHERE id = ${company.companyId}`;
    const again = await startStack({ startRouter: false });
    try {
      const [row] = await stack.sql`
        SELECT hmac_secret_legacy, hmac_secret_sealed, settings FROM companies WHERE id = ${company.companyId}`;
      expect(row!.hmac_secret_legacy).toBeNull();
      expect(row!.hmac_secret_sealed).toMatch(/^v1\./);
      expect(row!.settings.notifications.webhooks).toEqual([
        {
          name: 'ops',
          format: 'slack',
          urlSealed: expect.stringMatching(/^v1\./),
          urlHint: 'https://chat.example/…lain',
        },
      ]);
      const body = JSON.stringify(alert('srv-legacy'));
      const ts = String(Math.floor(Date.now() / 1000));
      const headers = { 'x-timestamp': ts, 'x-signature': signWebhook('whsec_legacy_plain', ts, body) };
      expect((await postAlert(again.url, company.apiKey, body, headers)).status).toBe(202);
    } finally {
      await again.stop();
    }
  });
});

describe('assets', () => {
  it('imports a CSV all or nothing, naming bad lines, and lists unregistered assets for one-click registration', async () => {
    const companyId = await newCompany();
    const { apiKey } = await newKey(companyId);
    const badCsv =
      'name,instance_id,criticality,tags\nsrv-db-01,i-0e1e2e3e4e5e6e7e8,critical,db;prod\nsrv-x,nope,urgent,\n';
    const bad = await gql('mutation($c:ID!,$csv:String!){ importAssets(companyId:$c,csv:$csv) { created } }', {
      c: companyId,
      csv: badCsv,
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors?.[0]?.extensions as { fields: Array<{ field: string }> }).fields.map((f) => f.field)).toEqual([
      'line 3: instanceId',
      'line 3: criticality',
    ]);
    const [count] = await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM assets WHERE company_id = ${companyId}`;
    expect(count!.n).toBe(0);
    const good = await gql<{ importAssets: { created: number; updated: number } }>(
      'mutation($c:ID!,$csv:String!){ importAssets(companyId:$c,csv:$csv) { created updated } }',
      {
        c: companyId,
        csv: '\uFEFFName,Instance ID,Criticality,Tags,OS\nsrv-db-01,i-0e1e2e3e4e5e6e7e8,critical,db;prod,Ubuntu\nsrv-web-01,,low,,\n',
      },
    );
    expect(good.data!.importAssets).toEqual({ created: 2, updated: 0 });

    expect((await postAlert(stack.url, apiKey, alert('srv-unknown-07'))).status).toBe(202);
    const listed = await gql<{
      company: {
        assets: Array<{ name: string; criticality: string; tags: string[] }>;
        unregisteredAssets: Array<{ name: string; alertCount: number }>;
      };
    }>('query($c:ID!){ company(id:$c) { assets { name criticality tags } unregisteredAssets { name alertCount } } }', {
      c: companyId,
    });
    expect(listed.data!.company.assets).toEqual([
      { name: 'srv-db-01', criticality: 'critical', tags: ['db', 'prod'] },
      { name: 'srv-web-01', criticality: 'low', tags: [] },
    ]);
    expect(listed.data!.company.unregisteredAssets).toEqual([{ name: 'srv-unknown-07', alertCount: 1 }]);
    await gql('mutation($c:ID!){ saveAsset(companyId:$c,input:{name:"srv-unknown-07",criticality:high}) { name } }', {
      c: companyId,
    });
    const after = await gql<{ company: { unregisteredAssets: unknown[] } }>(
      'query($c:ID!){ company(id:$c) { unregisteredAssets { name } } }',
      { c: companyId },
    );
    expect(after.data!.company.unregisteredAssets).toEqual([]);
    const [critical] =
      await stack.sql`SELECT critical FROM assets WHERE company_id = ${companyId} AND name = 'srv-db-01'`;
    expect(critical!.critical).toBe(true);
  });
});

describe('people', () => {
  it('invites a technician by one-time link; they set a password, sign in, and see only their company', async () => {
    const companyId = await newCompany();
    const other = await createCompany(stack.sql);
    const email = `tech-${Date.now()}@client.example`;
    const invited = await gql<{ invitePerson: { url: string; person: { id: string; invitePending: boolean } } }>(
      'mutation($i:InviteInput!){ invitePerson(input:$i) { url person { id invitePending } } }',
      { i: { email, name: 'New Tech', role: 'technician', companyIds: [companyId], categories: ['database'] } },
    );
    expect(invited.errors).toBeUndefined();
    expect(invited.data!.invitePerson.person.invitePending).toBe(true);
    const token = new URL(invited.data!.invitePerson.url.replace('#/', '')).searchParams.get('token')!;
    // Not yet: an invited user has no password to sign in with.
    const early = await graphql(
      stack.url,
      'mutation($e:String!){ login(email:$e,password:"whatever-long-pw") { accessToken } }',
      {
        e: email,
      },
    );
    expect(early.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const weak = await graphql(
      stack.url,
      'mutation($t:String!){ setPasswordWithLink(token:$t,password:"short") { accessToken } }',
      {
        t: token,
      },
    );
    expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password' }] });
    const set = await graphql<{ setPasswordWithLink: { accessToken: string; user: { companyIds: string[] } } }>(
      stack.url,
      'mutation($t:String!){ setPasswordWithLink(token:$t,password:"correct horse battery") { accessToken user { companyIds } } }',
      { t: token },
    );
    expect(set.data!.setPasswordWithLink.user.companyIds).toEqual([companyId]);
    const reused = await graphql(
      stack.url,
      'mutation($t:String!){ setPasswordWithLink(token:$t,password:"another long password") { accessToken } }',
      {
        t: token,
      },
    );
    expect(reused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const techToken = await login(stack.url, email, 'correct horse battery');
    const seen = await graphql<{ companies: Array<{ id: string }> }>(stack.url, '{ companies { id } }', {}, techToken);
    expect(seen.data!.companies.map((c) => c.id)).toEqual([companyId]);
    const hidden = await graphql<{ company: unknown }>(
      stack.url,
      'query($c:ID!){ company(id:$c) { id } }',
      { c: other.companyId },
      techToken,
    );
    expect(hidden.data!.company).toBeNull();
    expect(await auditActions(companyId)).toEqual(expect.arrayContaining(['user.invited']));
    const nowhere = await gql('mutation($i:InviteInput!){ invitePerson(input:$i) { url } }', {
      i: { email: `n-${Date.now()}@client.example`, name: 'N', role: 'technician', companyIds: ['comp-nowhere'] },
    });
    expect(nowhere.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'companyIds' }],
    });
  });

  it('lets a company admin manage only their own company’s people, never granting msp_admin', async () => {
    const a = await newCompany();
    const b = await newCompany();
    const admin = await createUser(stack.sql, 'company_admin', [a]);
    const token = await login(stack.url, admin.email, admin.password);
    const asMsp = await graphql(
      stack.url,
      'mutation($i:InviteInput!){ invitePerson(input:$i) { url } }',
      {
        i: { email: `x-${Date.now()}@a.example`, name: 'X', role: 'msp_admin', companyIds: [a] },
      },
      token,
    );
    expect(asMsp.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const intoB = await graphql(
      stack.url,
      'mutation($i:InviteInput!){ invitePerson(input:$i) { url } }',
      {
        i: { email: `y-${Date.now()}@a.example`, name: 'Y', role: 'technician', companyIds: [b] },
      },
      token,
    );
    expect(intoB.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bTech = await createUser(stack.sql, 'technician', [b]);
    const touchB = await graphql(
      stack.url,
      'mutation($id:ID!){ disablePerson(id:$id) { id } }',
      { id: bTech.id },
      token,
    );
    expect(touchB.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const own = await graphql<{ invitePerson: { person: { id: string } } }>(
      stack.url,
      'mutation($i:InviteInput!){ invitePerson(input:$i) { person { id } } }',
      { i: { email: `z-${Date.now()}@a.example`, name: 'Z', role: 'technician', companyIds: [a] } },
      token,
    );
    expect(own.errors).toBeUndefined();
    const promote = await graphql(
      stack.url,
      'mutation($id:ID!){ updatePerson(id:$id,input:{role:company_admin}) { role } }',
      {
        id: own.data!.invitePerson.person.id,
      },
      token,
    );
    expect(promote.errors).toBeUndefined();
  });
});

describe('audit log', () => {
  it('records failed and successful logins, is append-only, and exports CSV with formulas neutralised', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    await graphql(stack.url, 'mutation($e:String!){ login(email:$e,password:"=cmd|calc") { accessToken } }', {
      e: user.email,
    });
    await login(stack.url, user.email, user.password);
    const r = await gql<{ auditLog: Array<{ action: string; actorEmail: string; data: { reason?: string } }> }>(
      'query($e:String!){ auditLog(actorEmail:$e) { action actorEmail data } }',
      { e: user.email },
    );
    expect(r.data!.auditLog.map((e) => e.action)).toEqual(['auth.login', 'auth.login_failed']);
    expect(r.data!.auditLog[1]!.data.reason).toBe('wrong password');
    // Newest first by the numeric id, across a change of digit count (9 → 10, 99 → 100).
    const all = await gql<{ auditLog: Array<{ id: string }> }>('query { auditLog(limit: 1000) { id } }');
    const ids = all.data!.auditLog.map((e) => Number(e.id));
    expect(ids.length).toBeGreaterThan(10);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    await expect(stack.sql`UPDATE audit_log SET action = 'x' WHERE actor_email = ${user.email}`).rejects.toThrow(
      /append-only/,
    );
    await expect(stack.sql`DELETE FROM audit_log WHERE actor_email = ${user.email}`).rejects.toThrow(/append-only/);
    const csv = await gql<{ auditLogCsv: string }>('query($e:String!){ auditLogCsv(actorEmail:$e) }', {
      e: user.email,
    });
    const lines = csv.data!.auditLogCsv.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,company_id,actor_email,action,target_type,target_id,ip,data');
    expect(lines).toHaveLength(3);
    expect(csv.data!.auditLogCsv).not.toContain('=cmd');
    const tech = await gql('{ auditLog { id } }', {}, await login(stack.url, user.email, user.password));
    expect(tech.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
