// Where a tenant's settings may make the install send, on the real stack: chat webhooks to internal addresses are
// refused when saved and again when sent (a name saved while allowed that resolves to loopback at send time),
// redirects are not followed, alert text reaches Slack and Teams escaped, and a company's alert rate is held to
// the install's ceiling.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SAVE = 'mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { settings } }';
const fieldsOf = (r: { errors?: Array<{ extensions?: unknown }> }) =>
  (r.errors?.[0]?.extensions as { code?: string; fields?: unknown } | undefined) ?? {};

/** A local chat endpoint that records every request; `/moved` redirects to `/target`. */
async function chatServer(): Promise<{ server: Server; url: string; hits: Array<{ path: string; body: string }> }> {
  const hits: Array<{ path: string; body: string }> = [];
  let url = '';
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', body });
      if (req.url === '/moved') res.writeHead(302, { location: `${url}/target` }).end();
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, hits };
}

const closeServer = (s: Server | undefined) =>
  new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));

/** The first timeline event of `kind` of the company's incident on `asset`. */
async function eventOf(stack: Stack, companyId: string, asset: string, kind: string): Promise<string> {
  return eventually(async () => {
    const [e] = await stack.sql<{ message: string }[]>`
      SELECT e.message FROM incident_events e JOIN incidents i ON i.id = e.incident_id
      WHERE i.company_id = ${companyId} AND i.asset_name = ${asset} AND e.kind = ${kind} ORDER BY e.seq LIMIT 1`;
    return e?.message;
  }, `a ${kind} event on ${asset}`);
}

/** The chat deliveries of the company's incident on `asset`. */
function deliveriesOf(stack: Stack, companyId: string, asset: string) {
  return stack.sql<{ target: string; status: string; attempts: number; error: string | null }[]>`
    SELECT target, status, attempts, error FROM notification_deliveries
    WHERE channel = 'webhook' AND starts_with(event_key, (
      SELECT id || ':' FROM incidents WHERE company_id = ${companyId} AND asset_name = ${asset}))
    ORDER BY target`;
}

const noRunbook = (asset: string, signature = 'replication_lag') => ({
  asset_name: asset,
  signature,
  severity: 'high',
  message: 'replica 400 s behind',
  tool_source: 'Prometheus',
});

describe('with the outbound policy on (OUTBOUND_ALLOW_PRIVATE=false)', () => {
  let stack: Stack;
  let chat: Awaited<ReturnType<typeof chatServer>>;
  let company: TestCompany;
  let admin: TestUser;
  let token = '';

  beforeAll(async () => {
    stack = await startStack({ env: { OUTBOUND_ALLOW_PRIVATE: 'false', WEBHOOK_RATE_PER_MINUTE_MAX: '3' } });
    chat = await chatServer();
    company = await createCompany(stack.sql);
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    token = await login(stack.url, admin.email, admin.password);
  });
  afterAll(async () => {
    await stack?.stop();
    await closeServer(chat?.server);
  });

  it('refuses chat webhooks to loopback, private and metadata addresses when saved, naming each URL', async () => {
    const port = new URL(chat.url).port;
    const urls = [
      `http://127.0.0.1:${port}/hook`,
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      `http://localhost:${port}/hook`,
      'https://user:secret@hooks.slack.com/services/T/B/x',
    ];
    const webhooks = urls.map((url, i) => ({ name: `hook${i}`, format: 'slack', url }));
    const r = await graphql(stack.url, SAVE, { c: company.companyId, s: { notifications: { webhooks } } }, token);
    const only = '; only public addresses may be reached';
    expect(fieldsOf(r)).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'settings.notifications.webhooks.0.url', message: `points to a loopback address (127.0.0.1)${only}` },
        { field: 'settings.notifications.webhooks.1.url', message: `points to a private address (10.0.0.1)${only}` },
        {
          field: 'settings.notifications.webhooks.2.url',
          message: `points to a cloud metadata address (169.254.169.254)${only}`,
        },
        { field: 'settings.notifications.webhooks.3.url', message: `points to a loopback address (::1)${only}` },
        {
          field: 'settings.notifications.webhooks.4.url',
          message: expect.stringMatching(/^points to a loopback address \(localhost resolves to (127\.0\.0\.1|::1)\);/),
        },
        { field: 'settings.notifications.webhooks.5.url', message: 'must not carry a user name or password' },
      ],
    });
    // Nothing stored, nothing sent; a new company is held to the same rule.
    const [row] = await stack.sql<{ settings: Record<string, unknown> }[]>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).not.toHaveProperty('notifications');
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const created = await graphql(
      stack.url,
      'mutation($s:JSON){ createCompany(input:{name:"Metadata Inc", settings:$s}) { id } }',
      { s: { notifications: { webhooks: [{ name: 'ops', format: 'teams', url: 'http://169.254.169.254/' }] } } },
      await login(stack.url, msp.email, msp.password),
    );
    expect(fieldsOf(created).fields).toEqual([
      expect.objectContaining({ field: 'settings.notifications.webhooks.0.url' }),
    ]);
    expect(chat.hits).toEqual([]);
  });

  it('refuses at send time a URL saved while allowed whose name resolves to loopback, asking nothing of it', async () => {
    const port = new URL(chat.url).port;
    // Saved through an install that allowed it (a lab, or before this check): the send must still refuse.
    const lab = await startStack({ startRouter: false });
    try {
      const saved = await graphql(
        lab.url,
        SAVE,
        {
          c: company.companyId,
          s: { notifications: { webhooks: [{ name: 'ops', format: 'slack', url: `http://localhost:${port}/hook` }] } },
        },
        token,
      );
      expect(saved.errors).toBeUndefined();
    } finally {
      await lab.stop();
    }
    expect((await postAlert(stack.url, company.apiKey, noRunbook('pg-rebound'))).status).toBe(202);
    // The timeline says paging failed (in the tenant's words); the delivery row keeps why.
    await eventOf(stack, company.companyId, 'pg-rebound', 'notification_failed');
    // Tried once: retrying a refusal by policy for an hour would only refuse again.
    expect(await deliveriesOf(stack, company.companyId, 'pg-rebound')).toEqual([
      {
        target: 'ops',
        status: 'failed',
        attempts: 1,
        error: expect.stringMatching(
          /^its URL points to a loopback address \(localhost resolves to (127\.0\.0\.1|::1)\); only public addresses may be reached$/,
        ),
      },
    ]);
    expect(chat.hits).toEqual([]);
  });

  it("refuses remediation limits above the install's blast-radius ceilings, by field", async () => {
    const { blastRadiusCeilings: max } = stack.config;
    const lifted = await graphql(
      stack.url,
      SAVE,
      { c: company.companyId, s: { remediation: { maxRunsPerAssetPerHour: max.maxRunsPerAssetPerHour + 1 } } },
      token,
    );
    expect(fieldsOf(lifted)).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [
        {
          field: 'settings.remediation.maxRunsPerAssetPerHour',
          message: `must be at most ${max.maxRunsPerAssetPerHour} (this install's ceiling)`,
        },
      ],
    });
    const within = { remediation: { maxRunsPerAssetPerHour: max.maxRunsPerAssetPerHour } };
    expect((await graphql(stack.url, SAVE, { c: company.companyId, s: within }, token)).errors).toBeUndefined();
  });

  it("holds a company's alert rate to the install's ceiling: refused above it, an old 0 or larger value clamped", async () => {
    const above = await graphql(stack.url, SAVE, { c: company.companyId, s: { webhookRatePerMinute: 4 } }, token);
    expect(fieldsOf(above)).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [
        {
          field: 'settings.webhookRatePerMinute',
          message: 'must be at most 3, the most alerts a minute this install allows a company',
        },
      ],
    });
    const zero = await graphql(stack.url, SAVE, { c: company.companyId, s: { webhookRatePerMinute: 0 } }, token);
    expect(fieldsOf(zero).fields).toEqual([expect.objectContaining({ field: 'settings.webhookRatePerMinute' })]);

    // Stored before the ceiling: 0 used to mean unlimited, and a million was accepted.
    for (const stored of [0, 1_000_000]) {
      const old = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, webhookRatePerMinute: stored } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await postAlert(stack.url, old.apiKey, noRunbook(`rate-${stored}-${i}`, 'disk_full'))).status);
      }
      expect(statuses, `stored ${stored}`).toEqual([202, 202, 202, 429, 429]);
    }
    // An unrelated change to a company holding an old 0 is not refused for it: the value is saved as it is read.
    const old = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, webhookRatePerMinute: 0 } });
    const oldAdmin = await createUser(stack.sql, 'company_admin', [old.companyId]);
    const tz = await graphql<{ updateCompany: { settings: Record<string, unknown> } }>(
      stack.url,
      SAVE,
      { c: old.companyId, s: { timeZone: 'Europe/Berlin' } },
      await login(stack.url, oldAdmin.email, oldAdmin.password),
    );
    expect(tz.data?.updateCompany.settings).toEqual({
      groupWaitSeconds: 0,
      webhookRatePerMinute: 3,
      timeZone: 'Europe/Berlin',
    });
  });
});

describe('in a lab (OUTBOUND_ALLOW_PRIVATE=true, the test default)', () => {
  let stack: Stack;
  let chat: Awaited<ReturnType<typeof chatServer>>;

  beforeAll(async () => {
    stack = await startStack();
    chat = await chatServer();
  });
  afterAll(async () => {
    await stack?.stop();
    await closeServer(chat?.server);
  });

  async function companyWithHooks(webhooks: unknown[]): Promise<TestCompany> {
    const company = await createCompany(stack.sql);
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const saved = await graphql(stack.url, SAVE, { c: company.companyId, s: { notifications: { webhooks } } }, token);
    expect(saved.errors).toBeUndefined();
    return company;
  }

  it('does not follow a redirect: the delivery fails saying so, and the target is never asked', async () => {
    const company = await companyWithHooks([{ name: 'ops', format: 'slack', url: `${chat.url}/moved` }]);
    expect((await postAlert(stack.url, company.apiKey, noRunbook('pg-moved'))).status).toBe(202);
    await eventOf(stack, company.companyId, 'pg-moved', 'notification_failed');
    expect(await deliveriesOf(stack, company.companyId, 'pg-moved')).toEqual([
      {
        target: 'ops',
        status: 'failed',
        attempts: 1,
        error: 'the server answered with a redirect (HTTP 302), which is not followed',
      },
    ]);
    expect(chat.hits.map((h) => h.path)).toEqual(['/moved']);
  });

  it('escapes alert text in the Slack and Teams messages the channels receive', async () => {
    chat.hits.length = 0;
    const company = await companyWithHooks([
      { name: 'slack', format: 'slack', url: `${chat.url}/slack` },
      { name: 'teams', format: 'teams', url: `${chat.url}/teams` },
    ]);
    const signature = '<!channel> [status](http://evil.example) <http://evil.example|status> & co';
    const res = await postAlert(stack.url, company.apiKey, noRunbook('<@U024BE7LH>', signature));
    expect(res.status).toBe(202);
    await eventOf(stack, company.companyId, '<@U024BE7LH>', 'notified');
    const body = (path: string): unknown => JSON.parse(chat.hits.find((h) => h.path === path)!.body);

    const slack = body('/slack') as { text: string; blocks: Array<{ text?: { text: string } }> };
    expect(JSON.stringify(slack)).not.toMatch(/<!channel>|<@U024BE7LH>|<http:\/\/evil/);
    expect(slack.text).toContain(
      '&lt;!channel&gt; [status](http://evil.example) &lt;http://evil.example|status&gt; &amp; co on &lt;@U024BE7LH&gt;',
    );
    expect(slack.blocks[0]!.text!.text).toContain('&lt;!channel&gt;');

    const teams = body('/teams') as { text: string };
    expect(teams.text).toContain(
      '&lt;!channel&gt; \\[status\\]\\(http://evil.example\\) &lt;http://evil.example|status&gt; &amp; co',
    );
    expect(teams.text).not.toMatch(/<|\]\(/);
  });
});
