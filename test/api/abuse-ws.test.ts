// The graphql-ws side of the abuse limits, on the real stack in production mode: message size, a cap on sockets that
// have not authenticated, bad tokens refused at connect, the same GraphQL Armor limits as HTTP, masked errors that
// still let a session expiry through, and one failing subscription that leaves the others on its socket running.
import { once } from 'node:events';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../../api/auth.ts';
import { openSession } from '../../api/sessions.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { insertIncident, touchIncident } from '../helpers/incidents.ts';
import { eventually, login, startStack, type Stack } from '../helpers/stack.ts';

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }>;

let stack: Stack;
let company: TestCompany;
let admin: TestUser;
let adminToken: string;
let wsUrl: string;
const clients: WsClient[] = [];
const raw: WebSocket[] = [];

function wsClient(token: string) {
  const closes: number[] = [];
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    // Connected until disposed: a close seen here came from the server.
    lazy: false,
    on: { closed: (e) => closes.push((e as { code: number }).code) },
  });
  clients.push(client);
  return { client, closes };
}

function collect<T>(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
  const received: T[] = [];
  const errors: Errors[] = [];
  let completed = false;
  client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.data) received.push(v.data as T);
        if (v.errors) errors.push(v.errors as Errors);
      },
      error: (e) => errors.push(e as Errors),
      complete: () => (completed = true),
    },
  );
  return { received, errors, completed: () => completed };
}

const closeCodes = new WeakMap<WebSocket, Promise<number>>();

/** A bare socket speaking graphql-transport-ws, for what a client library would never send. */
async function openRaw(): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  raw.push(socket);
  closeCodes.set(socket, new Promise((resolve) => socket.once('close', (code: number) => resolve(code))));
  await once(socket, 'open');
  return socket;
}

const closeCode = (socket: WebSocket): Promise<number> => closeCodes.get(socket)!;

beforeAll(async () => {
  stack = await startStack({ env: { NODE_ENV: 'production', WS_MAX_UNAUTHENTICATED: '3' }, startRouter: false });
  wsUrl = `${stack.url.replace('http', 'ws')}/graphql`;
  company = await createCompany(stack.sql, { name: 'Socket Co' });
  admin = await createUser(stack.sql, 'msp_admin', []);
  adminToken = await login(stack.url, admin.email, admin.password);
});
afterAll(async () => {
  for (const s of raw) s.terminate();
  await Promise.all(clients.map((c) => c.dispose()));
  if (company) await stack.sql`DELETE FROM incidents WHERE company_id = ${company.companyId}`;
  await stack?.stop();
});

describe('graphql-ws limits', () => {
  it('closes a socket that sends a message over the size limit (1009)', async () => {
    const socket = await openRaw();
    const closed = closeCode(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(70_000) } }));
    expect(await closed).toBe(1009);
  });

  it('refuses sockets past the cap of unauthenticated ones, and takes more once one has authenticated', async () => {
    const waiting = [await openRaw(), await openRaw(), await openRaw()];
    const fourth = await openRaw();
    expect(await closeCode(fourth)).toBe(1013);
    // One of the three signs in: it no longer counts, so there is room for one more.
    const acked = once(waiting[0]!, 'message');
    waiting[0]!.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${adminToken}` } }));
    expect(JSON.parse(String((await acked)[0]))).toEqual({ type: 'connection_ack' });
    const fifth = await openRaw();
    const fifthAcked = once(fifth, 'message');
    fifth.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${adminToken}` } }));
    expect(JSON.parse(String((await fifthAcked)[0]))).toEqual({ type: 'connection_ack' });
    // The two that never sent connection_init are closed by the init timeout (3 s), freeing their places.
    expect(await closeCode(waiting[1]!)).toBe(4408);
    for (const s of [...waiting, fifth]) s.close();
  });

  it('refuses a bad token at connection_init (4403)', async () => {
    const socket = await openRaw();
    const closed = closeCode(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } }));
    expect(await closed).toBe(4403);
  });

  it('applies the GraphQL limits to operations on a socket, answering that operation only', async () => {
    const { client, closes } = wsClient(adminToken);
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: incidentUpdated { id }`).join(' ');
    const refused = collect(client, `subscription { ${aliases} }`);
    await eventually(async () => refused.errors.length > 0, 'the refusal');
    expect(refused.errors[0]?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxAliases' });
    const me = collect<{ me: { id: string } }>(client, '{ me { id } }');
    await eventually(async () => me.received.length > 0, 'a query on the same socket');
    expect(me.received[0]).toEqual({ me: { id: admin.id } });
    expect(closes).toEqual([]);
  });
});

describe('graphql-ws errors in production', () => {
  it('ends one failing subscription with a masked error while the other on the socket keeps delivering', async () => {
    const good = await insertIncident(stack.sql, company.companyId, 'srv-good');
    const bad = await insertIncident(stack.sql, company.companyId, 'srv-bad');
    const { client, closes } = wsClient(adminToken);
    const query = 'subscription($id: ID!) { incidentUpdated(id: $id) { id alertCount } }';
    const a = collect<{ incidentUpdated: { id: string } }>(client, query, { id: good });
    const b = collect<{ incidentUpdated: { id: string } }>(client, query, { id: bad });
    await eventually(async () => {
      await touchIncident(stack.sql, good);
      await touchIncident(stack.sql, bad);
      return a.received.length > 0 && b.received.length > 0;
    }, 'both subscriptions to be live');

    // A row the server cannot read (a timestamp of infinity) makes the next event of `bad` fail inside the server.
    await stack.sql`UPDATE incidents SET resolved_at = 'infinity' WHERE id = ${bad}`;
    await touchIncident(stack.sql, bad);
    await eventually(async () => b.errors.length > 0, 'the failing subscription to end');
    expect(b.errors[0]).toEqual([
      { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true } },
    ]);
    expect(JSON.stringify(b.errors)).not.toMatch(/Invalid time value|RangeError|infinity/);
    // The database is shared with the test files that run next: an MSP admin's incident list must stay readable.
    await stack.sql`DELETE FROM incidents WHERE id = ${bad}`;

    const before = a.received.length;
    await touchIncident(stack.sql, good);
    await eventually(async () => a.received.length > before, 'the other subscription to deliver again');
    expect(a.errors).toEqual([]);
    expect(closes).toEqual([]);
  });

  it('still tells a subscriber their session expired (UNAUTHENTICATED, with its message)', async () => {
    const { sessionId } = await openSession(stack.sql, admin.id, { ip: null, userAgent: 'abuse-ws test' });
    const shortLived = await createTokenService(stack.config.jwtSecret, '2s').sign(admin.id, sessionId);
    const id = await insertIncident(stack.sql, company.companyId, 'srv-expiry');
    const { client } = wsClient(shortLived);
    const feed = collect<{ incidentUpdated: { id: string } }>(
      client,
      'subscription($id: ID!) { incidentUpdated(id: $id) { id } }',
      {
        id,
      },
    );
    await eventually(
      async () => {
        await touchIncident(stack.sql, id);
        return feed.errors.length > 0;
      },
      'the subscription to end on expiry',
      15_000,
    );
    expect(feed.received.length).toBeGreaterThan(0);
    expect(feed.errors[0]).toEqual([
      { message: 'Your session has expired; log in again', extensions: { code: 'UNAUTHENTICATED' } },
    ]);
  });
});
