// A router whose process hangs mid-pass keeps its connections open, so PostgreSQL would keep its partition locks for
// ever and its companies' alerts would wait for nobody. Its lock session has a lease instead (routing/partitions.ts,
// ROUTER_LEASE_SECONDS): after that long without a word, PostgreSQL ends the session, the next router takes the
// partition, counts the hung pass as one unfinished attempt, and routes the alerts, each counted once.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LEASE_SECONDS = 2;

let stack: Stack;
let hung: ChildProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  hung?.kill('SIGKILL');
  await stack?.stop();
});

/** Starts test/helpers/hung-router.ts on the company; resolves once it hangs holding the company's partition. */
async function hangARouter(companyId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/hung-router.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: stack.config.taskQueue,
      COMPANY_ID: companyId,
      LEASE_SECONDS: String(LEASE_SECONDS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').includes('hung')) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`the hung router exited with ${code} before it hung: ${out}`)));
  });
  return child;
}

describe('a router whose process hangs mid-pass', () => {
  it('lets go of its partition after its lease, and the next router routes the alerts once', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'db-7',
      signature: 'replication_lag',
      severity: 'high',
      message: 'lag 40 s',
      tool_source: 'Zabbix',
    });
    expect(res.status).toBe(202);
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };

    hung = await hangARouter(company.companyId);
    const next = new AlertRouter({
      ...stack.routerOptions,
      companyIds: [company.companyId],
      leaseSeconds: LEASE_SECONDS,
    });

    try {
      await next.start();
      const routed = await eventually(async () => {
        const [r] = await stack.sql<{ routed: boolean; attempts: number; alertCount: number | null }[]>`
          SELECT a.routed_at IS NOT NULL AS routed, a.route_attempts AS attempts, i.alert_count AS "alertCount"
          FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
        return r?.routed && r.alertCount ? r : undefined;
      }, 'the alert routed by the next router');
      // Counted once in its incident. The one attempt on record is the hung pass, found unfinished by the next router
      // once it could take the partition: the hung router held it until then.
      expect(routed).toEqual({ routed: true, attempts: 1, alertCount: 1 });
    } finally {
      await next.stop();
    }
  });
});
