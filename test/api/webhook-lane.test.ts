// Webhook deliveries take their own lane past the express router (api/webhook-lane.ts): what a tool and its operator
// see must not change. The same headers as any other answer, the same paths (any case, a trailing slash), the same
// 404 and 405, and a failure answered by the app's error handler.
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { createSql } from '../../db/sql.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let apiKey: string;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  apiKey = (await createCompany(stack.sql, { name: 'Lane Co', runbooks: [] })).apiKey;
});
afterAll(async () => {
  await stack?.stop();
});

const alert = (n: number) =>
  JSON.stringify({
    asset_name: 'lane-01',
    signature: 'cpu_high',
    severity: 'low',
    message: `cpu ${n}`,
    tool_source: 'Prometheus',
  });
const post = (path: string, body = alert(1), base = stack.url) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** The headers the app sets on every answer (security-headers.ts), as a sorted list of name: value. */
const securityHeaders = (res: Response) =>
  [...res.headers]
    .filter(([name]) =>
      /^(content-security-policy|x-|referrer-policy|cross-origin|origin-agent|strict-transport)/.test(name),
    )
    .filter(([name]) => name !== 'x-request-id')
    .map(([name, value]) => `${name}: ${value}`)
    .sort();

describe('the webhook lane', () => {
  it('answers a delivery with the headers every answer gets, its request id and no ETag', async () => {
    const delivered = await post(`/api/webhooks/alerts?api_key=${encodeURIComponent(apiKey)}`, alert(2));
    expect(delivered.status).toBe(202);
    const other = await fetch(`${stack.url}/healthz`);
    expect(securityHeaders(delivered).length).toBeGreaterThan(4);
    expect(securityHeaders(delivered)).toEqual(securityHeaders(other));
    expect(delivered.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivered.headers.get('etag')).toBeNull();
  });

  it('finds a receiver in any case and with a trailing slash, and answers 404 and 405 as before', async () => {
    const key = `?api_key=${encodeURIComponent(apiKey)}`;
    expect((await post(`/API/Webhooks/Alerts/${key}`, alert(3))).status).toBe(202);
    const unknown = await post(`/api/webhooks/nagios${key}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    const get = await fetch(`${stack.url}/api/webhooks/alerts${key}`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error: 'method_not_allowed' });
    // Without a key: the receiver's own 401.
    const anonymous = await post('/api/webhooks/alertmanager');
    expect(anonymous.status).toBe(401);
  });

  it("hands a failure to the app's error handler: storage away is a 503 with Retry-After", async () => {
    const sql = createSql(inject('databaseUrl'));
    let api: ApiServer | null = null;
    try {
      api = await createApiServer({ sql, temporal: stack.temporal, config: stack.config });
      const base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
      await sql.end({ timeout: 5 });
      // An unknown key is looked up in PostgreSQL, which this API can no longer reach.
      const res = await post('/api/webhooks/alerts?api_key=aw_not_a_key', alert(4), base);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(await res.json()).toMatchObject({ error: 'unavailable' });
    } finally {
      await api?.close().catch(() => undefined);
    }
  });
});
