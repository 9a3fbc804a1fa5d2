// Patch compliance through the real AWS SDK against the local AWS proxy (moto has no DescribeInstancePatchStates):
// each company's states are read in its own account under its own role, only for its registered instances, in
// calls of at most 50 ids following NextToken; a refused role is stored as our sentence, never AWS's text.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRoleAssumer } from '../../activities/aws-role.ts';
import { createPatchActivities, NO_AWS_CREDENTIALS } from '../../activities/patch-compliance.ts';
import { saveAwsRole } from '../../db/aws-accounts.ts';
import { readPatchCompliance } from '../../db/patch-compliance.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { startAwsProxy, MOTO_DEFAULT_ACCOUNT, type AwsProxy } from '../helpers/aws-proxy.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { patchState } from '../helpers/patch-states.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const instanceId = () => `i-${randomBytes(8).toString('hex')}`;
const ACCOUNT_A = '111122223333';
const ACCOUNT_B = '444455556666';

describe('patch compliance through the AWS SDK', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let sql: Sql;
  const logged: string[] = [];

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

  const activities = (credentialsConfigured = true) =>
    createPatchActivities({
      sql,
      roles: createRoleAssumer({ region: 'us-east-1', stsEndpoint: proxy.url }),
      region: 'us-east-1',
      endpoint: proxy.url,
      credentialsConfigured,
      log: (line) => logged.push(line),
    });

  async function connected(account: string, instances: string[]) {
    const company = await createCompany(sql, {
      assets: instances.map((id, n) => ({ name: `host-${n}`, instanceId: id })),
    });
    const roleArn = `arn:aws:iam::${account}:role/aw-${company.companyId}`;
    const row = await saveAwsRole(sql, company.companyId, roleArn, 'us-east-1');
    proxy.externalIds.set(roleArn, row.externalId);
    return { ...company, roleArn };
  }

  it("reads each company's states in its own account, only for its own registered instances", async () => {
    const [a1, a2, b1] = [instanceId(), instanceId(), instanceId()];
    const strangerInA = instanceId();
    proxy.patchStates.set(ACCOUNT_A, [
      patchState(a1),
      patchState(a2, { MissingCount: 4, CriticalNonCompliantCount: 2, SecurityNonCompliantCount: 1 }),
      patchState(strangerInA, { MissingCount: 9 }),
      // Another company's instance id reported in A's account is still not A's to see (nor asked for).
      patchState(b1, { MissingCount: 7 }),
    ]);
    proxy.patchStates.set(ACCOUNT_B, [patchState(b1, { FailedCount: 1 })]);
    const a = await connected(ACCOUNT_A, [a1, a2]);
    const b = await connected(ACCOUNT_B, [b1]);
    const { refreshCompanyPatches } = activities();

    expect(await refreshCompanyPatches(a.companyId)).toMatchObject({ ok: true, instances: 2, states: 2 });
    expect(await refreshCompanyPatches(b.companyId)).toMatchObject({ ok: true, instances: 1, states: 1 });

    const storedA = await readPatchCompliance(sql, a.companyId);
    expect(storedA.refresh).toMatchObject({ failure: null, asked: [a1, a2].sort() });
    expect(storedA.states.map((s) => [s.instanceId, s.missingCount, s.criticalNonCompliantCount])).toEqual(
      [
        [a1, 0, 0],
        [a2, 4, 2],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    const storedB = await readPatchCompliance(sql, b.companyId);
    expect(storedB.states.map((s) => [s.instanceId, s.failedCount])).toEqual([[b1, 1]]);

    // Each call went to the company's own account and named only its own instances.
    const callsA = proxy.patchCalls.filter((c) => c.instanceIds.includes(a1));
    const callsB = proxy.patchCalls.filter((c) => c.instanceIds.includes(b1));
    expect(callsA.map((c) => c.account)).toEqual([ACCOUNT_A]);
    expect(callsB.map((c) => c.account)).toEqual([ACCOUNT_B]);
    expect(callsA[0]!.instanceIds.sort()).toEqual([a1, a2].sort());
  });

  it('asks in calls of at most 50 ids and follows NextToken', async () => {
    const ids = Array.from({ length: 120 }, () => instanceId());
    proxy.patchStates.set(
      MOTO_DEFAULT_ACCOUNT,
      ids.map((id) => patchState(id)),
    );
    proxy.patchPage.size = 20;
    try {
      // No role saved: the install's own credentials (moto's default account), as the company's SSM sends do.
      const company = await createCompany(sql, { assets: ids.map((id, n) => ({ name: `h${n}`, instanceId: id })) });
      const before = proxy.patchCalls.length;
      expect(await activities().refreshCompanyPatches(company.companyId)).toMatchObject({ ok: true, states: 120 });
      const calls = proxy.patchCalls.slice(before);
      expect(calls.every((c) => c.account === MOTO_DEFAULT_ACCOUNT && c.instanceIds.length <= 50)).toBe(true);
      // 50 + 50 + 20 ids, pages of 20: 3 + 3 + 1 calls, tokens followed.
      expect(calls.map((c) => c.instanceIds.length)).toEqual([50, 50, 50, 50, 50, 50, 20]);
      expect(calls.filter((c) => c.nextToken).length).toBe(4);
      expect((await readPatchCompliance(sql, company.companyId)).states).toHaveLength(120);
    } finally {
      proxy.patchPage.size = 50;
    }
  });

  it("stores our sentence when the company's role is refused, keeping the last good states", async () => {
    const id = instanceId();
    proxy.patchStates.set(ACCOUNT_A, [patchState(id, { MissingCount: 1 })]);
    const c = await connected(ACCOUNT_A, [id]);
    const acts = activities();
    expect(await acts.refreshCompanyPatches(c.companyId)).toMatchObject({ ok: true });
    proxy.externalIds.set(c.roleArn, 'not-the-external-id-we-generated');
    expect(await acts.refreshCompanyPatches(c.companyId)).toMatchObject({ ok: true }); // cached credentials
    const fresh = activities();
    expect(await fresh.refreshCompanyPatches(c.companyId)).toMatchObject({ ok: false });
    const stored = await readPatchCompliance(sql, c.companyId);
    expect(stored.refresh!.failure).toBe(
      "Patch states could not be read: the company's AWS role could not be assumed " +
        "(check the ExternalId and the role's trust policy on the AWS account page)",
    );
    expect(stored.refresh!.failure).not.toMatch(/arn:|\d{12}|AccessDenied/);
    expect(stored.states.map((s) => s.instanceId)).toEqual([id]);
    // The raw refusal is for the server log.
    expect(logged.some((l) => l.includes(c.companyId) && l.includes('AssumeRoleRefused'))).toBe(true);
  });

  it('says so without calling AWS when the install has no AWS credentials', async () => {
    const c = await createCompany(sql, { assets: [{ name: 'h', instanceId: instanceId() }] });
    const before = proxy.patchCalls.length;
    expect(await activities(false).refreshCompanyPatches(c.companyId)).toMatchObject({ ok: false });
    expect(proxy.patchCalls.length).toBe(before);
    expect((await readPatchCompliance(sql, c.companyId)).refresh!.failure).toBe(NO_AWS_CREDENTIALS);
  });
});
