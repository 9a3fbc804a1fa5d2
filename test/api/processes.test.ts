// Several `npm run api` processes on one database, as in production: idempotency and rate limits hold
// across them, and one killed with SIGKILL under load loses nothing it answered 2xx.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSql, type Sql } from '../../db/sql.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { createCompany, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

interface ApiProcess {
  url: string;
  child: ChildProcess;
}

async function startApi(env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      // Its routers start runs where this file's worker polls.
      TEMPORAL_TASK_QUEUE: stack.config.taskQueue,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`api did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stopApi(p: ApiProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill(signal);
  });
}

let sql: Sql;
let a: ApiProcess;
let b: ApiProcess;
// The worker that runs the incident workflows (the API processes only store and route).
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  sql = createSql(inject('databaseUrl'));
  [a, b] = await Promise.all([startApi({ WEBHOOK_RATE_PER_MINUTE: '0' }), startApi({ WEBHOOK_RATE_PER_MINUTE: '0' })]);
});
afterAll(async () => {
  await Promise.all([a && stopApi(a), b && stopApi(b)]);
  await sql?.end();
  await stack?.stop();
});

const alert = {
  asset_name: 'srv-p',
  signature: 'proc_check',
  severity: 'high',
  message: 'm',
  tool_source: 'Prometheus',
};

describe('several API processes', () => {
  it('stores 100 identical deliveries sent in parallel to two processes once', async () => {
    const company = await createCompany(sql);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postAlert(i % 2 ? a.url : b.url, company.apiKey, alert, { 'x-delivery-id': 'same-delivery' }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    const ids = new Set(
      await Promise.all(answers.map(async (r) => ((await r.json()) as { alert_id: string }).alert_id)),
    );
    expect(ids.size).toBe(1);
    const [row] = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM alerts WHERE company_id = ${company.companyId}`;
    expect(row!.n).toBe(1);
  });

  it("holds a company's rate limit across processes", async () => {
    const company = await createCompany(sql, { settings: { groupWaitSeconds: 0, webhookRatePerMinute: 10 } });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      statuses.push((await postAlert(i % 2 ? a.url : b.url, company.apiKey, { ...alert, message: `m${i}` })).status);
    }
    // The bucket starts full (10) and refills one token every 6 s.
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThanOrEqual(11);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - accepted);
  });

  it('loses nothing it answered 2xx when a process is killed with SIGKILL under load', async () => {
    const company = await createCompany(sql);
    const victim = await startApi({ WEBHOOK_RATE_PER_MINUTE: '0' });
    const acknowledged: string[] = [];
    let n = 0;
    let stop = false;
    const sender = async (): Promise<void> => {
      while (!stop) {
        const id = `kill-${n++}`;
        try {
          const res = await postAlert(
            victim.url,
            company.apiKey,
            { ...alert, asset_name: `srv-${n % 10}`, message: id },
            { 'x-delivery-id': id },
          );
          if (res.status === 202 || res.status === 200) acknowledged.push(id);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await new Promise((r) => setTimeout(r, 1500));
    victim.child.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThan(50);
    const stored = await sql<{ delivery_id: string }[]>`
      SELECT delivery_id FROM alerts WHERE company_id = ${company.companyId} AND delivery_id = ANY(${acknowledged})`;
    expect(stored.length).toBe(acknowledged.length);
    // The surviving processes route everything, including what the dead one had claimed (its lease runs out).
    let left: readonly unknown[] = [];
    await eventually(
      async () => {
        left = await sql`
        SELECT id, routed_at, route_error, route_attempts, route_next_at FROM alerts
        WHERE company_id = ${company.companyId} AND incident_id IS NULL LIMIT 3`;
        return left.length === 0;
      },
      'every stored alert to join its incident',
      40_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; still unlinked: ${JSON.stringify(left)}`);
    });
    const incidents = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM incidents WHERE company_id = ${company.companyId}`;
    expect(incidents[0]!.n).toBe(10);
  });

  it('routes 50 concurrent alerts of one key through two processes into one incident, one recurrence', async () => {
    const company = await createCompany(sql);
    // The key's previous group went quiet 20 minutes ago: the next alert opens a recurrence. Both processes route
    // at once, and without one decision per company each would open its own recurrence.
    const [quiet] = await sql<{ id: string }[]>`
      INSERT INTO correlation_groups (id, company_id, correlation_key, seq, workflow_id, asset_name, signature,
        host_fault, rule, first_at, last_at, alert_count, opened_at)
      VALUES (gen_random_uuid()::text, ${company.companyId}, 'srv-r|proc_check', 1,
        ${`incident:${company.companyId}:quiet`}, 'srv-r', 'proc_check', false, 'opened',
        now() - interval '25 minutes', now() - interval '20 minutes', 3, now() - interval '25 minutes')
      RETURNING id`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        postAlert(i % 2 ? a.url : b.url, company.apiKey, { ...alert, asset_name: 'srv-r', message: `m${i}` }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(202));
    const linked = await eventually(async () => {
      const rows = await sql<{ incident_id: string | null; route_error: string | null }[]>`
        SELECT incident_id, route_error FROM alerts WHERE company_id = ${company.companyId}`;
      return rows.length === 50 && rows.every((r) => r.incident_id) ? rows : undefined;
    }, 'all 50 alerts to join an incident');
    expect(new Set(linked.map((r) => r.incident_id)).size).toBe(1);
    const incidents = await sql<{ alert_count: number; workflow_id: string }[]>`
      SELECT alert_count, workflow_id FROM incidents WHERE company_id = ${company.companyId}`;
    expect(incidents).toEqual([{ alert_count: 50, workflow_id: `incident:${company.companyId}:srv-r|proc_check|#2` }]);
    const groups = await sql<{ seq: number; rule: string; recurrence_of: string | null; alert_count: number }[]>`
      SELECT seq, rule, recurrence_of, alert_count FROM correlation_groups
      WHERE company_id = ${company.companyId} ORDER BY seq`;
    expect(groups).toEqual([
      { seq: 1, rule: 'opened', recurrence_of: null, alert_count: 3 },
      { seq: 2, rule: 'recurrence', recurrence_of: quiet!.id, alert_count: 50 },
    ]);
  });
});
