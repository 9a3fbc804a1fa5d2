// Per-client AWS access through the real AWS SDK: each company's commands go out under its own assumed role into
// its own account (two moto accounts), with the ExternalId we generated; credentials are cached per company; a
// role STS refuses to let us assume fails at once with the sentence a tenant reads.
import { randomBytes } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ListCommandsCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadRunbooks } from '../../activities/decision.ts';
import { createRoleAssumer } from '../../activities/aws-role.ts';
import { createSsmActivities } from '../../activities/ssm.ts';
import { saveAwsRole } from '../../db/aws-accounts.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { tenantFailureText } from '../../domain/failure-text.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startAwsProxy, type AwsProxy } from '../helpers/aws-proxy.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { insertIncident as createIncidentRow } from '../helpers/incidents.ts';

// The install's own identity; moto accepts any key (account 123456789012).
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const env = () => new MockActivityEnvironment({}, { logger: silent });
/** MockActivityEnvironment.run does not infer the activity's result type: keep it. */
const runIn = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env().run<A, R, typeof fn>(fn, ...args);
const instanceId = () => `i-${randomBytes(8).toString('hex')}`;
const ACCOUNT_A = '111122223333';
const ACCOUNT_B = '444455556666';

describe('per-company AWS accounts', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let sql: Sql;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    sql = createSql(inject('databaseUrl'), { max: 4 });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await proxy?.close();
    await moto?.stop();
  });

  /** A company with one asset, connected to `account` through a role whose trust policy expects its ExternalId. */
  async function connectedCompany(account: string, asset: string) {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: asset, instanceId: instance }] });
    const roleArn = `arn:aws:iam::${account}:role/aw-${company.companyId}`;
    const row = await saveAwsRole(sql, company.companyId, roleArn, 'us-east-1');
    proxy.externalIds.set(roleArn, row.externalId);
    const runbook = (await loadRunbooks(sql, company.companyId)).find((r) => r.signature === 'disk_full')!;
    return { ...company, instance, roleArn, asset, runbook, externalId: row.externalId };
  }

  /** ListCommands in `account` itself, as the test assumes the role directly at moto. */
  async function commandsIn(account: string, roleArn: string): Promise<Command[]> {
    const sts = new STSClient({ region: 'us-east-1', endpoint: moto.url });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'test-check' }))).Credentials!;
    const ssm = new SSMClient({
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    });
    return (await ssm.send(new ListCommandsCommand({}))).Commands ?? [];
  }

  const activities = (roles = createRoleAssumer({ region: 'us-east-1', stsEndpoint: proxy.url })) => ({
    roles,
    ...createSsmActivities({
      sql,
      mode: 'ssm',
      credentialsConfigured: true,
      region: 'us-east-1',
      pollIntervalMs: 50,
      endpoint: proxy.url,
      roles,
    }),
  });

  it("sends each company's commands under its own role into its own account, one AssumeRole for several sends", async () => {
    const a = await connectedCompany(ACCOUNT_A, 'web-a');
    const b = await connectedCompany(ACCOUNT_B, 'web-b');
    const { roles, sendSsmCommand, waitForSsmCommand } = activities();
    const refs = [];
    for (const c of [a, b, a, b]) {
      const incidentId = await createIncidentRow(sql, c.companyId, c.asset);
      const input = { companyId: c.companyId, incidentId, attempt: 1, assetName: c.asset, runbook: c.runbook };
      const ref = await runIn(sendSsmCommand, input);
      refs.push({ company: c, ref });
      // Polling the result goes through the same company's credentials.
      const done = await runIn(waitForSsmCommand, { companyId: c.companyId, incidentId, ref });
      expect(done.status).toBe('Success');
    }
    const inA = await commandsIn(ACCOUNT_A, a.roleArn);
    const inB = await commandsIn(ACCOUNT_B, b.roleArn);
    expect(inA.map((c) => c.CommandId).sort()).toEqual(
      refs
        .filter((r) => r.company === a)
        .map((r) => r.ref.commandId)
        .sort(),
    );
    expect(inB.map((c) => c.CommandId).sort()).toEqual(
      refs
        .filter((r) => r.company === b)
        .map((r) => r.ref.commandId)
        .sort(),
    );
    expect(inA.flatMap((c) => c.InstanceIds)).toEqual([a.instance, a.instance]);
    expect(inB.flatMap((c) => c.InstanceIds)).toEqual([b.instance, b.instance]);
    // The install's own account saw none of them.
    const install = new SSMClient({ region: 'us-east-1', endpoint: moto.url });
    const own = (await install.send(new ListCommandsCommand({}))).Commands ?? [];
    expect(own.filter((c) => [a.instance, b.instance].includes(c.InstanceIds?.[0] ?? ''))).toEqual([]);
    // Two companies, four sends and four polls: one AssumeRole each, with the ExternalId and a session naming it.
    expect(roles.assumeCalls).toBe(2);
    const calls = proxy.assumeRoles.filter((r) => [a.roleArn, b.roleArn].includes(r.roleArn));
    expect(calls).toEqual([
      { roleArn: a.roleArn, sessionName: `alert-whisperer-${a.companyId}`, allowed: true },
      { roleArn: b.roleArn, sessionName: `alert-whisperer-${b.companyId}`, allowed: true },
    ]);
  });

  it('assumes the role afresh once the cached credentials are about to expire', async () => {
    const c = await connectedCompany(ACCOUNT_B, 'cache-b');
    let offsetMs = 0;
    const roles = createRoleAssumer({
      region: 'us-east-1',
      stsEndpoint: proxy.url,
      now: () => new Date(Date.now() + offsetMs),
    });
    const role = { roleArn: c.roleArn, region: 'us-east-1', externalId: c.externalId };
    const first = await roles.credentialsFor(c.companyId, role);
    expect(await roles.credentialsFor(c.companyId, role)).toBe(first);
    expect(roles.assumeCalls).toBe(1);
    // 56 minutes on, the hour-long credentials have less than the refresh margin left.
    offsetMs = 56 * 60_000;
    const second = await roles.credentialsFor(c.companyId, role);
    expect(roles.assumeCalls).toBe(2);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    offsetMs = 0;
    expect(await roles.credentialsFor(c.companyId, role)).toBe(second);
    // A regenerated ExternalId is used at once, not after the cached credentials run out.
    proxy.externalIds.set(c.roleArn, 'regenerated-external-id');
    await roles.credentialsFor(c.companyId, { ...role, externalId: 'regenerated-external-id' });
    expect(roles.assumeCalls).toBe(3);
  });

  it('a wrong ExternalId is refused by STS: non-retryable AssumeRoleRefused, nothing sent, the tenant sentence', async () => {
    const c = await connectedCompany(ACCOUNT_A, 'db-a');
    proxy.externalIds.set(c.roleArn, 'not-the-one-we-generated');
    const incidentId = await createIncidentRow(sql, c.companyId, c.asset);
    const { sendSsmCommand } = activities();
    const err = await runIn(sendSsmCommand, {
      companyId: c.companyId,
      incidentId,
      attempt: 1,
      assetName: c.asset,
      runbook: c.runbook,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe('AssumeRoleRefused');
    expect(failure.nonRetryable).toBe(true);
    expect(proxy.assumeRoles.filter((r) => r.roleArn === c.roleArn)).toEqual([
      { roleArn: c.roleArn, sessionName: `alert-whisperer-${c.companyId}`, allowed: false },
    ]);
    expect((await commandsIn(ACCOUNT_A, c.roleArn)).filter((x) => x.InstanceIds?.includes(c.instance))).toEqual([]);
    const [row] = await sql`SELECT status, command_id FROM executions WHERE incident_id = ${incidentId}`;
    expect(row).toEqual({ status: 'NotSent', command_id: '' });
    expect(
      tenantFailureText('send_runbook', { kind: 'application', type: failure.type, message: failure.message }),
    ).toBe(
      "The runbook could not be sent: the company's AWS role could not be assumed (check the ExternalId and the " +
        "role's trust policy on the AWS account page)",
    );
  });

  it('a company without an AWS connection keeps sending with the install credentials', async () => {
    const instance = instanceId();
    const company = await createCompany(sql, { assets: [{ name: 'plain', instanceId: instance }] });
    const runbook = (await loadRunbooks(sql, company.companyId)).find((r) => r.signature === 'disk_full')!;
    const incidentId = await createIncidentRow(sql, company.companyId, 'plain');
    const { roles, sendSsmCommand } = activities();
    const ref = await runIn(sendSsmCommand, {
      companyId: company.companyId,
      incidentId,
      attempt: 1,
      assetName: 'plain',
      runbook,
    });
    const install = new SSMClient({ region: 'us-east-1', endpoint: moto.url });
    const own = (await install.send(new ListCommandsCommand({ InstanceId: instance }))).Commands ?? [];
    expect(own.map((c) => c.CommandId)).toEqual([ref.commandId]);
    expect(roles.assumeCalls).toBe(0);
  });
});
