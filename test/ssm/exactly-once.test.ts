// SSM that never runs twice: the claim is committed before AWS is called, so a worker SIGKILLed right after
// SendCommand reached SSM, or a database session killed mid-call, leaves a claim the retry finds; the retry looks
// the command up before any new send. Through the real AWS SDK to moto, behind a proxy that counts SendCommand.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadRunbooks } from '../../activities/decision.ts';
import { createActivities } from '../../activities/index.ts';
import { createSsmActivities } from '../../activities/ssm.ts';
import { TRUNCATED_MARK } from '../../activities/ssm-aws.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import type { Runbook } from '../../domain/types.ts';
import { approveIncident } from '../../workflows/messages.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { actor, alert, sendAlert, stateWhen } from '../workflows/helpers.ts';
import { startSsmProxy, type SsmProxy } from './ssm-proxy.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
/** Runs an activity as Temporal would, keeping its result type (MockActivityEnvironment.run does not infer it). */
function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment({}, { logger: silent }).run<A, R, typeof fn>(fn, ...args);
}
const instanceId = (): string => `i-${randomBytes(8).toString('hex')}`;

let moto: Moto;
let proxy: SsmProxy;
let sql: Sql;
let ssm: SSMClient;

const commandsFor = async (instance: string) =>
  (await ssm.send(new ListCommandsCommand({ InstanceId: instance }))).Commands ?? [];
const sendsTo = (instance: string): number => proxy.sends.filter((ids) => ids.includes(instance)).length;

/** A pool whose sessions carry their own application_name, so a test can kill exactly them. */
function namedSql(name: string): Sql {
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('application_name', name);
  return createSql(url.toString(), { max: 4 });
}

/** Kills every PostgreSQL session of the activities' pool while SendCommand is in flight. */
async function killSessions(name: string): Promise<number> {
  // Two statements: in one, PostgreSQL may evaluate pg_terminate_backend before the name filter.
  const pids = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${name}`;
  for (const { pid } of pids) await sql`SELECT pg_terminate_backend(${pid})`;
  return pids.length;
}

async function incidentRow(companyId: string, assetName: string): Promise<string> {
  const id = `inc-${randomUUID()}`;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity, status,
                           priority_score, alert_count, sla_response_deadline, sla_resolution_deadline, version, created_at)
    VALUES (${id}, ${companyId}, ${`wf-${id}`}, ${randomUUID()}, ${`${assetName}|disk_full`}, ${assetName}, 'disk_full',
            'high', 'remediating', 50, 1, now() + interval '1 hour', now() + interval '4 hours', 1, now())`;
  return id;
}

async function diskFull(companyId: string): Promise<Runbook> {
  const rb = (await loadRunbooks(sql, companyId)).find((r) => r.signature === 'disk_full');
  if (!rb) throw new Error('no disk_full runbook');
  return rb;
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startSsmProxy(moto.url);
  sql = createSql(inject('databaseUrl'), { max: 6 });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: moto.url });
});

afterAll(async () => {
  ssm?.destroy();
  await sql?.end({ timeout: 5 });
  await proxy?.close();
  await moto?.stop();
});

describe('sendSsmCommand, one attempt', () => {
  const poolName = `aw-ssm-activity-${randomUUID().slice(0, 8)}`;
  let activitySql: Sql;
  beforeAll(() => {
    activitySql = namedSql(poolName);
  });
  afterAll(async () => {
    await activitySql?.end({ timeout: 5 });
  });
  const activities = () =>
    createSsmActivities({
      sql: activitySql,
      mode: 'ssm',
      credentialsConfigured: true,
      region: 'us-east-1',
      pollIntervalMs: 50,
      endpoint: proxy.url,
      // A try finding another's mark waits a second for it, not 15: what follows the wait is the same.
      sendOverlapWaitMs: 1_000,
    });

  it('commits the claim before SSM is called: a session killed mid-call leaves it, and the retry finds the command', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-kill-01', instanceId: instance }] });
    const incidentId = await incidentRow(company.companyId, 'srv-kill-01');
    const input = { companyId: company.companyId, incidentId, attempt: 1, assetName: 'srv-kill-01' };
    const runbook = await diskFull(company.companyId);
    const { sendSsmCommand } = activities();

    const held = proxy.holdNextSend();
    const first = run(sendSsmCommand, { ...input, runbook }).then(
      () => null,
      (e: unknown) => e,
    );
    await held.reached;
    // SSM has the command; the claim is already committed and marked Sending.
    const [claim] = await sql<{ status: string; marked: boolean }[]>`
      SELECT status, send_started_at IS NOT NULL AS marked FROM executions WHERE incident_id = ${incidentId}`;
    expect(claim).toEqual({ status: 'Sending', marked: true });
    expect(await killSessions(poolName)).toBeGreaterThan(0);
    held.release();
    // The try either failed to record the command id (its session was gone) or recorded it on a fresh session.
    await first;

    const ref = await run(sendSsmCommand, { ...input, runbook });
    const listed = await commandsFor(instance);
    expect(listed.map((c) => c.CommandId)).toEqual([ref.commandId]);
    expect(sendsTo(instance)).toBe(1);
    const [row] = await sql`SELECT command_id, status FROM executions WHERE incident_id = ${incidentId}`;
    expect(row).toEqual({ command_id: ref.commandId, status: 'InProgress' });
  });

  it('does not send while an earlier try may still be in flight; once it no longer can, sends exactly once', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-flight-01', instanceId: instance }] });
    const incidentId = await incidentRow(company.companyId, 'srv-flight-01');
    const runbook = await diskFull(company.companyId);
    // An earlier try marked the claim Sending a moment ago and vanished; its SendCommand may still land.
    await sql`
      INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands,
                              status, company_id, asset_name, runbook_id, send_started_at, deadline_at)
      VALUES (${incidentId}, 1, 'ssm', '', 'AWS-RunShellScript', ${[instance]}, ${runbook.actions}, 'Sending',
              ${company.companyId}, 'srv-flight-01', ${runbook.id}, now(), now() + interval '1 hour')`;
    const input = { companyId: company.companyId, incidentId, attempt: 1, assetName: 'srv-flight-01', runbook };
    const { sendSsmCommand } = activities();

    const err = await run(sendSsmCommand, input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('SsmSendInFlight');
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(Number((err as ApplicationFailure).nextRetryDelay)).toBeGreaterThan(30_000);
    expect(sendsTo(instance)).toBe(0);

    // Past the SDK's budget with nothing at SSM: the earlier try cannot have sent, so this one does, once.
    await sql`UPDATE executions SET send_started_at = now() - interval '5 minutes' WHERE incident_id = ${incidentId}`;
    const ref = await run(sendSsmCommand, input);
    const again = await run(sendSsmCommand, input);
    expect(again.commandId).toBe(ref.commandId);
    expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([ref.commandId]);
    expect(sendsTo(instance)).toBe(1);
  });

  it('passes the execution timeout to SSM and says when SSM truncated the output', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-out-01', instanceId: instance }] });
    const incidentId = await incidentRow(company.companyId, 'srv-out-01');
    const runbook = { ...(await diskFull(company.companyId)), timeoutSeconds: 120 };
    const { sendSsmCommand, waitForSsmCommand } = activities();
    const ref = await run(sendSsmCommand, {
      companyId: company.companyId,
      incidentId,
      attempt: 1,
      assetName: 'srv-out-01',
      runbook,
    });
    const [sent] = await commandsFor(instance);
    expect(sent?.Parameters).toMatchObject({ executionTimeout: ['120'], commands: runbook.actions });

    proxy.outputs.set(instance, 'x'.repeat(24_000));
    const result = await run(waitForSsmCommand, { companyId: company.companyId, incidentId, ref });
    expect(result.output.endsWith(`\n${TRUNCATED_MARK}`)).toBe(true);
    expect(result.instances).toEqual([
      expect.objectContaining({ instanceId: instance, status: 'Success', truncated: true }),
    ]);
    const [row] = await sql<{ invocations: Array<{ truncated: boolean }> }[]>`
      SELECT invocations FROM executions WHERE incident_id = ${incidentId}`;
    expect(row?.invocations[0]?.truncated).toBe(true);
  });
});

describe('the whole incident', () => {
  let stack: Stack;
  let activitySql: Sql;
  const poolName = `aw-ssm-worker-${randomUUID().slice(0, 8)}`;
  const liveEnv = () => ({ REMEDIATION_MODE: 'ssm', SSM_POLL_INTERVAL_MS: '200', SSM_ENDPOINT: proxy.url });

  beforeAll(async () => {
    activitySql = namedSql(poolName);
    stack = await startStack({
      env: liveEnv(),
      startRouter: false,
      activities: createActivities({ sql: activitySql, config: loadConfig(liveEnv()) }),
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await activitySql?.end({ timeout: 5 });
  });

  it('completes with one command when the database session dies while SendCommand is in flight', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-pg-01', instanceId: instance }] });
    const held = proxy.holdNextSend();
    const handle = await sendAlert(
      stack.temporal,
      company.companyId,
      'srv-pg-01',
      'disk_full',
      alert('high'),
      stack.config.taskQueue,
    );
    await held.reached;
    // Every session of the worker's activities dies while SendCommand is in flight (the claim is already committed).
    expect(await killSessions(poolName)).toBeGreaterThan(0);
    held.release();
    const done = (await handle.result()) as IncidentState;
    expect(done).toMatchObject({ status: 'resolved', autoRemediated: true, execution: { status: 'Success' } });
    expect(sendsTo(instance)).toBe(1);
    expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([done.execution?.commandId]);
  });

  it('a live run a person approved resolves, but is not counted as self-healed', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-appr-01', instanceId: instance }] });
    const handle = await sendAlert(
      stack.temporal,
      company.companyId,
      'srv-appr-01',
      'service_down:nginx',
      alert('high'),
      stack.config.taskQueue,
    );
    const pending = await stateWhen(handle, (s) => s.status === 'awaiting_approval', 'the approval request');
    await handle.executeUpdate(approveIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('msp_admin', [], 'boss@msp.test') }],
    });
    const done = (await handle.result()) as IncidentState;
    expect(done).toMatchObject({ status: 'resolved', autoRemediated: false, execution: { executor: 'ssm' } });
    expect(sendsTo(instance)).toBe(1);
  });

  it('completes with one command when the worker is SIGKILLed right after SendCommand reached SSM', async () => {
    const taskQueue = `aw-kill-${randomUUID()}`;
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'srv-sigkill-01', instanceId: instance }] });
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const temporal = new Client({ connection });
    const workers: ChildProcess[] = [];
    try {
      workers.push(await startWorkerProcess(taskQueue));
      const held = proxy.holdNextSend();
      const handle = await sendAlert(temporal, company.companyId, 'srv-sigkill-01', 'disk_full', alert(), taskQueue);
      await held.reached;
      await killProcess(workers[0]!, 'SIGKILL');
      held.release();
      // A new worker takes over: Temporal retries the send once the dead one stops heartbeating.
      workers.push(await startWorkerProcess(taskQueue));
      const done = (await handle.result()) as IncidentState;
      expect(done).toMatchObject({ status: 'resolved', autoRemediated: true, execution: { status: 'Success' } });
      expect(sendsTo(instance)).toBe(1);
      expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([done.execution?.commandId]);
    } finally {
      for (const w of workers) await killProcess(w, 'SIGTERM');
      await connection.close();
    }
  }, 240_000);
});

/** `npm run worker` as its own process, on this file's database and Temporal, sending SSM through the proxy. */
async function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      REMEDIATION_MODE: 'ssm',
      SSM_ENDPOINT: proxy.url,
      SSM_POLL_INTERVAL_MS: '200',
      GROUP_WAIT_SECONDS: '0',
      // The run's bundle of workflows/ (test/global-setup.ts), as npm start hands its workers one: webpack per start
      // took seconds of each of this test's two worker starts.
      WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 150_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('[worker] polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    });
  });
  return child;
}

async function killProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
