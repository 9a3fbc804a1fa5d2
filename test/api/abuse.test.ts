// API abuse limits over HTTP, on the real stack in production mode: GraphQL Armor refuses abusive documents before
// anything runs, list variables and bodies are capped, errors are masked, field suggestions are hidden, failed logins
// are throttled per (account, address) and per address, and the security headers hold.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { insertIncident } from '../helpers/incidents.ts';
import { login, startStack, type Stack } from '../helpers/stack.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

let stack: Stack;
let company: TestCompany;
let adminToken: string;

// With TRUST_PROXY=loopback the API believes X-Forwarded-For from this test: each "address" is a different client.
async function post(
  query: string,
  variables: Record<string, unknown> = {},
  opts: { token?: string; from?: string; body?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${stack.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.from ? { 'x-forwarded-for': opts.from } : {}),
    },
    body: opts.body ?? JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
const loginFrom = (email: string, password: string, from: string) => post(LOGIN, { e: email, p: password }, { from });
const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions?.code;

/** The one refusal a limit gives: its code and limit, and no data at all. */
function expectRefused(a: Answer, limit: string): void {
  expect(a.body.data ?? null).toBeNull();
  expect(a.body.errors).toHaveLength(1);
  expect(a.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
}

beforeAll(async () => {
  stack = await startStack({ env: { NODE_ENV: 'production', TRUST_PROXY: 'loopback' }, startRouter: false });
  company = await createCompany(stack.sql, { name: 'Abuse Co' });
  const admin = await createUser(stack.sql, 'msp_admin', []);
  adminToken = await login(stack.url, admin.email, admin.password);
});
afterAll(async () => {
  if (company) await stack.sql`DELETE FROM incidents WHERE company_id = ${company.companyId}`;
  await stack?.stop();
});

describe('GraphQL limits', () => {
  it('refuses a document with hundreds of aliases before it is even parsed whole', async () => {
    const fields = Array.from({ length: 300 }, (_, i) => `a${i}: me { id }`).join(' ');
    expectRefused(await post(`{ ${fields} }`, {}, { token: adminToken }), 'maxTokens');
  });

  it('refuses 16 aliased logins without running one (no audit entry, no throttle charged)', async () => {
    const email = `alias-probe-${randomUUID()}@example.test`;
    const fields = Array.from({ length: 16 }, (_, i) => `a${i}: login(email: $e, password: "x") { accessToken }`);
    const refused = await post(`mutation($e: String!) { ${fields.join(' ')} }`, { e: email });
    expectRefused(refused, 'maxAliases');
    expect(refused.body.errors?.[0]?.message).toBe('Syntax Error: Aliases limit of 15 exceeded, found 16.');
    const [row] = await stack.sql<
      [{ n: number }]
    >`SELECT count(*)::int AS n FROM audit_log WHERE actor_email = ${email}`;
    expect(row.n).toBe(0);
    // Ten failures from one address lock an account there; had the 16 run, this would be RATE_LIMITED.
    expect(codeOf(await post(LOGIN, { e: email, p: 'x' }))).toBe('UNAUTHENTICATED');
  });

  it('refuses nesting deeper than 10', async () => {
    const deep = `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(9)}name${' }'.repeat(9)} } } } }`;
    expectRefused(await post(deep), 'maxDepth');
    const shallow = `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(5)}name${' }'.repeat(5)} } } } }`;
    expect((await post(shallow)).body.errors).toBeUndefined();
  });

  it('refuses too many directives, and too costly a document while the dashboard-sized one passes', async () => {
    const directives = Array.from({ length: 21 }, () => '__typename @include(if: true)').join(' ');
    expectRefused(await post(`{ ${directives} }`), 'maxDirectives');
    // What the dashboard asks for one incident, once, and then fifteen times over through aliases.
    const detail = `fragment D on Incident { id status alerts { id message severity toolSource receivedAt }
      timeline { seq kind message actor createdAt } decision { action runbookName riskLevel reasoning }
      approval { status decidedBy comment } execution { status output commands } }`;
    expect((await post(`{ incidents { ...D } } ${detail}`, {}, { token: adminToken })).body.errors).toBeUndefined();
    const wide = Array.from({ length: 15 }, (_, i) => `i${i}: incidents { ...D }`).join(' ');
    expectRefused(await post(`{ ${wide} } ${detail}`, {}, { token: adminToken }), 'costLimit');
  });

  it('caps lists passed as variables, and request bodies', async () => {
    const ids = Array.from({ length: 1_001 }, (_, i) => `alert-${i}`);
    const listed = await post(
      'mutation($c: ID!, $ids: [ID!]) { retryDeadLetteredAlerts(companyId: $c, alertIds: $ids) }',
      { c: company.companyId, ids },
      { token: adminToken },
    );
    expectRefused(listed, 'maxListItems');
    const big = await post(
      '',
      {},
      { body: JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(300_000) } }) },
    );
    expect(big.status).toBe(413);
    expect(codeOf(big)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('hides field suggestions and masks unexpected errors in production', async () => {
    const typo = await post('{ incidentz { id } }', {}, { token: adminToken });
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "incidentz" on type "Query". [Suggestion hidden]');
    // A row the server cannot read (a timestamp of infinity) fails inside the resolver; the caller learns nothing of it.
    const id = await insertIncident(stack.sql, company.companyId, 'srv-unreadable');
    await stack.sql`UPDATE incidents SET resolved_at = 'infinity' WHERE id = ${id}`;
    const broken = await post('query($id: ID!) { incident(id: $id) { id } }', { id }, { token: adminToken });
    // The database is shared with the test files that run next: an MSP admin's incident list must stay readable.
    await stack.sql`DELETE FROM incidents WHERE id = ${id}`;
    expect(broken.body.errors?.[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(broken.body)).not.toMatch(/Invalid time value|RangeError|infinity|stack/i);
  });
});

describe('login throttle over HTTP', () => {
  const STRANGER = '203.0.113.9';
  const OWN = '198.51.100.7';

  it('slows a stranger guessing one account and leaves its user free to sign in from their own address', async () => {
    const victim = await createUser(stack.sql, 'technician', [company.companyId]);
    for (let i = 0; i < 10; i++)
      expect(codeOf(await loginFrom(victim.email, 'guess', STRANGER))).toBe('UNAUTHENTICATED');
    const locked = await loginFrom(victim.email, 'guess', STRANGER);
    expect(codeOf(locked)).toBe('RATE_LIMITED');
    expect(locked.body.errors?.[0]?.message).toMatch(/^Too many login attempts for this email from your address/);
    // Even the right password does not help the stranger's address…
    expect(codeOf(await loginFrom(victim.email, victim.password, STRANGER))).toBe('RATE_LIMITED');
    // …while the user, from their own address, is in.
    const own = await loginFrom(victim.email, victim.password, OWN);
    expect((own.body.data?.login as { accessToken?: string } | undefined)?.accessToken).toBeTruthy();
  });

  it('slows one address spraying many accounts, and not its neighbour', async () => {
    const sprayer = '203.0.113.50';
    const started = Date.now();
    let failures = 0;
    let refused: Answer | undefined;
    // A hundred at once, then one more every 3 s: the hundred take a few seconds of bcrypt, which earn a few back.
    while (!refused && failures < 120) {
      const answer = await loginFrom(`spray-${failures}@example.test`, 'Winter2025!', sprayer);
      if (codeOf(answer) === 'RATE_LIMITED') refused = answer;
      else expect(codeOf(answer)).toBe('UNAUTHENTICATED');
      if (!refused) failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(100);
    expect(failures).toBeLessThanOrEqual(100 + Math.ceil((Date.now() - started) / 3_000));
    expect(refused!.body.errors?.[0]?.message).toMatch(
      /^Too many login attempts from your address; try again in [1-3] s/,
    );
    expect(codeOf(await loginFrom('spray-100@example.test', 'Winter2025!', '203.0.113.51'))).toBe('UNAUTHENTICATED');
  });
});

describe('security headers', () => {
  it('serves the dashboard and the API with a strict CSP, no framing and no HSTS over http', async () => {
    for (const url of [`${stack.url}/`, `${stack.url}/healthz`]) {
      const res = await fetch(url);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/connect-src 'self' ws:\/\/localhost:3000/);
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });
});
