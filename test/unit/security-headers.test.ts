// The security headers by configuration: HSTS and upgrade-insecure-requests only behind https, and GraphiQL's own
// exceptions (its script by hash, inline styles, blob: workers) only on GET /graphql, only where GraphiQL is served at
// all. No policy names another origin.
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixed, securityHeaders } from '../../api/security-headers.ts';

const servers: Array<{ close(): void }> = [];

const SCRIPT_HASH = "'sha256-R2l2ZVRoZVBhZ2VJdHNPd25TY3JpcHRIYXNoSGVyZUFBQUE='";

async function serve(options: { publicUrl: string; graphiql: false | { scriptHash: string } }): Promise<string> {
  return serveWith(securityHeaders({ ...options, graphqlEndpoint: '/graphql' }));
}

async function serveWith(headers: RequestHandler): Promise<string> {
  const app = express();
  app.use(headers);
  app.all(/.*/, (_req, res) => res.send('ok'));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let https = '';
let dev = '';

beforeAll(async () => {
  https = await serve({ publicUrl: 'https://aw.example.com', graphiql: false });
  dev = await serve({ publicUrl: 'http://localhost:3000', graphiql: { scriptHash: SCRIPT_HASH } });
});
afterAll(() => servers.forEach((s) => s.close()));

const csp = async (url: string, method = 'GET') =>
  (await fetch(url, { method })).headers.get('content-security-policy') ?? '';

/** Every source a policy names that is a scheme + host, i.e. another origin (ws: of our own host aside). */
const outsideOrigins = (policy: string, ownHost: string) =>
  policy
    .split(/[;\s]+/)
    .filter((source) => /^[a-z][a-z0-9+.-]*:\/\//i.test(source) && new URL(source).host !== ownHost);

describe('security headers', () => {
  it('pins TLS and upgrades requests when PUBLIC_URL is https', async () => {
    const res = await fetch(`${https}/`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("connect-src 'self' wss://aw.example.com");
    expect(policy).toContain('upgrade-insecure-requests');
    // Without GraphiQL, /graphql is as strict as the rest.
    expect(await csp(`${https}/graphql`)).toBe(policy);
  });

  it("lets GraphiQL's own inlined page run on GET /graphql only, naming no other origin", async () => {
    const page = await csp(`${dev}/graphql`);
    // Its one inline script by hash, never any inline script or eval; workers from blob: URLs only.
    expect(page).toContain(`script-src 'self' ${SCRIPT_HASH};`);
    expect(page).not.toContain("'unsafe-eval'");
    expect(page).toContain('worker-src blob:');
    expect(page).toContain("style-src 'self' 'unsafe-inline'");
    expect(page).toContain("frame-ancestors 'none'");
    expect(page).not.toMatch(/unpkg|https:\/\//);
    expect(outsideOrigins(page, 'localhost:3000')).toEqual([]);
    for (const strict of [await csp(`${dev}/`), await csp(`${dev}/graphql`, 'POST'), await csp(`${dev}/graphqlx`)]) {
      expect(strict).toContain("script-src 'self';");
      expect(strict).not.toContain('unsafe');
      expect(strict).not.toContain('sha256-');
      expect(strict).not.toContain('blob:');
      expect(outsideOrigins(strict, 'localhost:3000')).toEqual([]);
    }
    expect((await fetch(`${dev}/`)).headers.get('strict-transport-security')).toBeNull();
  });

  it("sets helmet's own headers, worked out once instead of per request", async () => {
    const options = {
      strictTransportSecurity: { maxAge: 600 },
      contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'self'"] } },
    };
    const headersOf = async (url: string) =>
      [...(await fetch(url)).headers.entries()].filter(([name]) => !['date', 'etag'].includes(name));
    const once = await headersOf(await serveWith(fixed(helmet(options))));
    expect(once).toEqual(await headersOf(await serveWith(helmet(options))));
    expect(once.map(([name]) => name)).toEqual(
      expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-content-type-options']),
    );
    expect(once.map(([name]) => name)).not.toContain('x-powered-by');
  });
});
