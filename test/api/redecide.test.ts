// "Ask for a fresh decision" on the real stack (Gemini through its SDK against the local server): redecideIncident
// runs the decision again as a workflow Update, records a new row naming who asked, and a different choice goes
// through the same gate (a low-risk runbook runs, not counted as self-healed); the same choice changes nothing.
// Refused while a runbook waits for approval, and for another company's members. Who overrode a decision (rejected
// it, or ran another runbook) is on its row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let gemini: LlmServer;

beforeAll(async () => {
  gemini = await startGeminiServer();
  stack = await startStack({
    env: { GEMINI_API_KEY: 'stack-key', GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '20000' },
  });
});
afterAll(async () => {
  await stack?.stop();
  await gemini?.close();
});

const answer = (o: Record<string, unknown>) => ({ text: JSON.stringify({ confidence: 0.9, reasoning: 'r', ...o }) });

async function setup(model: string) {
  const c = await createCompany(stack.sql, {
    settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model } },
  });
  const rb = async (signature: string) =>
    (
      await stack.sql<{ id: string }[]>`
        SELECT id FROM runbooks WHERE company_id = ${c.companyId} AND signature = ${signature}`
    )[0]!.id;
  const tech: TestUser = await createUser(stack.sql, 'technician', [c.companyId]);
  const token = await login(stack.url, tech.email, tech.password);
  return { ...c, rb, tech, token };
}

async function openIncident(apiKey: string, companyId: string, asset: string, want: string) {
  const posted = await postAlert(stack.url, apiKey, {
    asset_name: asset,
    signature: 'disk_full',
    severity: 'high',
    message: 'disk 97%',
    tool_source: 'Datadog',
  });
  expect(posted.status).toBe(202);
  return eventually(async () => {
    const [row] = await stack.sql<{ id: string; status: string }[]>`
      SELECT id, status FROM incidents WHERE company_id = ${companyId} AND asset_name = ${asset}`;
    return row?.status === want ? row.id : undefined;
  }, `the incident ${want}`);
}

const REDECIDE = 'mutation($i:ID!){ redecideIncident(incidentId:$i) { id status decision { action source } } }';

async function decisionsOf(incidentId: string) {
  return stack.sql<
    { requestedBy: string | null; overriddenBy: string | null; override: string | null; action: string }[]
  >`SELECT requested_by AS "requestedBy", overridden_by AS "overriddenBy", override,
           COALESCE(output->'decision', output)->>'action' AS action
      FROM decisions WHERE incident_id = ${incidentId} ORDER BY created_at`;
}

describe('redecideIncident', () => {
  it('a different choice goes through the gate: the low-risk runbook runs, asked for by the person', async () => {
    const c = await setup('gem-redecide-run');
    gemini.script('gem-redecide-run', answer({ action: 'escalate', runbookId: null }));
    const incidentId = await openIncident(c.apiKey, c.companyId, 'srv-rd-01', 'escalated');

    gemini.script('gem-redecide-run', answer({ action: 'execute', runbookId: await c.rb('disk_full') }));
    const r = await graphql<{ redecideIncident: { status: string; decision: { action: string; source: string } } }>(
      stack.url,
      REDECIDE,
      { i: incidentId },
      c.token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.redecideIncident.decision).toEqual({ action: 'auto_remediate', source: 'gemini' });
    const resolved = await eventually(async () => {
      const [row] = await stack.sql<{ status: string; autoRemediated: boolean }[]>`
        SELECT status, auto_remediated AS "autoRemediated" FROM incidents WHERE id = ${incidentId}`;
      return row?.status === 'resolved' ? row : undefined;
    }, 'the runbook run and the incident resolved');
    // A person asked for it: not self-healed.
    expect(resolved.autoRemediated).toBe(false);
    const rows = await decisionsOf(incidentId);
    expect(rows).toMatchObject([
      { requestedBy: null, action: 'escalate' },
      { requestedBy: c.tech.email, action: 'auto_remediate' },
    ]);
    const [event] = await stack.sql<{ actor: string; message: string; data: { changed: boolean } }[]>`
      SELECT actor, message, data FROM incident_events WHERE incident_id = ${incidentId} AND kind = 'redecided'`;
    expect(event).toMatchObject({ actor: c.tech.email, data: { changed: true } });
    expect(event!.message).toContain('a new choice: run "Clean temp files"');
  });

  it('the same choice changes nothing; running another runbook marks the decision overridden', async () => {
    const c = await setup('gem-redecide-same');
    gemini.script('gem-redecide-same', answer({ action: 'escalate', runbookId: null }));
    const incidentId = await openIncident(c.apiKey, c.companyId, 'srv-rd-02', 'escalated');
    const r = await graphql<{ redecideIncident: { status: string } }>(stack.url, REDECIDE, { i: incidentId }, c.token);
    expect(r.errors).toBeUndefined();
    expect(r.data!.redecideIncident.status).toBe('escalated');
    expect((await decisionsOf(incidentId)).map((d) => d.requestedBy)).toEqual([null, c.tech.email]);

    // A person runs a runbook the decision did not choose: the latest decision row names them.
    const run = await graphql(
      stack.url,
      'mutation($i:ID!,$r:ID!){ runRunbook(incidentId:$i, runbookId:$r) { id } }',
      { i: incidentId, r: await c.rb('disk_full') },
      c.token,
    );
    expect(run.errors).toBeUndefined();
    const rows = await eventually(async () => {
      const got = await decisionsOf(incidentId);
      return got[1]?.overriddenBy ? got : undefined;
    }, 'the override on the decision row');
    expect(rows[1]).toMatchObject({ overriddenBy: c.tech.email, override: 'other_runbook' });
    expect(rows[0]!.overriddenBy).toBeNull();
  });

  it('is refused while a runbook waits for approval; a rejection marks the decision overridden', async () => {
    const c = await setup('gem-redecide-wait');
    gemini.script('gem-redecide-wait', answer({ action: 'execute', runbookId: await c.rb('memory_high') }));
    const incidentId = await openIncident(c.apiKey, c.companyId, 'srv-rd-03', 'awaiting_approval');
    const r = await graphql(stack.url, REDECIDE, { i: incidentId }, c.token);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(r.errors?.[0]?.message).toMatch(/waiting for approval/);

    // Another company's member cannot even see it.
    const other = await createCompany(stack.sql);
    const outsider = await createUser(stack.sql, 'company_admin', [other.companyId]);
    const refused = await graphql(
      stack.url,
      REDECIDE,
      { i: incidentId },
      await login(stack.url, outsider.email, outsider.password),
    );
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });

    const admin = await createUser(stack.sql, 'company_admin', [c.companyId]);
    const rejected = await graphql(
      stack.url,
      'mutation($i:ID!){ rejectIncident(id:$i) { id } }',
      { i: incidentId },
      await login(stack.url, admin.email, admin.password),
    );
    expect(rejected.errors).toBeUndefined();
    const [row] = await eventually(async () => {
      const got = await decisionsOf(incidentId);
      return got[0]?.overriddenBy ? got : undefined;
    }, 'the rejection on the decision row');
    expect(row).toMatchObject({ overriddenBy: admin.email, override: 'rejected' });
    const history = await graphql<{ incident: { decisions: Array<{ overriddenBy: string; override: string }> } }>(
      stack.url,
      'query($i:ID!){ incident(id:$i) { decisions { overriddenBy overriddenAt override requestedBy } } }',
      { i: incidentId },
      c.token,
    );
    expect(history.data!.incident.decisions[0]).toMatchObject({ overriddenBy: admin.email, override: 'rejected' });
  });
});
