// The GraphQL API over HTTP and graphql-ws, on the real stack: what each role of each company sees and may do.
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let acme: TestCompany;
let globex: TestCompany;
let admin: TestUser;
let acmeTech: TestUser;
let globexTech: TestUser;
const sockets: WsClient[] = [];

const INCIDENT = `id status severity signature assetName alertCount priorityScore createdAt updatedAt workflowId temporalUrl
  viewerCanApprove companyName alerts { id message severity toolSource receivedAt }
  decision { action runbookName riskLevel reasoning source } approval { status decidedBy comment }
  execution { executor dryRun status output commands } timeline { seq kind message }`;

function wsClient(token: string | null): WsClient {
  const client = createClient({
    url: `${stack.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  sockets.push(client);
  return client;
}

function collect<T>(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
  const received: T[] = [];
  const errors: unknown[] = [];
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.data) received.push(v.data as T);
        if (v.errors) errors.push(v.errors);
      },
      error: (e) => errors.push(e),
      complete: () => {},
    },
  );
  return { received, errors, dispose };
}

// The database is shared with the other test files: the list is read at its largest, so their open incidents
// cannot push this one off it, and the wait allows for another file's router that cannot reach Temporal claiming
// this file's alert first (each failed attempt backs the alert off: 2 s, 4 s, 8 s…) before a live router takes it.
async function firstIncidentId(token: string, companyName: string, signature: string): Promise<string> {
  return eventually(
    async () => {
      const r = await graphql<{ incidents: Array<{ id: string; signature: string; companyName: string }> }>(
        stack.url,
        '{ incidents(limit: 500) { id signature companyName } }',
        {},
        token,
      );
      return r.data?.incidents.find((i) => i.signature === signature && i.companyName === companyName)?.id;
    },
    `an incident for ${signature}`,
    120_000,
  );
}

beforeAll(async () => {
  stack = await startStack();
  acme = await createCompany(stack.sql, { name: 'Acme Corp' });
  globex = await createCompany(stack.sql, { name: 'Globex' });
  admin = await createUser(stack.sql, 'msp_admin', []);
  acmeTech = await createUser(stack.sql, 'technician', [acme.companyId]);
  globexTech = await createUser(stack.sql, 'technician', [globex.companyId]);
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  await stack?.stop();
});

// Room for firstIncidentId's wait (above) inside a test.
describe('GraphQL API', { timeout: 180_000 }, () => {
  it('refuses a wrong password and an anonymous read', async () => {
    const bad = await graphql(
      stack.url,
      'mutation { login(email: "nobody@example.test", password: "x") { accessToken } }',
    );
    expect(bad.errors?.[0]).toMatchObject({
      message: 'Invalid email or password',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const anon = await graphql(stack.url, '{ incidents { id } }');
    expect(anon.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('slows down password guessing for one email', async () => {
    const target = await createUser(stack.sql, 'technician', [acme.companyId]);
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 11; i++) {
      const r = await graphql(
        stack.url,
        'mutation($e: String!) { login(email: $e, password: "guess") { accessToken } }',
        { e: target.email },
      );
      codes.push(r.errors?.[0]?.extensions?.code);
    }
    expect(codes.slice(0, 10).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
    expect(codes[10]).toBe('RATE_LIMITED');
  });

  it('shows a posted alert as an incident with its alerts, decision and Temporal link', async () => {
    const token = await login(stack.url, admin.email, admin.password);
    expect(
      (
        await postAlert(stack.url, acme.apiKey, {
          asset_name: 'srv-app-01',
          signature: 'disk_full',
          severity: 'high',
          message: 'disk 97%',
          tool_source: 'Datadog',
        })
      ).status,
    ).toBe(202);
    const id = await firstIncidentId(token, 'Acme Corp', 'disk_full');
    const incident = await eventually(async () => {
      const r = await graphql<{ incident: Record<string, unknown> & { status: string } }>(
        stack.url,
        `query($id: ID!) { incident(id: $id) { ${INCIDENT} } }`,
        { id },
        token,
      );
      return r.data?.incident.status === 'resolved' ? r.data.incident : undefined;
    }, 'the low-risk incident to resolve');
    expect(incident).toMatchObject({
      severity: 'high',
      assetName: 'srv-app-01',
      alertCount: 1,
      priorityScore: 60,
      workflowId: `incident:${acme.companyId}:srv-app-01|disk_full|#1`,
      alerts: [{ message: 'disk 97%', severity: 'high', toolSource: 'Datadog' }],
      decision: { action: 'auto_remediate', runbookName: 'Clean temp files', riskLevel: 'low', source: 'rules' },
      execution: { executor: 'dry_run', dryRun: true, status: 'Success' },
    });
    expect(incident.temporalUrl).toMatch(
      /^http:\/\/localhost:8233\/namespaces\/default\/workflows\/incident%3Acomp-[^/]+%7Cdisk_full%7C%231\/[0-9a-f-]+\/history$/,
    );
    expect((incident.timeline as Array<{ kind: string }>).map((e) => e.kind)).toEqual([
      'created',
      'decided',
      'remediation_started',
      'remediation_finished',
      'resolved',
    ]);
  });

  it('pushes incidentUpdated over graphql-ws, only to users who may see the company', async () => {
    const adminToken = await login(stack.url, admin.email, admin.password);
    const globexToken = await login(stack.url, globexTech.email, globexTech.password);
    const forAdmin = collect<{ incidentUpdated: { id: string; status: string; signature: string } }>(
      wsClient(adminToken),
      'subscription { incidentUpdated { id status signature } }',
    );
    const forGlobex = collect<{ incidentUpdated: { id: string; companyName: string } }>(
      wsClient(globexToken),
      'subscription { incidentUpdated { id companyName } }',
    );
    // A warm-up alert proves the subscriptions are live before the one under test is sent.
    await postAlert(stack.url, globex.apiKey, {
      asset_name: 'warm-up',
      signature: 'cpu_high',
      severity: 'low',
      message: 'warm-up',
      tool_source: 'test',
    });
    await eventually(
      async () => forAdmin.received.some((d) => d.incidentUpdated.signature === 'cpu_high'),
      'the warm-up update',
    );
    await eventually(async () => forGlobex.received.length > 0, 'the warm-up update for Globex');
    await postAlert(stack.url, acme.apiKey, {
      asset_name: 'srv-web-01',
      signature: 'service_down:nginx',
      severity: 'critical',
      message: 'nginx down',
      tool_source: 'Prometheus',
    });
    await eventually(
      async () =>
        forAdmin.received.some(
          (d) =>
            d.incidentUpdated.signature === 'service_down:nginx' && d.incidentUpdated.status === 'awaiting_approval',
        ),
      'a live awaiting_approval update',
    );
    expect(forAdmin.errors).toEqual([]);
    // Globex saw its own warm-up incident, and nothing of Acme's.
    expect(new Set(forGlobex.received.map((d) => d.incidentUpdated.companyName))).toEqual(new Set(['Globex']));
    forAdmin.dispose();
    forGlobex.dispose();
  });

  it('refuses a graphql-ws connection without a valid token', async () => {
    const anon = collect(wsClient('not-a-token'), 'subscription { incidentUpdated { id } }');
    await eventually(async () => anon.errors.length > 0, 'the socket to be refused');
    expect(anon.received).toEqual([]);
  });

  it('keeps another company out entirely: no list, no detail, no approval', async () => {
    const adminToken = await login(stack.url, admin.email, admin.password);
    const id = await firstIncidentId(adminToken, 'Acme Corp', 'service_down:nginx');
    const token = await login(stack.url, globexTech.email, globexTech.password);
    const list = await graphql<{ incidents: Array<{ id: string; companyName: string }> }>(
      stack.url,
      '{ incidents { id companyName } }',
      {},
      token,
    );
    expect(list.data?.incidents.map((i) => i.companyName)).toEqual(['Globex']);
    const one = await graphql<{ incident: unknown }>(
      stack.url,
      'query($id: ID!) { incident(id: $id) { id } }',
      { id },
      token,
    );
    expect(one.data?.incident).toBeNull();
    const approve = await graphql(stack.url, 'mutation($id: ID!) { approveIncident(id: $id) { id } }', { id }, token);
    expect(approve.errors?.[0]).toMatchObject({
      message: `Incident ${id} not found`,
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('lets the technician see but not approve a high-risk runbook, and the MSP admin approve it to resolution', async () => {
    const adminToken = await login(stack.url, admin.email, admin.password);
    const techToken = await login(stack.url, acmeTech.email, acmeTech.password);
    const id = await firstIncidentId(techToken, 'Acme Corp', 'service_down:nginx');
    const seen = await graphql<{ incident: { viewerCanApprove: boolean; status: string } }>(
      stack.url,
      'query($id: ID!) { incident(id: $id) { status viewerCanApprove } }',
      { id },
      techToken,
    );
    expect(seen.data?.incident).toEqual({ status: 'awaiting_approval', viewerCanApprove: false });

    const denied = await graphql(
      stack.url,
      'mutation($id: ID!) { approveIncident(id: $id) { id } }',
      { id },
      techToken,
    );
    expect(denied.errors?.[0]).toMatchObject({
      message: 'A technician may not approve a high-risk runbook',
      extensions: { code: 'FORBIDDEN' },
    });

    const approved = await graphql<{
      approveIncident: { approval: { status: string; decidedBy: string; comment: string } };
    }>(
      stack.url,
      'mutation($id: ID!) { approveIncident(id: $id, comment: "change window open") { approval { status decidedBy comment } } }',
      { id },
      adminToken,
    );
    expect(approved.data?.approveIncident.approval).toEqual({
      status: 'approved',
      // MSP staff are named "Name (MSP)" in incidents, never by address (the fixture names people by id).
      decidedBy: `${admin.id} (MSP)`,
      comment: 'change window open',
    });

    const again = await graphql(stack.url, 'mutation($id: ID!) { rejectIncident(id: $id) { id } }', { id }, adminToken);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // The approval is in the audit log, kept apart from the incident; the refused commands are not.
    const audited = await stack.sql`SELECT action, actor_email, data FROM audit_log WHERE target_id = ${id}`;
    expect(audited.map((a) => [a.action, a.actor_email, a.data.comment])).toEqual([
      ['incident.approved', admin.email, 'change window open'],
    ]);

    const done = await eventually(async () => {
      const r = await graphql<{ incident: { status: string; execution: { output: string } } }>(
        stack.url,
        'query($id: ID!) { incident(id: $id) { status execution { output } } }',
        { id },
        techToken,
      );
      return r.data?.incident.status === 'resolved' ? r.data.incident : undefined;
    }, 'the approved incident to resolve');
    expect(done.execution.output).toContain('$ sudo systemctl restart nginx');
  });
  it('ends a live subscription with UNAUTHENTICATED once the token expires', async () => {
    const shortLived = await startStack({ env: { ACCESS_TOKEN_TTL: '2s' }, startRouter: true });
    try {
      const user = await createUser(shortLived.sql, 'msp_admin', []);
      const company = await createCompany(shortLived.sql);
      const client = createClient({
        url: `${shortLived.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${await login(shortLived.url, user.email, user.password)}` },
        retryAttempts: 0,
      });
      sockets.push(client);
      const feed = collect<{ incidentUpdated: { id: string } }>(client, 'subscription { incidentUpdated { id } }');
      let n = 0;
      // Keep incidents changing until the server ends the stream: the first events arrive, later ones are refused.
      await eventually(
        async () => {
          await postAlert(shortLived.url, company.apiKey, {
            asset_name: `srv-${n++}`,
            signature: 'cpu_high',
            severity: 'low',
            message: 'tick',
            tool_source: 'test',
          });
          return JSON.stringify(feed.errors).includes('Your session has expired; log in again');
        },
        'the subscription to end on expiry',
        15_000,
      );
      expect(feed.received.length).toBeGreaterThan(0);
    } finally {
      await shortLived.stop();
    }
  });
});
