// The security headers by configuration: HSTS and upgrade-insecure-requests only behind https, and GraphiQL's looser
// policy only on GET /graphql, only where GraphiQL is served at all.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaders } from '../../api/security-headers.ts';

const servers: Array<{ close(): void }> = [];

async function serve(options: { publicUrl: string; graphiql: boolean }): Promise<string> {
  const app = express();
  app.use(securityHeaders({ ...options, graphqlEndpoint: '/graphql' }));
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
  dev = await serve({ publicUrl: 'http://localhost:3000', graphiql: true });
});
afterAll(() => servers.forEach((s) => s.close()));

const csp = async (url: string, method = 'GET') =>
  (await fetch(url, { method })).headers.get('content-security-policy') ?? '';

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

  it('loosens the policy for GraphiQL on GET /graphql only', async () => {
    const page = await csp(`${dev}/graphql`);
    expect(page).toContain("script-src 'self' 'unsafe-inline' 'unsafe-eval' https://unpkg.com blob:");
    expect(page).toContain("frame-ancestors 'none'");
    for (const strict of [await csp(`${dev}/`), await csp(`${dev}/graphql`, 'POST'), await csp(`${dev}/graphqlx`)]) {
      expect(strict).toContain("script-src 'self';");
      expect(strict).not.toContain('unsafe');
    }
    expect((await fetch(`${dev}/`)).headers.get('strict-transport-security')).toBeNull();
  });
});
