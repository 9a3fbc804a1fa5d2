// Patch compliance on the real service (worker, API, Temporal) with moto behind the local AWS proxy: the install's
// Schedule exists once the worker started, a triggered run stores every connected company's summary from its own
// account, GraphQL shows a company only its own (another company is refused, as a missing one), company admins
// refresh now, and a refused role reads as our sentence with no credential or raw AWS error in any response.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAwsRole } from '../../db/aws-accounts.ts';
import { patchScheduleId } from '../../lib/patch-schedule.ts';
import { startAwsProxy, type AwsProxy } from '../helpers/aws-proxy.ts';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { patchState } from '../helpers/patch-states.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const ACCOUNT_A = '121212121212';
const ACCOUNT_B = '343434343434';
const instanceId = () => `i-${randomBytes(8).toString('hex')}`;

interface Patches {
  refreshedAt: string | null;
  failure: string | null;
  instanceCount: number;
  compliantPercent: number | null;
  criticalMissing: number;
  stale: boolean;
  instances: Array<{ instanceId: string; assetName: string | null; criticalNonCompliantCount: number }>;
}
const FIELDS = `refreshedAt failure instanceCount compliantPercent criticalMissing stale
  instances { instanceId assetName criticalNonCompliantCount }`;

describe('patch compliance on the service', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let stack: Stack;
  const responses: string[] = [];
  const ids = { a1: instanceId(), a2: instanceId(), b1: instanceId() };
  let a = { companyId: '', roleArn: '', admin: '', tech: '' };
  let b = { companyId: '', roleArn: '', admin: '', tech: '' };

  async function call<T>(query: string, variables: Record<string, unknown>, token: string) {
    const r = await graphql<T>(stack.url, query, variables, token);
    responses.push(JSON.stringify(r));
    return r;
  }
  const patches = (companyId: string, token: string) =>
    call<{ patchCompliance: Patches }>(
      `query($c:ID!){ patchCompliance(companyId:$c) { ${FIELDS} } }`,
      { c: companyId },
      token,
    );

  async function connected(account: string, instances: Record<string, string>) {
    const c = await createCompany(stack.sql, {
      assets: Object.entries(instances).map(([name, instanceId]) => ({ name, instanceId })),
    });
    const roleArn = `arn:aws:iam::${account}:role/aw-${c.companyId}`;
    proxy.externalIds.set(roleArn, (await saveAwsRole(stack.sql, c.companyId, roleArn, 'us-east-1')).externalId);
    const admin = await createUser(stack.sql, 'company_admin', [c.companyId]);
    const tech = await createUser(stack.sql, 'technician', [c.companyId]);
    return {
      companyId: c.companyId,
      roleArn,
      admin: await login(stack.url, admin.email, admin.password),
      tech: await login(stack.url, tech.email, tech.password),
    };
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    stack = await startStack({ env: { SSM_ENDPOINT: proxy.url, STS_ENDPOINT: proxy.url } });
    proxy.patchStates.set(ACCOUNT_A, [
      patchState(ids.a1),
      patchState(ids.a2, { MissingCount: 3, CriticalNonCompliantCount: 2, SecurityNonCompliantCount: 1 }),
      patchState(ids.b1, { MissingCount: 5 }),
    ]);
    proxy.patchStates.set(ACCOUNT_B, [patchState(ids.b1, { hoursAgo: 72 })]);
    a = await connected(ACCOUNT_A, { 'web-a': ids.a1, 'db-a': ids.a2 });
    b = await connected(ACCOUNT_B, { 'web-b': ids.b1 });
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await moto?.stop();
  });

  it('has the Schedule after start, and a triggered run stores each company its own account’s states', async () => {
    const handle = stack.temporal.schedule.getHandle(patchScheduleId(stack.config.taskQueue));
    const described = await handle.describe();
    expect(described.action).toMatchObject({ workflowType: 'patchComplianceWorkflow' });
    // Before any run the dashboard has nothing: no percentage rather than 0 %.
    expect((await patches(a.companyId, a.tech)).data!.patchCompliance).toMatchObject({
      refreshedAt: null,
      compliantPercent: null,
    });

    await handle.trigger();
    const seenA = await eventually(async () => {
      const p = (await patches(a.companyId, a.tech)).data?.patchCompliance;
      return p?.refreshedAt ? p : null;
    }, 'the scheduled refresh of company A');
    expect(seenA).toMatchObject({ failure: null, instanceCount: 2, compliantPercent: 50, criticalMissing: 2 });
    expect(seenA.instances).toEqual([
      { instanceId: ids.a2, assetName: 'db-a', criticalNonCompliantCount: 2 },
      { instanceId: ids.a1, assetName: 'web-a', criticalNonCompliantCount: 0 },
    ]);
    const seenB = await eventually(async () => {
      const p = (await patches(b.companyId, b.tech)).data?.patchCompliance;
      return p?.refreshedAt ? p : null;
    }, 'the scheduled refresh of company B');
    // B's instance as B's account reports it (scanned 3 days ago: stale), not as A's account does.
    expect(seenB).toMatchObject({ failure: null, instanceCount: 1, compliantPercent: 100, stale: true });
    expect(seenB.instances.map((i) => i.instanceId)).toEqual([ids.b1]);
  });

  it("refuses another company's patch compliance as a missing company, for reads and refreshes", async () => {
    const read = await patches(a.companyId, b.tech);
    expect(read.data).toBeNull();
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const refresh = await call(
      'mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { instanceCount } }',
      { c: a.companyId },
      b.admin,
    );
    expect(refresh.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // A technician of the company reads but may not refresh.
    const tech = await call(
      'mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { instanceCount } }',
      { c: a.companyId },
      a.tech,
    );
    expect(tech.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refreshes now for a company admin, and a refused role shows our sentence beside the last good figures', async () => {
    proxy.patchStates.set(ACCOUNT_A, [patchState(ids.a1), patchState(ids.a2)]);
    const now = await call<{ refreshPatchCompliance: Patches }>(
      `mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { ${FIELDS} } }`,
      { c: a.companyId },
      a.admin,
    );
    expect(now.data!.refreshPatchCompliance).toMatchObject({ failure: null, compliantPercent: 100 });

    // The trust policy no longer carries our ExternalId (the worker's cached credentials expire first in real life;
    // here a new company's role is refused outright).
    const c = await connected('565656565656', { 'app-c': instanceId() });
    proxy.externalIds.set(c.roleArn, 'someone-else-s-external-id');
    const refused = await call<{ refreshPatchCompliance: Patches }>(
      `mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { ${FIELDS} } }`,
      { c: c.companyId },
      c.admin,
    );
    expect(refused.data!.refreshPatchCompliance).toMatchObject({ refreshedAt: null, compliantPercent: null });
    expect(refused.data!.refreshPatchCompliance.failure).toBe(
      "Patch states could not be read: the company's AWS role could not be assumed " +
        "(check the ExternalId and the role's trust policy on the AWS account page)",
    );
  });

  it('opens an incident through the alert path for an instance missing critical patches, once per scan, when asked', async () => {
    const [sick, healthy, offId] = [instanceId(), instanceId(), instanceId()];
    const on = await connected('787878787878', { 'sql-1': sick, 'app-1': healthy });
    const off = await connected('909090909090', { 'sql-2': offId });
    proxy.patchStates.set('787878787878', [
      patchState(sick, { MissingCount: 4, CriticalNonCompliantCount: 2, SecurityNonCompliantCount: 1 }),
      patchState(healthy),
    ]);
    proxy.patchStates.set('909090909090', [patchState(offId, { CriticalNonCompliantCount: 5, MissingCount: 5 })]);
    // The company setting, through the same mutation the Settings tab uses (default off).
    const set = await call(
      'mutation($id:ID!,$s:JSON!){ updateCompany(id:$id, input:{settings:$s}) { id } }',
      { id: on.companyId, s: { patches: { openIncidents: true } } },
      on.admin,
    );
    expect(set.errors).toBeUndefined();
    const refresh = (c: { companyId: string; admin: string }) =>
      call('mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { criticalMissing } }', { c: c.companyId }, c.admin);
    await refresh(on);
    await refresh(off);

    const incident = await eventually(async () => {
      const [row] = await stack.sql<{ assetName: string; signature: string }[]>`
        SELECT asset_name AS "assetName", signature FROM incidents WHERE company_id = ${on.companyId}`;
      return row;
    }, 'the patch incident');
    expect(incident).toEqual({ assetName: 'sql-1', signature: 'patch_critical_missing' });
    const alerts = await stack.sql<{ message: string; toolSource: string }[]>`
      SELECT message, tool_source AS "toolSource" FROM alerts WHERE company_id = ${on.companyId}`;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toMatch(/^2 critical patches missing on sql-1 \(i-[0-9a-f]+\), 1 security/);
    expect(alerts[0]!.toolSource).toBe('aws-patch-manager');

    // The same scan again raises nothing new; the company without the setting never got an alert.
    await refresh(on);
    const [again] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE company_id = ${on.companyId}`;
    expect(again!.n).toBe(1);
    const [offAlerts] = await stack.sql<{ none: number }[]>`
      SELECT count(*)::int AS none FROM alerts WHERE company_id = ${off.companyId}`;
    expect(offAlerts!.none).toBe(0);
  });

  it('sent no credential, account principal or raw AWS error in any GraphQL response', () => {
    const all = responses.join('\n');
    expect(all).not.toMatch(/AccessDenied|not authorized|arn:aws|sts:AssumeRole|SecretAccessKey|SessionToken/);
    expect(all).not.toMatch(/ASIA[A-Z0-9]{12,}|FQoGZXIvYXdz/);
  });
});
