// GraphQL cost with list sizes, on the real stack: the fifteen-alias storm is refused before any resolver reads a
// row (SQL counted on a second API server over the same database), a `limit: $n` variable counts, the timeline takes
// a limit and keeps its order, and live subscriptions are capped per socket and per user over graphql-ws, each
// with its own error, a slot coming back when a subscription or its socket ends.
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { countingSql } from '../helpers/counting-sql.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { insertIncident, touchIncident } from '../helpers/incidents.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }>;

let stack: Stack;
let company: TestCompany;
let adminToken: string;
let incidentId: string;
let counted: { url: string; api: ApiServer; statements: string[] };
const clients: WsClient[] = [];

/** Statements that read the incident tables (the session lookup of every request reads none of them). */
const incidentReads = (statements: string[]) =>
  statements.filter((s) => /\b(incidents|alerts|incident_events|correlation_groups)\b/.test(s));

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  company = await createCompany(stack.sql, { name: 'Cost Co' });
  const admin = await createUser(stack.sql, 'msp_admin', []);
  adminToken = await login(stack.url, admin.email, admin.password);
  incidentId = await insertIncident(stack.sql, company.companyId, 'srv-cost');
  for (let seq = 1; seq <= 30; seq++) {
    await stack.sql`
      INSERT INTO incident_events (incident_id, seq, kind, message, created_at)
      VALUES (${incidentId}, ${seq}, 'note', ${`event ${seq}`}, now() + ${`${seq} seconds`}::interval)`;
  }
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
  if (company) await stack.sql`DELETE FROM incidents WHERE company_id = ${company.companyId}`;
  await stack?.stop();
});

const STORM = `{ ${Array.from(
  { length: 15 },
  (_, i) => `a${i}: incidents(limit: 500) { alerts(limit: 500) { message } timeline { message } }`,
).join(' ')} }`;

describe('GraphQL cost over HTTP', () => {
  it('refuses the fifteen-alias storm before any resolver reads a row', async () => {
    // The counter sees the incident reads of a small request…
    counted.statements.length = 0;
    const small = await graphql(counted.url, '{ incidents(limit: 1) { id alerts(limit: 1) { id } } }', {}, adminToken);
    expect(small.errors).toBeUndefined();
    expect(incidentReads(counted.statements).length).toBeGreaterThan(0);

    // …and none of the storm's: one error, no data.
    counted.statements.length = 0;
    const storm = await graphql(counted.url, STORM, {}, adminToken);
    expect(storm.data ?? null).toBeNull();
    expect(storm.errors).toHaveLength(1);
    expect(storm.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'costLimit',
      cost: 15 * 500 * (1 + 500 + 200),
      maxCost: 50_000,
    });
    expect(storm.errors![0]!.message).toMatch(/about 5,257,500 rows .* the ceiling is 50,000/);
    expect(incidentReads(counted.statements)).toEqual([]);
  });

  it('counts a limit passed as a variable', async () => {
    const query = 'query($n: Int!) { incidents(limit: $n) { id alerts(limit: $n) { id } } }';
    const big = await graphql(stack.url, query, { n: 500 }, adminToken);
    expect(big.data ?? null).toBeNull();
    expect(big.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 500 * 501 });
    const fine = await graphql<{ incidents: unknown[] }>(stack.url, query, { n: 20 }, adminToken);
    expect(fine.errors).toBeUndefined();
    expect(fine.data?.incidents.length).toBeGreaterThan(0);
  });

  it('gives the latest events of the timeline, oldest first, up to its limit', async () => {
    const timeline = async (args: string) => {
      const r = await graphql<{ incident: { timeline: Array<{ seq: number }> } }>(
        stack.url,
        `query($id: ID!) { incident(id: $id) { timeline${args} { seq } } }`,
        { id: incidentId },
        adminToken,
      );
      expect(r.errors).toBeUndefined();
      return r.data!.incident.timeline.map((e) => e.seq);
    };
    expect(await timeline('')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await timeline('(limit: 5)')).toEqual([26, 27, 28, 29, 30]);
    expect(await timeline('(limit: 0)')).toEqual([30]);
  });
});

describe('subscription caps over graphql-ws', () => {
  const wsUrl = () => `${stack.url.replace('http', 'ws')}/graphql`;

  function socket(token: string): WsClient {
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
    });
    clients.push(client);
    return client;
  }

  /** `count` subscriptions to incidentId's updates on `client`, with what each received and a way to end it. */
  function follow(client: WsClient, count: number) {
    return Array.from({ length: count }, () => {
      const seen = { events: 0, errors: [] as Errors[], stop: () => {} };
      seen.stop = client.subscribe(
        { query: 'subscription($id: ID!) { incidentUpdated(id: $id) { id } }', variables: { id: incidentId } },
        {
          next: (v) => (v.errors ? seen.errors.push(v.errors as Errors) : (seen.events += 1)),
          error: (e) => seen.errors.push(e as Errors),
          complete: () => {},
        },
      );
      return seen;
    });
  }

  /** Waits until every subscription in `subs` has either an event or an error (touching the incident meanwhile). */
  async function settled(subs: Array<{ events: number; errors: Errors[] }>) {
    await eventually(async () => {
      await touchIncident(stack.sql, incidentId);
      return subs.every((s) => s.events > 0 || s.errors.length > 0);
    }, 'every subscription to be live or refused');
    return {
      live: subs.filter((s) => s.events > 0 && s.errors.length === 0).length,
      refused: subs.flatMap((s) => s.errors.flat()),
    };
  }

  async function person() {
    const user = await createUser(stack.sql, 'technician', [company.companyId]);
    return login(stack.url, user.email, user.password);
  }

  it('refuses the 21st live subscription on one socket, and takes one again when another ends', async () => {
    const token = await person();
    const client = socket(token);
    const subs = follow(client, 21);
    const first = await settled(subs);
    expect(first.live).toBe(20);
    expect(first.refused).toEqual([
      {
        message:
          'This connection already has 20 live subscriptions, the most one may hold; end one before starting another',
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: 'maxSubscriptionsPerSocket' },
      },
    ]);
    // The same user on another socket is not held back by this one's cap…
    expect((await settled(follow(socket(token), 1))).live).toBe(1);
    // …and this one takes a subscription again once one of its own ends.
    subs.find((s) => s.events > 0)!.stop();
    await eventually(async () => (await settled(follow(client, 1))).live === 1, 'a slot freed by the ended one');
  });

  it('caps a user across sockets, not another user, and a closed socket frees its slots', async () => {
    const token = await person();
    const a = socket(token);
    expect((await settled(follow(a, 20))).live).toBe(20);
    expect((await settled(follow(socket(token), 20))).live).toBe(20);
    const c = socket(token);
    const third = await settled(follow(c, 11));
    expect(third.live).toBe(10);
    expect(third.refused).toEqual([
      {
        message:
          'You already have 50 live subscriptions across your connections, the most one user may hold; ' +
          'close a tab or end one before starting another',
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: 'maxSubscriptionsPerUser' },
      },
    ]);
    expect((await settled(follow(socket(await person()), 1))).live).toBe(1);

    // Closing socket a gives its twenty back: the user may subscribe again on c.
    await a.dispose();
    await eventually(async () => (await settled(follow(c, 1))).live === 1, 'a slot freed by the closed socket');
  });

  it('applies the cost ceiling to operations on a socket too', async () => {
    const client = socket(adminToken);
    const result = await new Promise<{ errors?: Errors }>((resolve, reject) =>
      client.subscribe({ query: STORM }, { next: (v) => resolve(v as never), error: reject, complete: () => {} }),
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'costLimit' });
  });
});
