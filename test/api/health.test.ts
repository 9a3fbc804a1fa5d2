// /healthz (the process answers) and /readyz (it can work: PostgreSQL and Temporal reachable, else which is not).
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadiness } from '../../api/health.ts';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

describe('readiness checks', () => {
  it('names every check that failed or took too long', async () => {
    const r = await checkReadiness(
      {
        database: async () => {},
        temporal: () => Promise.reject(new Error('connection refused')),
        slow: () => new Promise(() => {}),
      },
      50,
    );
    expect(r).toEqual({ ready: false, checks: { database: 'ok', temporal: 'unreachable', slow: 'unreachable' } });
    expect(await checkReadiness({ database: async () => {} })).toEqual({ ready: true, checks: { database: 'ok' } });
  });
});

describe('/healthz and /readyz (real API)', () => {
  let stack: Stack;
  let cut: ApiServer | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await cut?.close();
    await stack?.stop();
  });

  it('is live and ready on the running stack', async () => {
    const live = await fetch(`${stack.url}/healthz`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  });

  it('stays live but says "temporal unreachable" when Temporal cannot be reached', async () => {
    // Nothing listens on port 1: the lazy connection fails on first use, as a stopped Temporal would.
    const nowhere = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    cut = await createApiServer({ sql: stack.sql, temporal: nowhere, config: stack.config });
    const url = `http://127.0.0.1:${await cut.listen(0, '127.0.0.1')}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not_ready',
      checks: { database: 'ok', temporal: 'unreachable' },
      message: 'temporal unreachable',
    });
  });
});
