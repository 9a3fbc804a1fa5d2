// The runbook library on the real stack: versions are immutable and incidents record the one they ran, globs pick
// runbooks, the preview shows exactly what would be sent (hostile asset names quoted), technicians only read, and
// the starter catalogue imports in one call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNBOOK_CATALOGUE } from '../../domain/runbook-catalogue.ts';
import { CHECK_WRAPPER_HEADER } from '../../domain/runbook-checks.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let admin = '';
let tech = '';

const RUNBOOK_FIELDS = `id currentVersion archivedAt current { version name signatures riskLevel commands timeoutSeconds
  parameters { name value } }`;

async function ok<T>(query: string, variables: Record<string, unknown>, token = admin): Promise<T> {
  const r = await graphql<T>(stack.url, query, variables, token);
  if (!r.data || r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

interface RunbookView {
  id: string;
  currentVersion: number;
  archivedAt: string | null;
  current: { version: number; name: string; signatures: string[]; riskLevel: string; commands: string[] };
}

const SAVE = `mutation($i:RunbookInput!){ saveRunbook(input:$i) { ${RUNBOOK_FIELDS} } }`;
const save = async (input: Record<string, unknown>, token = admin) =>
  (await ok<{ saveRunbook: RunbookView }>(SAVE, { i: { companyId: company.companyId, ...input } }, token)).saveRunbook;

/** Posts an alert and waits for its incident's decision; returns the incident id and the decision row. */
async function decided(asset: string, signature: string) {
  expect(
    (
      await postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature,
        severity: 'high',
        message: 'test',
        tool_source: 'Prometheus',
        labels: { container: "web'; reboot #" },
      })
    ).status,
  ).toBe(202);
  return eventually(async () => {
    const [row] = await stack.sql<{ id: string; decision: { runbook: { id: string; version?: number } | null } }[]>`
      SELECT id, decision FROM incidents
      WHERE company_id = ${company.companyId} AND asset_name = ${asset} AND signature = ${signature}
        AND decision IS NOT NULL`;
    return row;
  }, `the decision for ${asset}`);
}

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql, {
    runbooks: [],
    assets: [
      { name: 'web-1', instanceId: 'i-0aaaaaaaaaaaaaaa1' },
      { name: '$(rm -rf /)', instanceId: 'i-0aaaaaaaaaaaaaaa2' },
    ],
  });
  const a = await createUser(stack.sql, 'company_admin', [company.companyId]);
  const t = await createUser(stack.sql, 'technician', [company.companyId]);
  admin = await login(stack.url, a.email, a.password);
  tech = await login(stack.url, t.email, t.password);
});

afterAll(async () => {
  await stack?.stop();
});

describe('runbook library', () => {
  it('saves version 1, an edit adds version 2 and leaves version 1 unchanged; decisions after it record 2', async () => {
    const v1 = await save({
      name: 'Clean disk',
      signatures: ['disk_full'],
      riskLevel: 'low',
      commands: ['df -h /'],
    });
    expect(v1).toMatchObject({ currentVersion: 1, current: { version: 1, timeoutSeconds: 600 } });
    const first = await decided('web-1', 'disk_full');
    expect(first.decision.runbook).toMatchObject({ id: v1.id, version: 1 });

    const v2 = await save({
      id: v1.id,
      name: 'Clean disk',
      signatures: ['disk_full'],
      riskLevel: 'low',
      commands: ['find /tmp -mtime +1 -delete', 'df -h /'],
      timeoutSeconds: 120,
    });
    expect(v2.currentVersion).toBe(2);
    const { runbook } = await ok<{
      runbook: { versions: Array<{ version: number; commands: string[]; changes: Array<{ field: string }> }> };
    }>('query($id:ID!){ runbook(id:$id) { versions { version commands changes { field before after } } } }', {
      id: v1.id,
    });
    expect(runbook.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(runbook.versions[1]!.commands).toEqual(['df -h /']);
    expect(runbook.versions[0]!.changes.map((c) => c.field)).toEqual(['commands', 'timeoutSeconds']);
    // PostgreSQL itself refuses to rewrite history.
    await expect(stack.sql`UPDATE runbook_versions SET name = 'x' WHERE runbook_id = ${v1.id}`).rejects.toThrow(
      /immutable/,
    );

    const second = await decided('web-2', 'disk_full');
    expect(second.decision.runbook).toMatchObject({ id: v1.id, version: 2 });
    // The first incident still says it ran version 1.
    const [again] = await stack.sql<{ v: string }[]>`
      SELECT decision->'runbook'->>'version' AS v FROM incidents WHERE id = ${first.id}`;
    expect(again!.v).toBe('1');

    // An unchanged save adds nothing; an archived runbook no longer decides anything.
    const same = await save({
      id: v1.id,
      name: 'Clean disk',
      signatures: ['disk_full'],
      riskLevel: 'low',
      commands: ['find /tmp -mtime +1 -delete', 'df -h /'],
      timeoutSeconds: 120,
    });
    expect(same.currentVersion).toBe(2);
    await ok('mutation($id:ID!){ archiveRunbook(id:$id) { id } }', { id: v1.id });
    const third = await decided('web-3', 'disk_full');
    expect(third.decision.runbook).toBeNull();
    const audit = await stack.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE target_id = ${v1.id} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(['runbook.created', 'runbook.versioned', 'runbook.archived']);
  });

  it('picks a runbook by glob, the exact one over the glob', async () => {
    const glob = await save({
      name: 'Any service',
      signatures: ['service_down:*'],
      riskLevel: 'high',
      commands: ['true'],
    });
    const exact = await save({
      name: 'Redis',
      signatures: ['service_down:redis'],
      riskLevel: 'medium',
      commands: ['systemctl restart redis'],
    });
    expect((await decided('svc-1', 'service_down:postgres')).decision.runbook).toMatchObject({ id: glob.id });
    expect((await decided('svc-2', 'service_down:redis')).decision.runbook).toMatchObject({ id: exact.id });
  });

  it('previews the exact commands for an incident whose asset name is hostile, quoted', async () => {
    const rb = await save({
      name: 'Restart container',
      signatures: ['container_down:*'],
      riskLevel: 'medium',
      commands: ['docker restart -- {{label.container}}', 'logger -t aw {{asset}} {{incident_id}}'],
      timeoutSeconds: 300,
    });
    const incident = await decided('$(rm -rf /)', 'container_down:web');
    const { runbookPreview } = await ok<{
      runbookPreview: { documentName: string; instanceIds: string[]; commands: string[]; blockedReason: string | null };
    }>(
      'query($r:ID!,$i:ID!){ runbookPreview(runbookId:$r, incidentId:$i) { documentName instanceIds commands blockedReason } }',
      { r: rb.id, i: incident.id },
      tech,
    );
    expect(runbookPreview).toEqual({
      documentName: 'AWS-RunShellScript',
      instanceIds: ['i-0aaaaaaaaaaaaaaa2'],
      commands: [`docker restart -- 'web'\\''; reboot #'`, `logger -t aw '$(rm -rf /)' '${incident.id}'`],
      blockedReason: null,
    });
  });

  it('saves pre- and post-checks in a version; the preview shows the wrapper sent and each check', async () => {
    const rb = await save({
      name: 'Restart checked',
      signatures: ['checked_down:*'],
      riskLevel: 'high',
      preCheck: ['systemctl cat -- {{label.container}} >/dev/null'],
      commands: ['systemctl restart -- {{label.container}}'],
      postCheck: ['systemctl is-active -- {{label.container}}'],
    });
    const bad = await graphql(
      stack.url,
      SAVE,
      {
        i: {
          companyId: company.companyId,
          id: rb.id,
          name: 'Restart checked',
          signatures: ['checked_down:*'],
          riskLevel: 'high',
          commands: ['true'],
          postCheck: ['sh -c {{asset}}'],
        },
      },
      admin,
    );
    expect(JSON.stringify(bad.errors)).toContain('postCheck.0');
    const incident = await decided('web-1', 'checked_down:web');
    const { runbookPreview, runbook } = await ok<{
      runbookPreview: { commands: string[]; preCheck: string[]; postCheck: string[] };
      runbook: { current: { preCheck: string[]; postCheck: string[] } };
    }>(
      `query($r:ID!,$i:ID!){ runbookPreview(runbookId:$r, incidentId:$i) { commands preCheck postCheck }
         runbook(id:$r) { current { preCheck postCheck } } }`,
      { r: rb.id, i: incident.id },
      tech,
    );
    expect(runbook.current).toEqual({
      preCheck: ['systemctl cat -- {{label.container}} >/dev/null'],
      postCheck: ['systemctl is-active -- {{label.container}}'],
    });
    const quoted = `'web'\\''; reboot #'`;
    expect(runbookPreview.preCheck).toEqual([`systemctl cat -- ${quoted} >/dev/null`]);
    expect(runbookPreview.postCheck).toEqual([`systemctl is-active -- ${quoted}`]);
    expect(runbookPreview.commands[0]).toBe(CHECK_WRAPPER_HEADER);
    expect(runbookPreview.commands).toEqual(
      expect.arrayContaining([
        `systemctl cat -- ${quoted} >/dev/null`,
        `systemctl restart -- ${quoted}`,
        `systemctl is-active -- ${quoted}`,
      ]),
    );
  });

  it("previews a tag target as the company's own tagged instances, and refuses past its concurrent limit", async () => {
    const other = await createCompany(stack.sql, {
      runbooks: [],
      assets: [{ name: 'o-1', instanceId: 'i-0bbbbbbbbbbbbbbb1' }],
    });
    await stack.sql`UPDATE assets SET tags = '{fleet}' WHERE company_id = ${other.companyId}`;
    await stack.sql`
      INSERT INTO assets (company_id, name, instance_id, tags) VALUES
        (${company.companyId}, 'fleet-2', 'i-0aaaaaaaaaaaaaaa4', '{fleet}'),
        (${company.companyId}, 'fleet-1', 'i-0aaaaaaaaaaaaaaa3', '{fleet,eu}'),
        (${company.companyId}, 'fleet-3', NULL, '{fleet}')`;
    const rb = await save({
      name: 'Fleet',
      signatures: ['fleet_probe'],
      riskLevel: 'high',
      commands: ['true'],
      targetTag: 'fleet',
    });
    const incident = await decided('web-1', 'fleet_probe');
    const PREVIEW =
      'query($r:ID!,$i:ID!){ runbookPreview(runbookId:$r, incidentId:$i) { instanceIds target blockedReason } }';
    const preview = async () =>
      (await ok<{ runbookPreview: Record<string, unknown> }>(PREVIEW, { r: rb.id, i: incident.id }, tech))
        .runbookPreview;
    expect(await preview()).toEqual({
      instanceIds: ['i-0aaaaaaaaaaaaaaa3', 'i-0aaaaaaaaaaaaaaa4'],
      target: 'every asset of the incident\'s company tagged "fleet"',
      blockedReason: null,
    });
    await stack.sql`
      UPDATE companies SET settings = settings || '{"remediation":{"maxConcurrentRuns":1}}' WHERE id = ${company.companyId}`;
    try {
      expect(await preview()).toMatchObject({
        instanceIds: [],
        blockedReason:
          'Not run: more than 1 assets of this company are tagged "fleet", more than it may run on at once (limit 1)',
      });
    } finally {
      await stack.sql`UPDATE companies SET settings = settings - 'remediation' WHERE id = ${company.companyId}`;
    }
  });

  it('runs the commands rendered for the incident: what the run records is what the preview showed', async () => {
    await save({
      name: 'Clear a cache',
      signatures: ['cache_full:*'],
      riskLevel: 'low',
      commands: ['logger -t aw {{asset}} {{label.container}}', 'echo {{severity}}'],
    });
    const incident = await decided('web-1', 'cache_full:redis');
    const execution = await eventually(async () => {
      const [row] = await stack.sql<{ commands: string[]; instanceIds: string[] }[]>`
        SELECT commands, instance_ids AS "instanceIds" FROM executions WHERE incident_id = ${incident.id}`;
      return row;
    }, 'the dry run of the low-risk runbook');
    expect(execution).toEqual({
      commands: [`logger -t aw 'web-1' 'web'\\''; reboot #'`, `echo 'high'`],
      instanceIds: ['i-0aaaaaaaaaaaaaaa1'],
    });
  });

  it('counts runs per runbook: success rate and median duration of SSM runs, dry runs apart', async () => {
    const rb = await save({ name: 'Stats', signatures: ['stats_probe'], riskLevel: 'high', commands: ['true'] });
    // High risk: the incident waits for approval, so only the runs written here exist.
    const incident = await decided('stats-1', 'stats_probe');
    for (const [attempt, executor, status, seconds] of [
      [101, 'ssm', 'Success', 10],
      [102, 'ssm', 'Failed', 30],
      [103, 'dry_run', 'Success', 1],
    ] as const) {
      await stack.sql`
        INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands,
                                status, started_at, finished_at)
        VALUES (${incident.id}, ${attempt}, ${executor}, ${`cmd-${attempt}`}, 'AWS-RunShellScript', '{}', '{true}',
                ${status}, now() - make_interval(secs => ${seconds}), now())`;
    }
    const { runbook } = await ok<{ runbook: { runStats: Record<string, unknown> } }>(
      'query($id:ID!){ runbook(id:$id) { runStats { runs succeeded dryRuns successRate medianSeconds } } }',
      { id: rb.id },
      tech,
    );
    expect(runbook.runStats).toEqual({ runs: 2, succeeded: 1, dryRuns: 1, successRate: 0.5, medianSeconds: 20 });
  });

  it('refuses bad templates by field, and writes from a technician', async () => {
    const bad = await graphql(
      stack.url,
      SAVE,
      {
        i: {
          companyId: company.companyId,
          name: 'x',
          signatures: ['a'],
          riskLevel: 'low',
          commands: ['echo "{{asset}}"', 'echo {{host}}'],
        },
      },
      admin,
    );
    const ext = bad.errors?.[0]?.extensions as { code: string; fields: Array<{ field: string; message: string }> };
    expect(ext.code).toBe('BAD_USER_INPUT');
    expect(ext.fields.map((f) => f.field)).toEqual(['commands.0', 'commands.1']);
    expect(ext.fields[0]!.message).toMatch(/inside double quotes/);
    expect(ext.fields[1]!.message).toMatch(/unknown placeholder \{\{host\}\}/);

    const refused = await graphql(
      stack.url,
      SAVE,
      {
        i: { companyId: company.companyId, name: 'x', signatures: ['zz'], riskLevel: 'low', commands: ['true'] },
      },
      tech,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const imp = await graphql(
      stack.url,
      'mutation($c:ID!){ importRunbookCatalogue(companyId:$c) { skipped { key } } }',
      {
        c: company.companyId,
      },
      tech,
    );
    expect(imp.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Technicians still read.
    const list = await ok<{ runbooks: RunbookView[] }>(
      'query($c:ID!){ runbooks(companyId:$c) { id } }',
      {
        c: company.companyId,
      },
      tech,
    );
    expect(list.runbooks.length).toBeGreaterThan(0);
  });

  it('imports the starter catalogue once; a second import skips every entry', async () => {
    const fresh = await createCompany(stack.sql, { runbooks: [] });
    const a = await createUser(stack.sql, 'company_admin', [fresh.companyId]);
    const token = await login(stack.url, a.email, a.password);
    const IMPORT = `mutation($c:ID!){ importRunbookCatalogue(companyId:$c) {
      imported { id current { name riskLevel } } skipped { key reason } } }`;
    const first = await ok<{ importRunbookCatalogue: { imported: RunbookView[]; skipped: unknown[] } }>(
      IMPORT,
      { c: fresh.companyId },
      token,
    );
    expect(first.importRunbookCatalogue.imported).toHaveLength(RUNBOOK_CATALOGUE.length);
    expect(first.importRunbookCatalogue.skipped).toEqual([]);
    const second = await ok<{ importRunbookCatalogue: { imported: unknown[]; skipped: unknown[] } }>(
      IMPORT,
      { c: fresh.companyId },
      token,
    );
    expect(second.importRunbookCatalogue.imported).toEqual([]);
    expect(second.importRunbookCatalogue.skipped).toHaveLength(RUNBOOK_CATALOGUE.length);
    const unknown = await graphql(
      stack.url,
      'mutation($c:ID!){ importRunbookCatalogue(companyId:$c, names:["nope"]) { skipped { key } } }',
      {
        c: fresh.companyId,
      },
      token,
    );
    expect(unknown.errors?.[0]?.message).toBe('names.0: no catalogue entry "nope"');
  });
});
