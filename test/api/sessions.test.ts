// Sessions per OWASP ASVS V3 on the real stack: short access tokens, a rotating HttpOnly refresh cookie with
// reuse detection, logout, logout everywhere, the session list, idle timeout, and live subscriptions that end
// the moment their session does.
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
const sockets: WsClient[] = [];

interface SignedIn {
  accessToken: string;
  cookie: string;
}

function refreshCookieOf(res: Response): string | null {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('aw_refresh='));
  return set ? set.split(';')[0]! : null;
}

async function signIn(user: TestUser, userAgent = 'vitest'): Promise<SignedIn & { setCookie: string }> {
  const res = await fetch(`${stack.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({
      query: 'mutation($e:String!,$p:String!){ login(email:$e,password:$p){ accessToken } }',
      variables: { e: user.email, p: user.password },
    }),
  });
  const body = (await res.json()) as { data: { login: { accessToken: string } } };
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('aw_refresh='))!;
  return { accessToken: body.data.login.accessToken, cookie: refreshCookieOf(res)!, setCookie };
}

async function refresh(cookie: string, headers: Record<string, string> = { 'x-requested-with': 'fetch' }) {
  const res = await fetch(`${stack.url}/auth/refresh`, { method: 'POST', headers: { cookie, ...headers } });
  const body = (await res.json()) as { accessToken?: string; message?: string };
  return { status: res.status, body, cookie: refreshCookieOf(res) };
}

const me = async (token: string) =>
  (await graphql<{ me: { id: string } | null }>(stack.url, '{ me { id } }', {}, token)).data?.me;

function subscribe(token: string, query = 'subscription { incidentUpdated { id } }') {
  const client = createClient({
    url: `${stack.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  sockets.push(client);
  const errors: Array<{ extensions?: { code?: string }; message: string }> = [];
  let completed = false;
  client.subscribe(
    { query },
    {
      next: (v) => {
        if (v.errors) errors.push(...(v.errors as never[]));
      },
      error: (e) => errors.push(...(Array.isArray(e) ? e : [{ message: String(e) }])),
      complete: () => (completed = true),
    },
  );
  return { errors, done: () => completed || errors.length > 0 };
}

beforeAll(async () => {
  stack = await startStack({ env: { SESSION_IDLE_MINUTES: '5' } });
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  await stack?.stop();
});

describe('refresh cookie', () => {
  it('is HttpOnly, SameSite=Strict and scoped to /auth; access tokens last 15 minutes', async () => {
    const user = await createUser(stack.sql, 'msp_admin', []);
    const s = await signIn(user);
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\/auth/i);
    const payload = JSON.parse(Buffer.from(s.accessToken.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
      iat: number;
      sid: string;
    };
    expect(payload.exp - payload.iat).toBe(15 * 60);
    expect(payload.sid).toMatch(/^sess-/);
  });

  it('rotates on every use; a reused token ends the whole session, refresh and access alike', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    const s = await signIn(user);
    const r1 = await refresh(s.cookie);
    expect(r1.status).toBe(200);
    expect(r1.cookie).not.toBe(s.cookie);
    expect(await me(r1.body.accessToken!)).toEqual({ id: user.id });
    const r2 = await refresh(r1.cookie!);
    expect(r2.status).toBe(200);

    // r1's token was used by r2; inside the leeway a second use is two tabs refreshing at once.
    const concurrent = await refresh(r1.cookie!);
    expect(concurrent.status).toBe(200);
    expect(concurrent.cookie).toBeNull();

    // Past the leeway the same reuse is theft: the session (every token rotated from this login) ends.
    await stack.sql`UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL
      AND session_id = (SELECT id FROM sessions WHERE user_id = ${user.id})`;
    const stolen = await refresh(r1.cookie!);
    expect(stolen.status).toBe(401);
    expect(stolen.body.message).toMatch(/used twice/);
    expect((await refresh(r2.cookie!)).status).toBe(401);
    expect(await me(r2.body.accessToken!)).toBeNull();
    const [entry] =
      await stack.sql`SELECT action FROM audit_log WHERE actor_id = ${user.id} AND action LIKE 'session.%'`;
    expect(entry!.action).toBe('session.reuse_detected');
  });

  it('is refused without the X-Requested-With header a cross-site form cannot send', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    const s = await signIn(user);
    expect((await refresh(s.cookie, {})).status).toBe(403);
    expect((await refresh(s.cookie)).status).toBe(200);
  });

  it('ends after the idle timeout', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    const s = await signIn(user);
    expect(await me(s.accessToken)).toEqual({ id: user.id });
    await stack.sql`UPDATE sessions SET last_seen_at = now() - interval '6 minutes' WHERE user_id = ${user.id}`;
    expect(await me(s.accessToken)).toBeNull();
    expect((await refresh(s.cookie)).status).toBe(401);
  });
});

describe('logout and the session list', () => {
  it('lists sessions with device and address, revokes one, and logout ends the current one', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    const laptop = await signIn(user, 'Laptop Firefox');
    const phone = await signIn(user, 'Phone Safari');
    const list = await graphql<{ mySessions: Array<{ id: string; userAgent: string; ip: string; current: boolean }> }>(
      stack.url,
      '{ mySessions { id userAgent ip current } }',
      {},
      laptop.accessToken,
    );
    const sessions = list.data!.mySessions;
    expect(sessions.map((x) => x.userAgent).sort()).toEqual(['Laptop Firefox', 'Phone Safari']);
    expect(sessions.find((x) => x.current)!.userAgent).toBe('Laptop Firefox');
    expect(sessions[0]!.ip).toMatch(/127\.0\.0\.1/);
    const phoneId = sessions.find((x) => !x.current)!.id;
    await graphql(stack.url, 'mutation($id:ID!){ revokeSession(id:$id) }', { id: phoneId }, laptop.accessToken);
    expect(await me(phone.accessToken)).toBeNull();
    expect((await refresh(phone.cookie)).status).toBe(401);
    // Another user's session id is not yours to revoke.
    const other = await createUser(stack.sql, 'technician', []);
    const theirs = await signIn(other);
    const [theirSession] = await stack.sql`SELECT id FROM sessions WHERE user_id = ${other.id}`;
    const refused = await graphql(
      stack.url,
      'mutation($id:ID!){ revokeSession(id:$id) }',
      { id: theirSession!.id },
      laptop.accessToken,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await me(theirs.accessToken)).toEqual({ id: other.id });

    const out = await fetch(`${stack.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: laptop.cookie, 'x-requested-with': 'fetch' },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/aw_refresh=;/);
    expect(await me(laptop.accessToken)).toBeNull();
  });

  it('logout everywhere ends live subscriptions at once, with UNAUTHENTICATED', async () => {
    const company = await createCompany(stack.sql);
    const user = await createUser(stack.sql, 'technician', [company.companyId]);
    const desk = await signIn(user);
    const wall = await signIn(user);
    const feedDesk = subscribe(desk.accessToken);
    const feedWall = subscribe(wall.accessToken);
    await new Promise((r) => setTimeout(r, 300));
    expect(feedDesk.done() || feedWall.done()).toBe(false);
    const n = await graphql<{ logoutAll: number }>(stack.url, 'mutation { logoutAll }', {}, desk.accessToken);
    expect(n.data!.logoutAll).toBe(2);
    // No incident event is needed: the revocation itself reaches the subscriptions.
    await eventually(async () => feedDesk.done() && feedWall.done(), 'both subscriptions to end', 5000);
    expect(feedWall.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await refresh(wall.cookie)).status).toBe(401);
  });

  it('a socket closing as its session is revoked ends quietly, the bell and the incident feed alike', async () => {
    const user = await createUser(stack.sql, 'technician', []);
    const bell = 'subscription { notificationAdded { id } }';
    // The bell and the incident feed each end with UNAUTHENTICATED when the session goes.
    const s = await signIn(user);
    const feeds = [subscribe(s.accessToken, bell), subscribe(s.accessToken)];
    await new Promise((r) => setTimeout(r, 300));
    await graphql(stack.url, 'mutation { logout }', {}, s.accessToken);
    await eventually(async () => feeds.every((f) => f.done()), 'both feeds to end', 5000);
    expect(feeds.map((f) => f.errors[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    // A client that closes its socket at the moment its session is revoked (the user logs out in another tab)
    // leaves no error behind: an unhandled rejection would fail this file.
    for (const delay of [0, 1, 3, 6, 10, 20]) {
      const next = await signIn(user);
      const client = createClient({
        url: `${stack.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${next.accessToken}` },
        retryAttempts: 0,
      });
      const sink = { next: () => {}, error: () => {}, complete: () => {} };
      client.subscribe({ query: bell }, sink);
      client.subscribe({ query: 'subscription { incidentUpdated { id } }' }, sink);
      await new Promise((r) => setTimeout(r, 150));
      await Promise.all([
        graphql(stack.url, 'mutation { logoutAll }', {}, next.accessToken),
        new Promise((r) => setTimeout(r, delay)).then(() => client.dispose()),
      ]);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await me((await signIn(user)).accessToken)).toEqual({ id: user.id });
  });

  it('disabling a user ends their sessions and subscriptions; changing a password ends the other sessions', async () => {
    const company = await createCompany(stack.sql);
    const admin = await createUser(stack.sql, 'msp_admin', []);
    const adminSession = await signIn(admin);
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const techSession = await signIn(tech);
    const feed = subscribe(techSession.accessToken);
    await new Promise((r) => setTimeout(r, 300));
    await graphql(
      stack.url,
      'mutation($id:ID!){ disablePerson(id:$id) { disabledAt } }',
      { id: tech.id },
      adminSession.accessToken,
    );
    await eventually(async () => feed.done(), 'the subscription to end', 5000);
    expect(await me(techSession.accessToken)).toBeNull();
    const again = await graphql(
      stack.url,
      'mutation($e:String!,$p:String!){ login(email:$e,password:$p){ accessToken } }',
      {
        e: tech.email,
        p: tech.password,
      },
    );
    expect(again.errors?.[0]?.message).toBe('Invalid email or password');

    const other = await signIn(admin);
    const wrong = await graphql(
      stack.url,
      'mutation { changePassword(currentPassword:"nope", newPassword:"a long new password") }',
      {},
      adminSession.accessToken,
    );
    expect(wrong.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'currentPassword' }],
    });
    const changed = await graphql(
      stack.url,
      'mutation($c:String!){ changePassword(currentPassword:$c, newPassword:"a long new password") }',
      { c: admin.password },
      adminSession.accessToken,
    );
    expect(changed.errors).toBeUndefined();
    expect(await me(adminSession.accessToken)).toEqual({ id: admin.id });
    expect(await me(other.accessToken)).toBeNull();
  });
});
