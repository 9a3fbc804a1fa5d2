// Live updates survive a PostgreSQL restart. The API runs on a PostgreSQL of this test's own (the run's shared one
// must stay up for the other files), with the run's Temporal. A subscriber on graphql-ws stays connected while the
// database goes away and comes back; the change whose NOTIFY was lost with the connection reaches it through the
// catch-up read, and later changes through LISTEN again.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/server.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { freePort } from '../../lib/ports.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { insertIncident, touchIncident } from '../helpers/incidents.ts';
import { eventually, login } from '../helpers/stack.ts';

let root = '';
let pgPort = 0;
let db: EmbeddedDatabase;
let sql: Sql;
let connection: Connection;
let api: ApiServer;
let url = '';
let ws: WsClient | undefined;
let wsRevoked: WsClient | undefined;

const startPostgres = () =>
  startEmbeddedPostgres({
    dataDir: path.join(root, 'pg'),
    port: pgPort,
    persistent: true,
    database: 'alert_whisperer_listen',
    log: () => {},
  });

beforeAll(async () => {
  // Under a folder the unprivileged `postgres` user can enter when the tests run as root.
  root = mkdtempSync(path.join(tmpdir(), 'aw-listen-'));
  chmodSync(root, 0o755);
  pgPort = await freePort();
  db = await startPostgres();
  sql = createSql(db.url);
  await migrate(sql);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  const config = {
    ...loadConfig({ REMEDIATION_MODE: 'dry_run' }),
    databaseUrl: db.url,
    jwtSecret: 'test-secret-that-is-long-enough-for-hs256',
    encryptionKey: TEST_ENCRYPTION_KEY,
  };
  api = await createApiServer({ sql, temporal: new Client({ connection }), config });
  url = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await ws?.dispose();
  await wsRevoked?.dispose();
  await api?.close();
  await connection?.close();
  await sql?.end({ timeout: 5 });
  await db?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('LISTEN after a PostgreSQL restart', () => {
  it('delivers the change missed while the database was down, and later changes again', async () => {
    const company = await createCompany(sql, { name: 'Restart Co' });
    const user = await createUser(sql, 'msp_admin', []);
    const token = await login(url, user.email, user.password);
    const live = await insertIncident(sql, company.companyId, 'srv-live');
    const missed = await insertIncident(sql, company.companyId, 'srv-missed');

    const received: string[] = [];
    const errors: unknown[] = [];
    const closes: number[] = [];
    ws = createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      on: { closed: (e) => closes.push((e as { code: number }).code) },
    });
    ws.subscribe<{ incidentUpdated: { id: string } }>(
      { query: 'subscription { incidentUpdated { id } }' },
      {
        next: (v) => (v.data ? received.push(v.data.incidentUpdated.id) : errors.push(v.errors)),
        error: (e) => errors.push(e),
        complete: () => {},
      },
    );
    await eventually(async () => {
      await touchIncident(sql, live);
      return received.includes(live);
    }, 'the subscription to be live');

    // A second subscriber whose session is revoked without its NOTIFY (triggers off), as if that too had been
    // sent while the connection was down: after the re-listen its subscription re-checks and ends (through the
    // re-check every subscriber makes then, or the catch-up's incident event, whichever comes first).
    const other = await createUser(sql, 'msp_admin', []);
    const otherToken = await login(url, other.email, other.password);
    const revokedErrors: Array<{ extensions?: { code?: string } }> = [];
    let otherConnected = false;
    wsRevoked = createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${otherToken}` },
      retryAttempts: 0,
      lazy: false,
      on: { connected: () => (otherConnected = true) },
    });
    wsRevoked.subscribe(
      { query: 'subscription { incidentUpdated { id } }' },
      {
        next: (v) => revokedErrors.push(...((v.errors ?? []) as never[])),
        error: (e) =>
          revokedErrors.push(
            ...(Array.isArray(e)
              ? e
              : [
                  {
                    message:
                      String((e as { code?: number; reason?: string }).code) +
                      ' ' +
                      String((e as { reason?: string }).reason),
                  },
                ]),
          ),
        complete: () => {},
      },
    );
    await eventually(async () => otherConnected, 'the second subscriber to connect');
    await sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`UPDATE sessions SET revoked_at = now() WHERE user_id = ${other.id}`;
    });

    // A change whose NOTIFY never arrives: as if it had been sent while the connection was down.
    await touchIncident(sql, missed, false);
    await new Promise((r) => setTimeout(r, 300));
    expect(received).not.toContain(missed);

    await db.stop();
    db = await startPostgres();

    // postgres.js listens again with a backoff that grows while the database is away; then the catch-up runs.
    await eventually(async () => received.includes(missed), 'the missed change after the restart', 60_000);
    await eventually(
      async () => revokedErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'),
      `the silently revoked session to end its subscription ${JSON.stringify(revokedErrors).slice(0, 300)}`,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const before = received.length;
    await touchIncident(sql, live);
    await eventually(async () => received.length > before && received.at(-1) === live, 'a change through LISTEN');
    expect(errors).toEqual([]);
    expect(closes).toEqual([]);
  });
});
