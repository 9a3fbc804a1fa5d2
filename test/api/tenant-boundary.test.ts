// The tenant boundary around remediation, on the real stack with moto: an alert naming another company's instance
// runs nothing there (live or dry run), that instance cannot be registered by a second company (form, CSV, race),
// and where SSM calls go and whether they go at all is the install's choice, never a company setting.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadRunbooks } from '../../activities/decision.ts';
import { createSsmActivities } from '../../activities/ssm.ts';
import { dropLegacySsmEndpoints } from '../../api/tenants/legacy-ssm-endpoint.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

// The SDK's default credential chain reads these for the live stack; moto accepts any key.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const BETA_INSTANCE = 'i-0bbbbbbbbbbbbbbbb';
const TAKEN = 'is registered to another company';

let moto: Moto;
let sql: Sql;
let ssm: SSMClient;
let beta: TestCompany & { name: string };

const instanceId = () => `i-${randomBytes(8).toString('hex')}`;
const commandsFor = async (instance: string) =>
  (await ssm.send(new ListCommandsCommand({ InstanceId: instance }))).Commands ?? [];
const executionsOn = async (instance: string) =>
  (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM executions WHERE ${instance} = ANY(instance_ids)`)[0]!.n;

type FieldProblem = { field: string; message: string };

/** The code and field problems of a refused GraphQL request. */
function refusal(r: { errors?: Array<{ extensions?: { code?: string } }> }) {
  const ext = r.errors?.[0]?.extensions as { code?: string; fields?: FieldProblem[] } | undefined;
  return { code: ext?.code, fields: ext?.fields };
}

const assetCount = async (companyId: string) =>
  (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM assets WHERE company_id = ${companyId}`)[0]!.n;

/** Nothing of Beta's (its id, name or asset) in what Acme was shown. */
function expectNoBetaData(shown: unknown): void {
  const text = JSON.stringify(shown);
  for (const secret of [beta.companyId, beta.name, 'beta-db']) expect(text).not.toContain(secret);
}

/** A fresh Acme with the default runbooks (disk_full is low risk) and its company admin, signed in. */
async function acmeWithAdmin(stack: Stack) {
  const acme = await createCompany(sql, { name: `Acme ${randomBytes(3).toString('hex')}` });
  const admin = await createUser(sql, 'company_admin', [acme.companyId]);
  return { acme, token: await login(stack.url, admin.email, admin.password) };
}

interface IncidentView {
  status: string;
  assetName: string;
  escalationReason: string | null;
  decision: { action: string; runbookName: string | null } | null;
  execution: { executor: string; dryRun: boolean; instanceIds: string[]; output: string | null } | null;
  timeline: Array<{ message: string }>;
}

/** Acme's alert naming Beta's instance, and the incident it becomes once it settles, as Acme's admin sees it. */
async function alertNamingBetasInstance(stack: Stack, acme: TestCompany, token: string) {
  const res = await postAlert(stack.url, acme.apiKey, {
    asset_name: BETA_INSTANCE,
    signature: 'disk_full',
    severity: 'high',
    message: 'Disk / is 97% full',
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const r = await graphql<{ incidents: IncidentView[] }>(
      stack.url,
      `
        {
          incidents(limit: 20) {
            status
            assetName
            escalationReason
            decision {
              action
              runbookName
            }
            execution {
              executor
              dryRun
              instanceIds
              output
            }
            timeline {
              message
            }
          }
        }
      `,
      {},
      token,
    );
    const mine = r.data?.incidents.find((i) => i.assetName === BETA_INSTANCE);
    return mine && ['escalated', 'resolved'].includes(mine.status) ? r : undefined;
  }, "Acme's incident to settle");
}

beforeAll(async () => {
  moto = await startMoto();
  sql = createSql(inject('databaseUrl'), { max: 4 });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: moto.url });
  const name = `Beta ${randomBytes(3).toString('hex')}`;
  beta = { name, ...(await createCompany(sql, { name, assets: [{ name: 'beta-db', instanceId: BETA_INSTANCE }] })) };
});

afterAll(async () => {
  ssm?.destroy();
  await sql?.end({ timeout: 5 });
  await moto?.stop();
});

describe("an alert naming another company's instance, with live SSM (SSM_ENDPOINT = moto)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { REMEDIATION_MODE: 'ssm', SSM_ENDPOINT: moto.url } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("escalates for want of a target and sends nothing to Beta's instance", async () => {
    const { acme, token } = await acmeWithAdmin(stack);
    const seen = await alertNamingBetasInstance(stack, acme, token);
    const incident = seen.data!.incidents.find((i) => i.assetName === BETA_INSTANCE)!;
    expect(incident).toMatchObject({
      status: 'escalated',
      decision: { action: 'auto_remediate', runbookName: 'Clean temp files' },
      execution: null,
    });
    expect(incident.escalationReason).toBeTruthy();
    expect(await commandsFor(BETA_INSTANCE)).toEqual([]);
    expect(await executionsOn(BETA_INSTANCE)).toBe(0);
    expectNoBetaData(seen);
  });
});

describe("an alert naming another company's instance, in a dry run", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("shows no target rather than claim it would send to Beta's instance", async () => {
    const { acme, token } = await acmeWithAdmin(stack);
    const seen = await alertNamingBetasInstance(stack, acme, token);
    const incident = seen.data!.incidents.find((i) => i.assetName === BETA_INSTANCE)!;
    expect(incident.execution).toMatchObject({ executor: 'dry_run', dryRun: true, instanceIds: [] });
    expect(incident.execution!.output).toContain('No instance id is registered for this asset');
    expect(incident.execution!.output).not.toContain(BETA_INSTANCE);
    expect(await commandsFor(BETA_INSTANCE)).toEqual([]);
    expect(await executionsOn(BETA_INSTANCE)).toBe(0);
    expectNoBetaData(seen);
  });

  describe("registering an instance id another company holds (Beta's)", () => {
    it('is refused on the asset form with a field error that does not say whose it is', async () => {
      const { acme, token } = await acmeWithAdmin(stack);
      const r = await graphql(
        stack.url,
        'mutation($c:ID!,$i:String){ saveAsset(companyId:$c, input:{name:"acme-db", instanceId:$i}) { name } }',
        { c: acme.companyId, i: BETA_INSTANCE },
        token,
      );
      expect(refusal(r)).toEqual({ code: 'BAD_USER_INPUT', fields: [{ field: 'instanceId', message: TAKEN }] });
      expectNoBetaData(r);
      expect(await assetCount(acme.companyId)).toBe(0);
    });

    it('refuses the whole CSV import, naming the line', async () => {
      const { acme, token } = await acmeWithAdmin(stack);
      const csv = `name,instance_id\nacme-web,${instanceId()}\nacme-db,${BETA_INSTANCE}\n`;
      const r = await graphql(
        stack.url,
        'mutation($c:ID!,$csv:String!){ importAssets(companyId:$c, csv:$csv) { created } }',
        { c: acme.companyId, csv },
        token,
      );
      expect(refusal(r)).toEqual({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'line 3: instanceId', message: TAKEN }],
      });
      expectNoBetaData(r);
      expect(await assetCount(acme.companyId)).toBe(0);
    });

    it('refuses a registration that raced past the check when the unique index stops it', async () => {
      const { acme, token } = await acmeWithAdmin(stack);
      const contested = instanceId();
      // Beta registers the id in a transaction it holds open, so Acme's check cannot see it yet.
      let commit!: () => void;
      const held = new Promise<void>((r) => (commit = r));
      let inserted!: () => void;
      const betaInserted = new Promise<void>((r) => (inserted = r));
      const betaTx = sql.begin(async (tx) => {
        await tx`INSERT INTO assets (company_id, name, instance_id) VALUES (${beta.companyId}, 'beta-race', ${contested})`;
        inserted();
        await held;
      });
      await betaInserted;
      const acmeSave = graphql(
        stack.url,
        'mutation($c:ID!,$i:String){ saveAsset(companyId:$c, input:{name:"acme-race", instanceId:$i}) { name } }',
        { c: acme.companyId, i: contested },
        token,
      );
      await eventually(async () => {
        const [w] = await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO assets%'`;
        return w!.n > 0;
      }, "Acme's save to wait on Beta's uncommitted registration");
      commit();
      await betaTx;
      const r = await acmeSave;
      expect(refusal(r)).toEqual({ code: 'BAD_USER_INPUT', fields: [{ field: 'instanceId', message: TAKEN }] });
      expectNoBetaData(r);
      expect(await assetCount(acme.companyId)).toBe(0);
    });

    it("names the company's own asset holding an id, refuses a repeated id in a CSV, and lets a CSV swap ids", async () => {
      const { acme, token } = await acmeWithAdmin(stack);
      const [a, b, c] = [instanceId(), instanceId(), instanceId()];
      const importCsv = (csv: string) =>
        graphql<{ importAssets: { created: number; updated: number } }>(
          stack.url,
          'mutation($c:ID!,$csv:String!){ importAssets(companyId:$c, csv:$csv) { created updated } }',
          { c: acme.companyId, csv },
          token,
        );
      expect((await importCsv(`name,instance_id\nweb-1,${a}\nweb-2,${b}\n`)).data).toEqual({
        importAssets: { created: 2, updated: 0 },
      });
      const taken = await graphql(
        stack.url,
        'mutation($c:ID!,$i:String){ saveAsset(companyId:$c, input:{name:"web-3", instanceId:$i}) { name } }',
        { c: acme.companyId, i: a },
        token,
      );
      expect(refusal(taken).fields).toEqual([{ field: 'instanceId', message: 'is registered to asset "web-1"' }]);
      expect(refusal(await importCsv(`name,instance_id\nweb-4,${c}\nweb-5,${c}\nweb-6,${b}\n`)).fields).toEqual([
        { field: 'line 3: instanceId', message: 'repeats line 2' },
        { field: 'line 4: instanceId', message: 'is registered to asset "web-2"' },
      ]);
      expect((await importCsv(`name,instance_id\nweb-1,${b}\nweb-2,${a}\n`)).data).toEqual({
        importAssets: { created: 0, updated: 2 },
      });
      expect(
        await sql`SELECT name, instance_id FROM assets WHERE company_id = ${acme.companyId} ORDER BY name`,
      ).toEqual([
        { name: 'web-1', instance_id: b },
        { name: 'web-2', instance_id: a },
      ]);
    });

    it('the migration keeps the oldest registration of a shared id and audits each asset it clears', async () => {
      const migration = readFileSync(
        new URL('../../db/migrations/011_asset_instance_unique.sql', import.meta.url),
        'utf8',
      );
      const rollback = new Error('rollback');
      let seen: { assets: unknown[]; audits: unknown[]; refused: unknown } | null = null;
      // In a scratch schema of tables like the real ones without their indexes, rolled back afterwards.
      await sql
        .begin(async (tx) => {
          await tx`CREATE SCHEMA mig011_check`;
          await tx`SET LOCAL search_path = mig011_check`;
          await tx`CREATE TABLE assets (LIKE public.assets INCLUDING DEFAULTS INCLUDING GENERATED)`;
          await tx`CREATE TABLE audit_log (LIKE public.audit_log INCLUDING DEFAULTS INCLUDING IDENTITY)`;
          await tx`
            INSERT INTO assets (company_id, name, instance_id, created_at) VALUES
              ('comp-a', 'a-1', 'i-0d0d0d0d0d0d0d0d0', '2024-01-02T00:00:00Z'),
              ('comp-b', 'b-1', 'i-0d0d0d0d0d0d0d0d0', '2024-01-01T00:00:00Z'),
              ('comp-c', 'c-1', 'i-0d0d0d0d0d0d0d0d0', '2024-01-03T00:00:00Z'),
              ('comp-a', 'a-2', 'i-0e0e0e0e0e0e0e0e0', '2024-01-04T00:00:00Z'),
              ('comp-a', 'a-3', NULL, '2024-01-04T00:00:00Z'),
              ('comp-b', 'b-2', NULL, '2024-01-05T00:00:00Z')`;
          await tx.unsafe(migration);
          const assets = await tx`SELECT company_id, name, instance_id FROM assets ORDER BY company_id, name`;
          const audits = await tx`SELECT company_id, action, target_id, data FROM audit_log ORDER BY company_id`;
          const refused = await tx
            .savepoint(
              (sp) =>
                sp`INSERT INTO assets (company_id, name, instance_id) VALUES ('comp-d', 'd-1', 'i-0e0e0e0e0e0e0e0e0')`,
            )
            .then(
              () => null,
              (e: { code?: string }) => e.code,
            );
          seen = { assets, audits, refused };
          throw rollback;
        })
        .catch((e: unknown) => {
          if (e !== rollback) throw e;
        });
      expect(seen!.assets).toEqual([
        { company_id: 'comp-a', name: 'a-1', instance_id: null },
        { company_id: 'comp-a', name: 'a-2', instance_id: 'i-0e0e0e0e0e0e0e0e0' },
        { company_id: 'comp-a', name: 'a-3', instance_id: null },
        { company_id: 'comp-b', name: 'b-1', instance_id: 'i-0d0d0d0d0d0d0d0d0' },
        { company_id: 'comp-b', name: 'b-2', instance_id: null },
        { company_id: 'comp-c', name: 'c-1', instance_id: null },
      ]);
      const cleared = (companyId: string, name: string) => ({
        company_id: companyId,
        action: 'asset.instance_cleared',
        target_id: name,
        data: { instanceId: 'i-0d0d0d0d0d0d0d0d0', reason: expect.stringContaining('registered earlier') },
      });
      expect(seen!.audits).toEqual([cleared('comp-a', 'a-1'), cleared('comp-c', 'c-1')]);
      expect(JSON.stringify(seen!.audits)).not.toContain('comp-b');
      expect(seen!.refused).toBe('23505');
    });
  });

  describe('the SSM endpoint is install configuration, never a company setting', () => {
    it('refuses ssm.endpoint in company settings, naming the field, and still takes a region', async () => {
      const { acme, token } = await acmeWithAdmin(stack);
      const update = (settings: unknown) =>
        graphql(
          stack.url,
          'mutation($c:ID!,$s:JSON){ updateCompany(id:$c, input:{settings:$s}) { settings } }',
          { c: acme.companyId, s: settings },
          token,
        );
      const r = await update({ ssm: { endpoint: 'http://attacker.example/' } });
      expect(refusal(r)).toEqual({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'settings.ssm.endpoint', message: 'is not a setting' }],
      });
      const [row] = await sql`SELECT settings FROM companies WHERE id = ${acme.companyId}`;
      expect(row!.settings).toEqual({ groupWaitSeconds: 0 });
      expect((await update({ ssm: { region: 'eu-west-1' } })).data).toEqual({
        updateCompany: { settings: { groupWaitSeconds: 0, ssm: { region: 'eu-west-1' } } },
      });
    });

    it('drops a stored ssm.endpoint when the API starts, with an audit entry per company', async () => {
      const withRegion = await createCompany(sql, {
        settings: { groupWaitSeconds: 0, ssm: { region: 'eu-west-1', endpoint: 'http://10.0.0.1:4566/path' } } as never,
      });
      const endpointOnly = await createCompany(sql, {
        settings: { groupWaitSeconds: 0, ssm: { endpoint: 'https://ssm.attacker.example' } } as never,
      });
      const again = await startStack({ startRouter: false });
      await again.stop();
      const settingsOf = async (c: TestCompany) =>
        (await sql`SELECT settings FROM companies WHERE id = ${c.companyId}`)[0]!.settings;
      expect(await settingsOf(withRegion)).toEqual({ groupWaitSeconds: 0, ssm: { region: 'eu-west-1' } });
      expect(await settingsOf(endpointOnly)).toEqual({ groupWaitSeconds: 0 });
      // Idempotent: a second start finds nothing to drop and writes no second entry.
      expect(await dropLegacySsmEndpoints(sql)).toBe(0);
      const audits = await sql`
        SELECT company_id, action, target_id, actor_id, data FROM audit_log
        WHERE company_id IN (${withRegion.companyId}, ${endpointOnly.companyId}) ORDER BY company_id`;
      const dropped = (c: TestCompany, endpoint: string) => ({
        company_id: c.companyId,
        action: 'company.setting_dropped',
        target_id: c.companyId,
        actor_id: null,
        data: { setting: 'ssm.endpoint', endpoint, reason: expect.stringContaining('SSM_ENDPOINT') },
      });
      expect(audits).toEqual(
        [dropped(withRegion, 'http://10.0.0.1:4566'), dropped(endpointOnly, 'https://ssm.attacker.example')].sort(
          (x, y) => x.company_id.localeCompare(y.company_id),
        ),
      );
    });

    it('stays a dry run without AWS credentials even while a company setting still names an endpoint', async () => {
      const instance = instanceId();
      // As stored before this release (the API drops it at start; the worker must not read it meanwhile).
      const company = await createCompany(sql, {
        settings: { groupWaitSeconds: 0, ssm: { endpoint: moto.url } } as never,
        assets: [{ name: 'srv-auto-01', instanceId: instance }],
      });
      const runbook = (await loadRunbooks(sql, company.companyId)).find((r) => r.signature === 'disk_full')!;
      const incidentId = `inc-boundary-${randomBytes(6).toString('hex')}`;
      await sql`
        INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
                               status, priority_score, alert_count, sla_response_deadline, sla_resolution_deadline,
                               version, created_at)
        VALUES (${incidentId}, ${company.companyId}, ${`wf-${incidentId}`}, 'run', 'srv-auto-01|disk_full',
                'srv-auto-01', 'disk_full', 'high', 'remediating', 50, 1, now() + interval '1 hour',
                now() + interval '4 hours', 1, now())`;
      const { sendSsmCommand } = createSsmActivities({
        sql,
        mode: 'auto',
        credentialsConfigured: false,
        region: 'us-east-1',
        pollIntervalMs: 50,
      });
      const ref = await sendSsmCommand({
        companyId: company.companyId,
        incidentId,
        attempt: 1,
        assetName: 'srv-auto-01',
        runbook,
      });
      expect(ref).toMatchObject({ executor: 'dry_run', instanceIds: [instance] });
      expect(await commandsFor(instance)).toEqual([]);
    });
  });
});
