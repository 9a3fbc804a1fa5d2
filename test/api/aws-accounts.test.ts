// A company's own AWS account over GraphQL, on the real service with moto behind a local AWS proxy (ExternalId
// checks, DescribeInstanceInformation): the ExternalId and trust policy, saving the role, "Test connection",
// asset registration and CSV import checked against the account, a refused role as the incident's escalation
// sentence, and no credential or raw AWS error text in any response.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { MOTO_DEFAULT_ACCOUNT, startAwsProxy, type AwsProxy } from '../helpers/aws-proxy.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const ACCOUNT = '777788889999';
const instanceId = () => `i-${randomBytes(8).toString('hex')}`;

interface Connection {
  roleArn: string | null;
  region: string | null;
  externalId: string;
  installAccountId: string | null;
  trustPolicy: string | null;
  cloudFormation: string | null;
}
const FIELDS = 'roleArn region externalId installAccountId trustPolicy cloudFormation';

describe('AWS connection of a company', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let stack: Stack;
  let activitySql: Sql;
  let company: TestCompany;
  let token = '';
  /** Every GraphQL response body of this file, as sent. */
  const responses: string[] = [];

  async function call<T>(query: string, variables: Record<string, unknown> = {}, as = token) {
    const r = await graphql<T>(stack.url, query, variables, as);
    responses.push(JSON.stringify(r));
    return r;
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    const env = {
      REMEDIATION_MODE: 'ssm',
      SSM_POLL_INTERVAL_MS: '200',
      SSM_ENDPOINT: proxy.url,
      STS_ENDPOINT: proxy.url,
    };
    activitySql = createSql(inject('databaseUrl'));
    stack = await startStack({ env, activities: createActivities({ sql: activitySql, config: loadConfig(env) }) });
    company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    token = await login(stack.url, admin.email, admin.password);
  });
  afterAll(async () => {
    await stack?.stop();
    await activitySql?.end({ timeout: 5 });
    await proxy?.close();
    await moto?.stop();
  });

  it('shows a generated ExternalId with the trust policy and CloudFormation naming the install account', async () => {
    const first = await call<{ awsConnection: Connection }>(
      `query($c:ID!){ awsConnection(companyId:$c) { ${FIELDS} } }`,
      { c: company.companyId },
    );
    const conn = first.data!.awsConnection;
    expect(conn).toMatchObject({ roleArn: null, region: null, installAccountId: MOTO_DEFAULT_ACCOUNT });
    expect(conn.externalId).toMatch(/^[\w-]{43}$/);
    expect(JSON.parse(conn.trustPolicy!)).toMatchObject({
      Statement: [
        {
          Principal: { AWS: `arn:aws:iam::${MOTO_DEFAULT_ACCOUNT}:root` },
          Condition: { StringEquals: { 'sts:ExternalId': conn.externalId } },
        },
      ],
    });
    expect(conn.cloudFormation).toContain(conn.externalId);
    const again = await call<{ awsConnection: Connection }>(
      `query($c:ID!){ awsConnection(companyId:$c) { externalId } }`,
      { c: company.companyId },
    );
    expect(again.data!.awsConnection.externalId).toBe(conn.externalId);
    const regenerated = await call<{ regenerateAwsExternalId: Connection }>(
      `mutation($c:ID!){ regenerateAwsExternalId(companyId:$c) { ${FIELDS} } }`,
      { c: company.companyId },
    );
    const fresh = regenerated.data!.regenerateAwsExternalId.externalId;
    expect(fresh).not.toBe(conn.externalId);
    expect(regenerated.data!.regenerateAwsExternalId.trustPolicy).toContain(fresh);
  });

  it('refuses a malformed role ARN by field, saves a good one, and tests the connection through it', async () => {
    const bad = await call(
      'mutation($c:ID!){ saveAwsConnection(companyId:$c,roleArn:"arn:aws:iam::123:role/x",region:"nowhere") { roleArn } }',
      { c: company.companyId },
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'roleArn' }, { field: 'region' }],
    });
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/AlertWhispererRemediation`;
    const saved = await call<{ saveAwsConnection: Connection }>(
      `mutation($c:ID!,$r:String!){ saveAwsConnection(companyId:$c,roleArn:$r,region:"us-east-1") { ${FIELDS} } }`,
      { c: company.companyId, r: roleArn },
    );
    expect(saved.data!.saveAwsConnection).toMatchObject({ roleArn, region: 'us-east-1' });
    proxy.externalIds.set(roleArn, saved.data!.saveAwsConnection.externalId);
    proxy.instances.set(ACCOUNT, [instanceId(), instanceId()]);

    const ok = await call<{ testAwsConnection: { ok: boolean; message: string; accountId: string } }>(
      'mutation($c:ID!){ testAwsConnection(companyId:$c) { ok message accountId } }',
      { c: company.companyId },
    );
    expect(ok.data!.testAwsConnection).toEqual({
      ok: true,
      accountId: ACCOUNT,
      message: `Connected: the role was assumed in account ${ACCOUNT}, and Systems Manager manages 2 instances there in us-east-1.`,
    });
  });

  it('registers only instances Systems Manager manages in the company account (form and CSV import)', async () => {
    const own = proxy.instances.get(ACCOUNT)![0]!;
    const stranger = instanceId();
    const refused = await call(
      'mutation($c:ID!,$i:String!){ saveAsset(companyId:$c,input:{name:"web-x",instanceId:$i}) { name } }',
      { c: company.companyId, i: stranger },
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        {
          field: 'instanceId',
          message: `is not an instance Systems Manager manages in this company's AWS account ${ACCOUNT} in us-east-1: check the id and region`,
        },
      ],
    });
    const saved = await call<{ saveAsset: { instanceId: string } }>(
      'mutation($c:ID!,$i:String!){ saveAsset(companyId:$c,input:{name:"web-1",instanceId:$i}) { instanceId } }',
      { c: company.companyId, i: own },
    );
    expect(saved.data!.saveAsset.instanceId).toBe(own);
    const csv = `name,instance_id\nweb-1,${own}\nweb-2,${stranger}\n`;
    const imported = await call('mutation($c:ID!,$csv:String!){ importAssets(companyId:$c,csv:$csv) { created } }', {
      c: company.companyId,
      csv,
    });
    expect(imported.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'line 3: instanceId' }],
    });
    const [row] = await stack.sql`SELECT count(*)::int AS n FROM assets WHERE company_id = ${company.companyId}`;
    expect(row!.n).toBe(1);
  });

  it('a wrong ExternalId: the test says the role could not be assumed, and so does the escalated incident', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/AlertWhispererRemediation`;
    proxy.externalIds.set(roleArn, 'what-the-trust-policy-still-says');
    const test = await call<{ testAwsConnection: { ok: boolean; message: string } }>(
      'mutation($c:ID!){ testAwsConnection(companyId:$c) { ok message } }',
      { c: company.companyId },
    );
    expect(test.data!.testAwsConnection).toEqual({
      ok: false,
      message:
        'The role could not be assumed: AWS refused it. Check that its trust policy is the one shown here, with ' +
        'this ExternalId (paste it again after regenerating the ExternalId).',
    });

    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'web-1',
      signature: 'disk_full',
      severity: 'high',
      message: 'Disk / is 97% full',
      tool_source: 'Datadog',
    });
    expect(res.status).toBe(202);
    type View = { companyId: string; status: string; escalationReason: string | null };
    const incident = await eventually(async () => {
      const r = await call<{ incidents: View[] }>('{ incidents(limit: 20) { companyId status escalationReason } }');
      const mine = r.data?.incidents.find((i) => i.companyId === company.companyId);
      return mine?.status === 'escalated' ? mine : undefined;
    }, 'the incident escalated');
    expect(incident.escalationReason).toContain(
      "The runbook could not be sent: the company's AWS role could not be assumed (check the ExternalId and the " +
        "role's trust policy on the AWS account page)",
    );
  });

  it('a technician of the company may not read or change the connection', async () => {
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const t = await login(stack.url, tech.email, tech.password);
    for (const q of [
      'query($c:ID!){ awsConnection(companyId:$c) { externalId } }',
      'mutation($c:ID!){ regenerateAwsExternalId(companyId:$c) { externalId } }',
      'mutation($c:ID!){ testAwsConnection(companyId:$c) { ok } }',
      'mutation($c:ID!){ saveAwsConnection(companyId:$c,roleArn:"arn:aws:iam::123456789012:role/x",region:"us-east-1") { roleArn } }',
    ]) {
      const r = await call(q, { c: company.companyId }, t);
      expect(r.data).toBeNull();
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('no GraphQL response carried a credential or AWS error text', () => {
    expect(responses.length).toBeGreaterThan(8);
    const all = responses.join('\n');
    for (const leak of [
      /\b(AKIA|ASIA)[A-Z0-9]{12,}\b/,
      /AccessKeyId|SecretAccessKey|SessionToken|secretAccessKey|sessionToken/,
      /not authorized to perform/,
      /AccessDenied/,
      /arn:aws:sts::/,
      /user\/moto/,
    ]) {
      expect(all).not.toMatch(leak);
    }
  });
});
