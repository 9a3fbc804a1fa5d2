// The approvals queue and "run this runbook" over GraphQL, on the real stack: the queue is ordered by deadline and
// scoped to the caller's companies, with the preview of what would run; runRunbook goes through the gate; the
// company's four-eyes setting refuses the requester's own approval with a clear code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let A: TestCompany;
let B: TestCompany;
const tokens: Record<string, string> = {};

const QUEUE = `{ pendingApprovals {
  incident { id companyId assetName } runbook { id name version riskLevel } deadline requestedBy fourEyes mayApprove
  preview { documentName instanceIds commands blockedReason } } }`;

interface Entry {
  incident: { id: string; companyId: string; assetName: string };
  runbook: { id: string; name: string; version: number | null; riskLevel: string };
  deadline: string;
  requestedBy: string | null;
  fourEyes: boolean;
  mayApprove: boolean;
  preview: { documentName: string; instanceIds: string[]; commands: string[]; blockedReason: string | null };
}

async function queue(who: string): Promise<Entry[]> {
  const r = await graphql<{ pendingApprovals: Entry[] }>(stack.url, QUEUE, {}, tokens[who]);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.pendingApprovals;
}

async function incidentOf(company: TestCompany, asset: string, signature: string, status: string): Promise<string> {
  await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: 'm',
    tool_source: 'Prometheus',
  });
  return eventually(async () => {
    const [row] = await stack.sql<{ id: string }[]>`
      SELECT id FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset} AND status = ${status}`;
    return row?.id;
  }, `${asset} to be ${status}`);
}

beforeAll(async () => {
  stack = await startStack();
  // Deadlines differ by company: B's approvals expire first.
  A = await createCompany(stack.sql, {
    settings: { groupWaitSeconds: 0, approvalTimeoutSeconds: 3600 },
    assets: [{ name: 'a-web-01', instanceId: 'i-0a0000000000000a1' }],
  });
  B = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, approvalTimeoutSeconds: 600 } });
  const users = {
    msp: await createUser(stack.sql, 'msp_admin', []),
    adminA: await createUser(stack.sql, 'company_admin', [A.companyId]),
    adminA2: await createUser(stack.sql, 'company_admin', [A.companyId]),
    techA: await createUser(stack.sql, 'technician', [A.companyId]),
    adminB: await createUser(stack.sql, 'company_admin', [B.companyId]),
  };
  for (const [k, u] of Object.entries(users)) tokens[k] = await login(stack.url, u.email, u.password);
});
afterAll(async () => {
  await stack?.stop();
});

describe('pendingApprovals', () => {
  it('lists waiting runbooks soonest deadline first, only within the caller’s companies, with the preview', async () => {
    const a1 = await incidentOf(A, 'a-web-01', 'service_down:nginx', 'awaiting_approval');
    const b1 = await incidentOf(B, 'b-web-01', 'service_down:nginx', 'awaiting_approval');
    const a2 = await incidentOf(A, 'a-app-01', 'memory_high', 'awaiting_approval');

    const mine = (await queue('msp')).filter((e) => [a1, a2, b1].includes(e.incident.id));
    expect(mine.map((e) => e.incident.id)).toEqual([b1, a1, a2]);
    const all = await queue('msp');
    const deadlines = all.map((e) => Date.parse(e.deadline));
    expect(deadlines).toEqual([...deadlines].sort((x, y) => x - y));

    const first = mine.find((e) => e.incident.id === a1)!;
    expect(first.runbook).toMatchObject({ name: 'Restart nginx', riskLevel: 'high' });
    expect(first.preview).toEqual({
      documentName: 'AWS-RunShellScript',
      instanceIds: ['i-0a0000000000000a1'],
      commands: ['sudo systemctl restart nginx'],
      blockedReason: null,
    });
    expect(first.mayApprove).toBe(true);
    // a-app-01 has no registered instance: the preview says nothing would be sent.
    expect(mine.find((e) => e.incident.id === a2)!.preview.blockedReason).toContain('no instance id registered');

    const forA = await queue('adminA');
    expect(forA.map((e) => e.incident.id)).toEqual([a1, a2]);
    // High risk is the MSP's to approve; medium a company admin's.
    expect(forA.map((e) => e.mayApprove)).toEqual([false, true]);
    expect((await queue('techA')).map((e) => e.mayApprove)).toEqual([false, false]);
    expect((await queue('adminB')).map((e) => e.incident.id)).toEqual([b1]);
  });
});

describe('runRunbook', () => {
  const run = (who: string, incidentId: string, runbookId: string) =>
    graphql<{ runRunbook: { id: string; status: string } }>(
      stack.url,
      'mutation($i:ID!,$r:ID!){ runRunbook(incidentId:$i, runbookId:$r, comment:"try it") { id status } }',
      { i: incidentId, r: runbookId },
      tokens[who],
    );
  const runbookId = async (company: TestCompany, name: string) => {
    const [row] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${company.companyId} AND name = ${name}`;
    return row!.id;
  };

  it('runs through the gate; four-eyes refuses the requester’s approval; another admin approves; dry run', async () => {
    const saved = await graphql(
      stack.url,
      'mutation($id:ID!,$i:UpdateCompanyInput!){ updateCompany(id:$id, input:$i) { id } }',
      { id: A.companyId, i: { settings: { approval: { fourEyes: true } } } },
      tokens.adminA,
    );
    expect(saved.errors).toBeUndefined();
    const bad = await graphql(
      stack.url,
      'mutation($id:ID!,$i:UpdateCompanyInput!){ updateCompany(id:$id, input:$i) { id } }',
      { id: A.companyId, i: { settings: { approval: { fourEyes: 'yes' } } } },
      tokens.adminA,
    );
    expect(JSON.stringify(bad.errors)).toContain('approval.fourEyes');

    const incident = await incidentOf(A, 'a-web-01', 'nginx_stuck', 'escalated');
    const theirs = await run('adminA', incident, await runbookId(B, 'Recycle app pool'));
    expect(theirs.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ForeignRunbook' });
    expect(theirs.errors?.[0]?.message).toContain("not found among this incident's company's runbooks");
    const outsider = await run('adminB', incident, await runbookId(A, 'Recycle app pool'));
    expect(outsider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const asked = await run('adminA', incident, await runbookId(A, 'Recycle app pool'));
    expect(asked.errors).toBeUndefined();
    expect(asked.data?.runRunbook.status).toBe('awaiting_approval');
    const again = await run('techA', incident, await runbookId(A, 'Clean temp files'));
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'RunInFlight' });

    const entry = (await queue('adminA')).find((e) => e.incident.id === incident)!;
    expect(entry).toMatchObject({ fourEyes: true, mayApprove: false, runbook: { name: 'Recycle app pool' } });
    expect(entry.requestedBy).toContain('@example.test');

    const approve = (who: string) =>
      graphql(stack.url, 'mutation($id:ID!){ approveIncident(id:$id) { id status } }', { id: incident }, tokens[who]);
    const own = await approve('adminA');
    expect(own.errors?.[0]).toMatchObject({
      message: 'Four-eyes approval is on for this company: another person must approve the run you requested',
      extensions: { code: 'FORBIDDEN', reason: 'FourEyes' },
    });
    expect((await approve('adminA2')).errors).toBeUndefined();
    const done = await eventually(async () => {
      const [row] = await stack.sql<{ status: string; execution: { executor: string; status: string } | null }[]>`
        SELECT status, execution FROM incidents WHERE id = ${incident}`;
      return row?.status === 'resolved' ? row : undefined;
    }, 'the approved run to resolve the incident');
    expect(done.execution).toMatchObject({ executor: 'dry_run', status: 'Success' });
    const [audit] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE target_id = ${incident} AND action = 'incident.runbook_requested'`;
    expect(audit!.n).toBe(1);
  });
});
