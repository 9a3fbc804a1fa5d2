// Live updates that scale (issue 15 item 4), on the real stack: a change is read once for every subscriber of the
// API process, whoever watches (statements counted on a second API server over the same database), each subscriber
// gets only what its companies may see, an event about an incident with 5,000 alerts is its small header, and a
// subscription that selects what would be read per subscriber is refused with the query to use instead.
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { countingSql } from '../helpers/counting-sql.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { insertIncident, touchIncident } from '../helpers/incidents.ts';
import { eventually, login, startStack, type Stack } from '../helpers/stack.ts';

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }>;

let stack: Stack;
let acme: TestCompany;
let globex: TestCompany;
let counted: { url: string; api: ApiServer; statements: string[] };
const clients: WsClient[] = [];

/** A graphql-ws client whose every received message is also measured (bytes of the frame as sent). */
function wsClient(token: string, frames?: number[]): WsClient {
  const client = createClient({
    url: `${counted.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: { message: (m) => frames?.push(Buffer.byteLength(JSON.stringify(m))) },
  });
  clients.push(client);
  return client;
}

function collect<T>(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
  const received: T[] = [];
  const errors: Errors[] = [];
  client.subscribe<T>(
    { query, variables },
    {
      next: (v) => (v.data ? received.push(v.data) : errors.push(v.errors as Errors)),
      error: (e) => errors.push(Array.isArray(e) ? (e as Errors) : [{ message: String(e) }]),
      complete: () => {},
    },
  );
  return { received, errors };
}

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  acme = await createCompany(stack.sql, { name: 'Live Acme' });
  globex = await createCompany(stack.sql, { name: 'Live Globex' });
  const statements: string[] = [];
  const api = await createApiServer({
    sql: countingSql(stack.sql, statements),
    temporal: stack.temporal,
    config: stack.config,
  });
  counted = { url: `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`, api, statements };
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await counted?.api.close();
  for (const c of [acme, globex]) if (c) await stack.sql`DELETE FROM incidents WHERE company_id = ${c.companyId}`;
  await stack?.stop();
});

const LIST = 'subscription { incidentUpdated { id companyName status alertCount updatedAt } }';

/** Statements the counted API made while `act` ran and its events arrived. */
async function statementsDuring(act: () => Promise<void>, arrived: () => boolean): Promise<string[]> {
  counted.statements.length = 0;
  await act();
  await eventually(async () => arrived(), 'every subscriber to get every change');
  return [...counted.statements];
}

describe('live incident updates', () => {
  it('reads a change once however many subscribe, and each subscriber sees only its companies', async () => {
    const acmeIncidents = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => insertIncident(stack.sql, acme.companyId, `a${n}`)),
    );
    const globexIncident = await insertIncident(stack.sql, globex.companyId, 'g1');
    const watchers: Array<{ token: string; company: TestCompany | null }> = [];
    const msp = await createUser(stack.sql, 'msp_admin', []);
    watchers.push({ token: await login(counted.url, msp.email, msp.password), company: null });
    for (const company of [acme, globex]) {
      for (const role of ['company_admin', 'technician'] as const) {
        const user = await createUser(stack.sql, role, [company.companyId]);
        watchers.push({ token: await login(counted.url, user.email, user.password), company });
      }
    }

    // One subscriber first: the reads one change costs.
    const first = collect<{ incidentUpdated: { id: string } }>(wsClient(watchers[0]!.token), LIST);
    await eventually(async () => {
      await touchIncident(stack.sql, acmeIncidents[0]!);
      return first.received.length > 0;
    }, 'the first subscription to be live');
    const seenBy = (feed: { received: Array<{ incidentUpdated: { id: string } }> }, id: string) =>
      feed.received.filter((d) => d.incidentUpdated.id === id).length;
    const baseline = seenBy(first, acmeIncidents[1]!);
    const alone = await statementsDuring(
      () => touchIncident(stack.sql, acmeIncidents[1]!),
      () => seenBy(first, acmeIncidents[1]!) > baseline,
    );

    // Then 40 subscribers: 8 sockets for each of the five users (the MSP admin's first one included).
    const feeds = [{ ...first, company: null as TestCompany | null }];
    for (const [i, w] of watchers.entries()) {
      for (let s = i === 0 ? 1 : 0; s < 8; s++) {
        feeds.push({ ...collect<{ incidentUpdated: { id: string } }>(wsClient(w.token), LIST), company: w.company });
      }
    }
    expect(feeds).toHaveLength(40);
    await eventually(async () => {
      await touchIncident(stack.sql, acmeIncidents[0]!);
      await touchIncident(stack.sql, globexIncident);
      return feeds.every((f) => f.received.length > 0);
    }, 'all 40 subscriptions to be live');

    const marks = new Map(feeds.map((f) => [f, f.received.length]));
    const changes = [...acmeIncidents, globexIncident];
    const many = await statementsDuring(
      async () => {
        for (const id of changes) await touchIncident(stack.sql, id);
      },
      () =>
        feeds.every((f) => {
          const fresh = f.received.slice(marks.get(f)).map((d) => d.incidentUpdated.id);
          const expected = f.company === acme ? acmeIncidents : f.company === globex ? [globexIncident] : changes;
          return expected.every((id) => fresh.includes(id));
        }),
    );
    // Six changes to forty subscribers: at most one read a change (the feed batches them), no session or user read
    // per event, where reading per subscriber made 40 × 6 × 3.
    const reads = (statements: string[]) => statements.filter((s) => s.includes('= ANY('));
    // (+2: the touches of the liveness loops just before may still be on their way.)
    expect(reads(alone).length).toBeLessThanOrEqual(1 + 2);
    expect(reads(many).length).toBeLessThanOrEqual(changes.length + 2);
    // Every statement is the feed's read (its text is two tagged templates: the select and its WHERE).
    expect(many.length, many.join('\n')).toBe(2 * reads(many).length);
    expect(many.filter((s) => /\bsessions\b|\busers\b/.test(s))).toEqual([]);

    // Scope in memory: a company's people never get the other company's incident.
    for (const f of feeds) {
      const ids = new Set(f.received.map((d) => d.incidentUpdated.id));
      if (f.company === acme) expect(ids.has(globexIncident)).toBe(false);
      if (f.company === globex) expect(acmeIncidents.some((id) => ids.has(id))).toBe(false);
    }
  });

  it('sends the header of an incident with 5,000 alerts in a small event', async () => {
    const id = await insertIncident(stack.sql, acme.companyId, 'storm-host');
    await stack.sql`
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
        tool_source, incident_id, received_at, routed_at)
      SELECT ${id} || '-' || n, ${acme.companyId}, gen_random_uuid(), 'storm-host', 'cpu_high', 'storm-host|cpu_high',
        'high', repeat('cpu at 99% on storm-host ', 8), 'Prometheus', ${id}, now() - n * interval '1 second', now()
      FROM generate_series(1, 5000) AS n`;
    await stack.sql`UPDATE incidents SET alert_count = 5000 WHERE id = ${id}`;
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const frames: number[] = [];
    const client = wsClient(await login(counted.url, msp.email, msp.password), frames);
    // What the dashboard's detail page subscribes to: the header, with decision, approval and execution.
    const detail = collect<{ incidentUpdated: { alertCount: number } }>(
      client,
      `subscription($id: ID!) { incidentUpdated(id: $id) { id status severity assetName signature alertCount
        priorityScore toolSources slaStatus slaDeadline updatedAt assignee { email } acknowledgedBy
        decision { action reasoning } approval { status } execution { status } viewerCanApprove } }`,
      { id },
    );
    await eventually(async () => {
      await touchIncident(stack.sql, id);
      return detail.received.length > 0;
    }, 'the event about the storm incident');
    expect(detail.received[0]!.incidentUpdated.alertCount).toBeGreaterThan(5000);
    const event = frames.at(-1)!;
    expect(event).toBeLessThan(2_048);
  });

  it('answers each role its own viewer fields from the one execution it shares with its role', async () => {
    const id = await insertIncident(stack.sql, acme.companyId, 'approval-host');
    const approval = {
      status: 'pending',
      riskLevel: 'high',
      requestedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      decidedBy: null,
      decidedAt: null,
      comment: null,
    };
    await stack.sql`
      UPDATE incidents SET status = 'awaiting_approval', approval = ${stack.sql.json(approval)} WHERE id = ${id}`;
    const query = 'subscription($id: ID!) { incidentUpdated(id: $id) { id alertCount viewerCanApprove } }';
    type Seen = { incidentUpdated: { viewerCanApprove: boolean; alertCount: number } };
    const feeds: Array<{ role: string; feed: ReturnType<typeof collect<Seen>> }> = [];
    // Two of each role on the same document and variables: a high risk is the MSP admins' alone to approve.
    for (const role of ['msp_admin', 'company_admin', 'technician'] as const) {
      const user = await createUser(stack.sql, role, role === 'msp_admin' ? [] : [acme.companyId]);
      const token = await login(counted.url, user.email, user.password);
      for (let i = 0; i < 2; i++) feeds.push({ role, feed: collect<Seen>(wsClient(token), query, { id }) });
    }
    await eventually(async () => {
      await touchIncident(stack.sql, id);
      return feeds.every((f) => f.feed.received.length > 0);
    }, 'every subscriber to hear of the incident');
    const last = await stack.sql<
      { alertCount: number }[]
    >`SELECT alert_count AS "alertCount" FROM incidents WHERE id = ${id}`;
    await eventually(
      async () => feeds.every((f) => f.feed.received.at(-1)!.incidentUpdated.alertCount === last[0]!.alertCount),
      'the last change to reach everyone',
    );
    for (const { role, feed } of feeds) {
      expect(feed.errors).toEqual([]);
      expect(feed.received.at(-1)!.incidentUpdated.viewerCanApprove, role).toBe(role === 'msp_admin');
    }
  });

  it('refuses a subscription to per-subscriber reads, naming the field and the query to use', async () => {
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const client = wsClient(await login(counted.url, msp.email, msp.password));
    for (const [field, selection] of [
      ['Incident.timeline', 'timeline { message }'],
      ['Incident.alertsConnection', 'alertsConnection { edges { node { id } } }'],
      ['Incident.correlation', 'correlation { rule }'],
    ] as const) {
      counted.statements.length = 0;
      const sub = collect(client, `subscription { incidentUpdated { id ${selection} } }`);
      await eventually(async () => sub.errors.length > 0, `the refusal of ${field}`);
      expect(sub.errors[0]![0]!.extensions).toMatchObject({ code: 'FIELD_NOT_LIVE', field });
      expect(sub.errors[0]![0]!.message).toMatch(/is not sent live: .* read it with `incident \{/);
    }
    // Through a fragment too.
    const viaFragment = collect(
      client,
      'subscription { incidentUpdated { ...F } } fragment F on Incident { id timelineConnection { edges { cursor } } }',
    );
    await eventually(async () => viaFragment.errors.length > 0, 'the refusal through a fragment');
    expect(viaFragment.errors[0]![0]!.extensions).toMatchObject({ field: 'Incident.timelineConnection' });
  });
});
