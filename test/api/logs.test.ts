// The API's log lines are JSON, each about a request carries its id (the caller's X-Request-Id or a new one, answered
// in the same header), and no secret reaches them: not the API key in the query string, not the Authorization header.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { createLogger, temporalLogger } from '../../lib/log.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let api: ApiServer;
let url: string;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  api = await createApiServer({
    sql: stack.sql,
    temporal: stack.temporal,
    config: stack.config,
    log: createLogger({ level: 'debug', destination }),
  });
  url = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
});
afterAll(async () => {
  await api?.close();
  await stack?.stop();
});

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('structured logs', () => {
  it('writes a JSON line per request with its id, and no API key or Authorization value', async () => {
    const company = await createCompany(stack.sql, { name: 'Log Co', runbooks: [] });
    const res = await fetch(`${url}/api/webhooks/alerts?api_key=${encodeURIComponent(company.apiKey)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-test-0001',
        authorization: 'Bearer very-secret-token',
      },
      body: JSON.stringify({
        asset_name: 'log-01',
        signature: 'cpu_high',
        severity: 'low',
        message: 'cpu',
        tool_source: 'Prometheus',
      }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('req-test-0001');
    const line = await eventually(
      async () => parsed().find((l) => (l.req as { id?: string } | undefined)?.id === 'req-test-0001'),
      'the request line',
    );
    expect(line).toMatchObject({
      service: 'alert-whisperer',
      req: { method: 'POST', url: '/api/webhooks/alerts', headers: { authorization: '[redacted]' } },
      res: { statusCode: 202 },
    });
    const all = lines.join('\n');
    expect(all).not.toContain(company.apiKey);
    expect(all).not.toContain('very-secret-token');
  });

  it('gives a request without a usable id a new one', async () => {
    const res = await fetch(`${url}/api/nothing-here`, { headers: { 'x-request-id': 'not a token; <script>' } });
    expect(res.status).toBe(404);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(() => parsed().some((l) => (l.req as { id?: string } | undefined)?.id === id && l.level === 30), {
        timeout: 10_000,
      })
      .toBe(true);
  });
});

describe('worker log lines', () => {
  it("carry the SDK's workflow and activity ids as JSON fields", async () => {
    const captured: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        captured.push(chunk.toString());
        done();
      },
    });
    const logger = temporalLogger(createLogger({ level: 'info', destination }));
    logger.warn('No decision could be made', { workflowId: 'incident:c1:k', runId: 'r1', [Symbol('x')]: 1 });
    logger.log('DEBUG', 'below the level');
    expect(captured.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'No decision could be made',
        workflowId: 'incident:c1:k',
        runId: 'r1',
      }),
    ]);
  });
});
