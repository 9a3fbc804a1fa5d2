// An incident's first workflow task that times out after its save linked the opening alerts (a loaded or hung worker;
// the cluster test's storm saw three): the retried task, on another worker, runs from the same history, looks the
// alerts up again and must count them as this incident's own, not as redeliveries of an earlier incident's. A real
// worker process hangs right after that save (test/helpers/hung-worker.ts) and is killed; a second worker takes the
// task over. The incident counts every alert, and its row says the same.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { aggregationKey, incidentWorkflowId } from '../../domain/correlation.ts';
import { alertsReceived } from '../../workflows/messages.ts';
import type { AlertSignal } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';
import { stateWhen } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let stack: Stack;
let hung: ChildProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  hung?.kill('SIGKILL');
  await stack?.stop();
});

/** Starts the hanging worker on `taskQueue`; resolves with it once it polls, and `saved` once it has hung. */
async function hangingWorker(taskQueue: string): Promise<{ child: ChildProcess; saved: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/hung-worker.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const line = (want: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => out.split('\n').includes(want) && resolve();
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        look();
      });
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => reject(new Error(`the hung worker exited with ${code} before "${want}": ${out}`)));
      look();
    });
  const saved = line('saved');
  await line('ready');
  return { child, saved };
}

async function storedAlert(companyId: string, asset: string, signature: string, n: number): Promise<AlertSignal> {
  const id = randomUUID();
  const receivedAt = new Date().toISOString();
  await stack.sql`
    INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
                        tool_source, status, received_at, routed_at)
    VALUES (${id}, ${companyId}, ${id}, ${asset}, ${signature}, ${aggregationKey(asset, signature)}, 'high',
            ${`lag ${n}`}, 'Zabbix', 'firing', ${receivedAt}, now())`;
  return { alertId: id, severity: 'high', message: `lag ${n}`, toolSource: 'Zabbix', receivedAt };
}

describe("an incident's first workflow task timing out after its save", () => {
  it('counts the alerts that task linked as its own when another worker runs it again', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const taskQueue = `opening-retry-${randomUUID()}`;
    const [asset, signature] = ['db-9', 'replication_lag'];
    const opening = [
      await storedAlert(company.companyId, asset, signature, 1),
      await storedAlert(company.companyId, asset, signature, 2),
    ];
    const worker = await hangingWorker(taskQueue);
    hung = worker.child;
    // As the router starts an incident, with a short workflow task timeout so the retry comes soon.
    const key = aggregationKey(asset, signature);
    const handle = await stack.temporal.workflow.signalWithStart('incidentWorkflow', {
      workflowId: incidentWorkflowId(company.companyId, key),
      taskQueue,
      workflowTaskTimeout: '2 seconds',
      args: [{ companyId: company.companyId, assetName: asset, signature, aggregationKey: key }],
      signal: alertsReceived,
      signalArgs: [{ alerts: opening, repeatIds: [] }],
    });
    await worker.saved;
    worker.child.kill('SIGKILL');
    // The first save linked the opening alerts to the incident it stored.
    const [first] = await stack.sql<{ id: string; alertCount: number }[]>`
      SELECT id, alert_count AS "alertCount" FROM incidents WHERE workflow_id = ${handle.workflowId}`;
    expect(first).toMatchObject({ alertCount: 2 });
    // A third alert arrives before another worker runs the task again.
    const third = await storedAlert(company.companyId, asset, signature, 3);
    await handle.signal(alertsReceived, { alerts: [third], repeatIds: [] });

    const { startWorker } = await import('../../worker/create-worker.ts');
    const { workflowBundle } = await import('../helpers/stack.ts');
    const second = await startWorker({
      address: inject('temporalAddress'),
      sql: stack.sql,
      config: stack.config,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    try {
      const state = await stateWhen(
        handle,
        (s) => s.alertCount === 3 && s.decision !== null,
        'the incident to count 3',
      );
      expect(state.incidentId).toBe(first!.id);
      const row = await eventually(async () => {
        const [r] = await stack.sql<{ alertCount: number; linked: number }[]>`
          SELECT alert_count AS "alertCount", (SELECT count(*)::int FROM alerts WHERE incident_id = i.id) AS linked
          FROM incidents i WHERE id = ${first!.id}`;
        return r && r.alertCount === 3 && r.linked === 3 ? r : undefined;
      }, 'the row to count and link 3');
      expect(row).toEqual({ alertCount: 3, linked: 3 });
      // Decided once: the retried task's decision is the same record, not a second one beside it.
      const decisions = await stack.sql<{ provider: string }[]>`
        SELECT provider FROM decisions WHERE incident_id = ${first!.id}`;
      expect(decisions).toEqual([{ provider: 'rules' }]);
      await handle.terminate('test done');
    } finally {
      await second.stop();
    }
  });
});
