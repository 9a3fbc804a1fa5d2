// The SSM executor through the real AWS SDK against the moto emulator: what is sent, what comes
// back, what is stored, and the whole webhook → workflow → SSM → GraphQL path.
import { randomBytes, randomUUID } from 'node:crypto';
import { ListCommandsCommand, SendCommandCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadRunbooks } from '../../activities/decision.ts';
import { createActivities } from '../../activities/index.ts';
import { createSsmActivities, type SsmDeps } from '../../activities/ssm.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import type { Runbook } from '../../domain/types.ts';
import type { SsmCommandRef } from '../../workflows/types.ts';
import { createCompany, createUser, DEFAULT_RUNBOOKS } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { eventually, graphql, login, postAlert, quietRuntime, startStack, type Stack } from '../helpers/stack.ts';

// The SDK's default credential chain reads these; moto accepts any key.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** An activity context whose expected failures (NoSsmTarget, cancellation) do not flood the test output. */
function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: silent });
}

/** MockActivityEnvironment.run does not infer the activity's result type: keep it. */
function runIn<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run<A, R, typeof fn>(fn, ...args);
}

function instanceId(): string {
  return `i-${randomBytes(8).toString('hex')}`;
}

async function createIncidentRow(sql: Sql, companyId: string, assetName: string): Promise<string> {
  const id = `inc-${randomUUID()}`;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity, status,
                           priority_score, alert_count, sla_response_deadline, sla_resolution_deadline, version, created_at)
    VALUES (${id}, ${companyId}, ${`wf-${id}`}, ${randomUUID()}, ${`${assetName}|disk_full`}, ${assetName}, 'disk_full', 'high', 'remediating',
            50, 1, now() + interval '1 hour', now() + interval '4 hours', 1, now())`;
  return id;
}

async function diskFullRunbook(sql: Sql, companyId: string): Promise<Runbook> {
  const runbook = (await loadRunbooks(sql, companyId)).find((r) => r.signature === 'disk_full');
  if (!runbook) throw new Error('fixture company has no disk_full runbook');
  return runbook;
}

describe('SSM executor against moto', () => {
  let moto: Moto;
  let sql: Sql;
  let ssm: SSMClient;

  const commandsFor = async (instance: string): Promise<Command[]> =>
    (await ssm.send(new ListCommandsCommand({ InstanceId: instance }))).Commands ?? [];

  const activities = (over: Partial<SsmDeps> = {}) =>
    createSsmActivities({
      sql,
      mode: 'ssm',
      credentialsConfigured: true,
      region: 'us-east-1',
      pollIntervalMs: 50,
      endpoint: moto.url,
      ...over,
    });

  beforeAll(async () => {
    moto = await startMoto();
    sql = createSql(inject('databaseUrl'), { max: 4 });
    ssm = new SSMClient({ region: 'us-east-1', endpoint: moto.url });
  });

  afterAll(async () => {
    ssm?.destroy();
    await sql?.end({ timeout: 5 });
    await moto?.stop();
  });

  describe('sendSsmCommand', () => {
    it('sends AWS-RunShellScript with the runbook commands to the asset instance, once per incident attempt', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, { assets: [{ name: 'srv-web-01', instanceId: instance }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-web-01');
      const runbook = await diskFullRunbook(sql, company.companyId);
      const { sendSsmCommand } = activities();
      const input = { companyId: company.companyId, incidentId, attempt: 1, assetName: 'srv-web-01', runbook };

      const ref = await runIn(activityEnv(), sendSsmCommand, input);
      expect(ref).toMatchObject({
        executor: 'ssm',
        attempt: 1,
        documentName: 'AWS-RunShellScript',
        instanceIds: [instance],
        commands: ['find /tmp -type f -mtime +1 -delete', 'df -h /'],
      });
      expect(ref.commandId).toMatch(/^[0-9a-f-]{36}$/);

      const [sent, ...others] = await commandsFor(instance);
      expect(others).toEqual([]);
      expect(sent).toMatchObject({
        CommandId: ref.commandId,
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instance],
        Comment: `Alert Whisperer incident ${incidentId} attempt 1`,
        Parameters: { commands: ['find /tmp -type f -mtime +1 -delete', 'df -h /'] },
      });

      const [row] =
        await sql`SELECT executor, command_id, status, instance_ids, commands, finished_at FROM executions WHERE incident_id = ${incidentId}`;
      expect(row).toEqual({
        executor: 'ssm',
        command_id: ref.commandId,
        status: 'InProgress',
        instance_ids: [instance],
        commands: ['find /tmp -type f -mtime +1 -delete', 'df -h /'],
        finished_at: null,
      });

      // A Temporal retry of the same attempt finds the command it already sent.
      const again = await runIn(activityEnv(), sendSsmCommand, input);
      expect(again).toEqual(ref);
      expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([ref.commandId]);
    });

    it('sends one command when two tries of the same attempt overlap (a retry after a start-to-close timeout)', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, { assets: [{ name: 'srv-web-02', instanceId: instance }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-web-02');
      const { sendSsmCommand } = activities();
      const input = {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-web-02',
        runbook: await diskFullRunbook(sql, company.companyId),
      };
      const [a, b] = await Promise.all([
        runIn(activityEnv(), sendSsmCommand, input),
        runIn(activityEnv(), sendSsmCommand, input),
      ]);
      expect(a.commandId).toBe(b.commandId);
      expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([a.commandId]);
    });

    it('finds the command an interrupted try already sent instead of sending it again', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, { assets: [{ name: 'srv-web-03', instanceId: instance }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-web-03');
      const runbook = await diskFullRunbook(sql, company.companyId);
      // The earlier try committed its claim, marked it Sending, reached SSM and then died before it could record
      // the command id (a claim without the mark was never sent: no look-up is needed for it).
      await sql`
        INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands,
                                status, company_id, asset_name, runbook_id, send_started_at)
        VALUES (${incidentId}, 1, 'ssm', '', 'AWS-RunShellScript', ${[instance]}, ${runbook.actions}, 'Sending',
                ${company.companyId}, 'srv-web-03', ${runbook.id}, now())`;
      const sent = await ssm.send(
        new SendCommandCommand({
          InstanceIds: [instance],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands: runbook.actions },
          Comment: `Alert Whisperer incident ${incidentId} attempt 1`,
        }),
      );
      const { sendSsmCommand } = activities();
      const ref = await runIn(activityEnv(), sendSsmCommand, {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-web-03',
        runbook,
      });
      expect(ref.commandId).toBe(sent.Command?.CommandId);
      expect((await commandsFor(instance)).map((c) => c.CommandId)).toEqual([ref.commandId]);
    });

    it('never targets an unregistered asset name that looks like an instance id: NoSsmTarget live, no target dry', async () => {
      // Any company's key can name any instance in an alert; only the company's own inventory makes a target.
      const instance = instanceId();
      const company = await createCompany(sql);
      const runbook = await diskFullRunbook(sql, company.companyId);

      const liveIncident = await createIncidentRow(sql, company.companyId, instance);
      const live = { companyId: company.companyId, incidentId: liveIncident, attempt: 1, assetName: instance, runbook };
      const err = await runIn(activityEnv(), activities().sendSsmCommand, live).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('NoSsmTarget');
      expect(await commandsFor(instance)).toEqual([]);
      expect(await sql`SELECT 1 FROM executions WHERE incident_id = ${liveIncident}`).toHaveLength(0);

      // A dry run shows no target rather than claim it would send to the named instance.
      const dryIncident = await createIncidentRow(sql, company.companyId, instance);
      const dry = activities({ mode: 'dry_run' });
      const ref = await runIn(activityEnv(), dry.sendSsmCommand, { ...live, incidentId: dryIncident });
      expect(ref).toMatchObject({ executor: 'dry_run', instanceIds: [] });
      const result = await runIn(activityEnv(), dry.waitForSsmCommand, {
        companyId: company.companyId,
        incidentId: dryIncident,
        ref,
      });
      expect(result.output).toContain('No instance id is registered for this asset');
      expect(result.output).not.toContain(instance);
      expect(await commandsFor(instance)).toEqual([]);
      const [row] = await sql`SELECT instance_ids FROM executions WHERE incident_id = ${dryIncident}`;
      expect(row).toEqual({ instance_ids: [] });
    });

    it('re-checks at send time that the instance an earlier try claimed still belongs to the company', async () => {
      const [mine, moved] = [instanceId(), instanceId()];
      const company = await createCompany(sql, { assets: [{ name: 'srv-web-04', instanceId: mine }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-web-04');
      const runbook = await diskFullRunbook(sql, company.companyId);
      // An earlier try claimed the attempt for `moved` and died before sending; since then the company gave that
      // instance up and another company registered it.
      await sql`
        INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands, status)
        VALUES (${incidentId}, 1, 'ssm', '', 'AWS-RunShellScript', ${[moved]}, ${runbook.actions}, 'Sending')`;
      await createCompany(sql, { assets: [{ name: 'theirs', instanceId: moved }] });

      const err = await runIn(activityEnv(), activities().sendSsmCommand, {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-web-04',
        runbook,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('NoSsmTarget');
      expect((err as ApplicationFailure).message).toBe(
        `Instance ${moved} is no longer registered to an asset of this company, so nothing was sent`,
      );
      expect(await commandsFor(moved)).toEqual([]);
      expect(await commandsFor(mine)).toEqual([]);
    });

    it('fails with a non-retryable NoSsmTarget naming the asset when the asset has no instance id', async () => {
      const company = await createCompany(sql, { assets: [{ name: 'srv-legacy-01' }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-legacy-01');
      const { sendSsmCommand } = activities();
      const before = (await ssm.send(new ListCommandsCommand({}))).Commands?.length ?? 0;

      const err = await runIn(activityEnv(), sendSsmCommand, {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-legacy-01',
        runbook: await diskFullRunbook(sql, company.companyId),
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      const failure = err as ApplicationFailure;
      expect(failure.type).toBe('NoSsmTarget');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toBe(
        'Asset "srv-legacy-01" has no EC2/managed instance id, so SSM has nowhere to run "Clean temp files"',
      );

      // Nothing was sent and nothing recorded.
      expect((await ssm.send(new ListCommandsCommand({}))).Commands?.length ?? 0).toBe(before);
      expect(await sql`SELECT 1 FROM executions WHERE incident_id = ${incidentId}`).toHaveLength(0);
    });
  });

  describe('waitForSsmCommand', () => {
    it('returns the terminal status and output from GetCommandInvocation and records them on the execution', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, { assets: [{ name: 'srv-db-02', instanceId: instance }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-db-02');
      const { sendSsmCommand, waitForSsmCommand } = activities();
      const ref = await runIn(activityEnv(), sendSsmCommand, {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-db-02',
        runbook: await diskFullRunbook(sql, company.companyId),
      });

      const env = activityEnv();
      const heartbeats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const result = await runIn(env, waitForSsmCommand, { companyId: company.companyId, incidentId, ref });

      // moto completes every invocation at once: Success, exit code 0, empty stdout/stderr.
      expect(result).toMatchObject({ status: 'Success', output: '', error: '' });
      expect(Number.isNaN(Date.parse(result.finishedAt))).toBe(false);
      expect(heartbeats).toContainEqual({ instanceId: instance });

      const [row] =
        await sql`SELECT status, output, error, finished_at FROM executions WHERE incident_id = ${incidentId} AND attempt = 1`;
      expect(row).toEqual({ status: 'Success', output: '', error: '', finished_at: result.finishedAt });
    });

    it('keeps polling and heartbeating while the invocation does not exist yet, and stops when cancelled', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, { assets: [{ name: 'srv-db-03', instanceId: instance }] });
      const incidentId = await createIncidentRow(sql, company.companyId, 'srv-db-03');
      const { sendSsmCommand, waitForSsmCommand } = activities();
      const ref = await runIn(activityEnv(), sendSsmCommand, {
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-db-03',
        runbook: await diskFullRunbook(sql, company.companyId),
      });
      // An instance the command was never sent to: GetCommandInvocation answers InvocationDoesNotExist, as right after SendCommand.
      const missing = instanceId();
      const pending: SsmCommandRef = { ...ref, instanceIds: [missing] };

      const env = activityEnv();
      let beats = 0;
      env.on('heartbeat', () => {
        beats += 1;
        if (beats === 3) env.cancel('CANCELLED');
      });
      const err = await runIn(env, waitForSsmCommand, { companyId: company.companyId, incidentId, ref: pending }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CancelledFailure);
      expect(beats).toBe(3);
      const [row] = await sql`SELECT status, finished_at FROM executions WHERE incident_id = ${incidentId}`;
      expect(row).toEqual({ status: 'InProgress', finished_at: null });
    });
  });

  describe('end to end through the webhook, the workflow and GraphQL', () => {
    let stack: Stack;
    let activitySql: Sql;

    beforeAll(async () => {
      quietRuntime();
      activitySql = createSql(inject('databaseUrl'));
      // SSM_ENDPOINT is how an install points the worker at moto or LocalStack.
      const env = { REMEDIATION_MODE: 'ssm', SSM_POLL_INTERVAL_MS: '200', SSM_ENDPOINT: moto.url };
      stack = await startStack({ env, activities: createActivities({ sql: activitySql, config: loadConfig(env) }) });
    });

    afterAll(async () => {
      await stack?.stop();
      await activitySql?.end({ timeout: 5 });
    });

    it('auto-remediates a low-risk disk_full alert through SSM and shows the moto command in GraphQL', async () => {
      const instance = instanceId();
      const company = await createCompany(sql, {
        settings: { groupWaitSeconds: 0 },
        runbooks: DEFAULT_RUNBOOKS,
        assets: [{ name: 'srv-db-01', instanceId: instance }],
      });
      // The company's own admin: it sees this company's incidents only, so a short list finds the new one.
      const admin = await createUser(sql, 'company_admin', [company.companyId]);
      const token = await login(stack.url, admin.email, admin.password);

      const res = await postAlert(stack.url, company.apiKey, {
        asset_name: 'srv-db-01',
        signature: 'disk_full',
        severity: 'high',
        message: 'Disk / is 97% full',
        tool_source: 'Datadog',
      });
      expect(res.status).toBe(202);

      type IncidentView = {
        id: string;
        companyId: string;
        status: string;
        autoRemediated: boolean;
        escalationReason: string | null;
        execution: {
          executor: string;
          dryRun: boolean;
          commandId: string;
          documentName: string;
          instanceIds: string[];
          commands: string[];
          status: string;
          output: string | null;
          error: string | null;
          finishedAt: string | null;
        } | null;
        timeline: Array<{ kind: string; message: string }>;
      };
      const incident = await eventually(async () => {
        const r = await graphql<{ incidents: IncidentView[] }>(
          stack.url,
          `
            {
              incidents(limit: 20) {
                id
                companyId
                status
                autoRemediated
                escalationReason
                execution {
                  executor
                  dryRun
                  commandId
                  documentName
                  instanceIds
                  commands
                  status
                  output
                  error
                  finishedAt
                }
                timeline {
                  kind
                  message
                }
              }
            }
          `,
          {},
          token,
        );
        if (!r.data) throw new Error(JSON.stringify(r.errors));
        const mine = r.data.incidents.find((i) => i.companyId === company.companyId);
        return mine && (mine.status === 'resolved' || mine.status === 'escalated') ? mine : undefined;
      }, 'the disk_full incident to finish');

      expect(incident).toMatchObject({
        status: 'resolved',
        autoRemediated: true,
        escalationReason: null,
        execution: {
          executor: 'ssm',
          dryRun: false,
          documentName: 'AWS-RunShellScript',
          instanceIds: [instance],
          commands: ['find /tmp -type f -mtime +1 -delete', 'df -h /'],
          status: 'Success',
          output: '',
          error: '',
        },
      });
      expect(incident.execution?.finishedAt).toBeTruthy();
      expect(incident.timeline.map((e) => e.message)).toEqual(
        expect.arrayContaining([
          `Sent AWS-RunShellScript to ${instance} (2 command(s))`,
          'Runbook "Clean temp files" finished: Success',
        ]),
      );

      // The command id shown to the user is the one moto received, sent exactly once.
      const sent = await commandsFor(instance);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        CommandId: incident.execution?.commandId,
        DocumentName: 'AWS-RunShellScript',
        Comment: `Alert Whisperer incident ${incident.id} attempt 1`,
        Parameters: { commands: ['find /tmp -type f -mtime +1 -delete', 'df -h /'] },
      });
    });
  });
});
