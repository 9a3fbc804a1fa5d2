// The incident lifecycle over GraphQL on the real stack: acknowledge, start work, assign (with who may give it to
// whom), resolve with a note, and reopen a closed incident through update-with-start on its ended workflow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let tech: { id: string; token: string; email: string };
let lead: { id: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql);
  const t = await createUser(stack.sql, 'technician', [company.companyId]);
  const l = await createUser(stack.sql, 'company_admin', [company.companyId]);
  tech = { id: t.id, email: t.email, token: await login(stack.url, t.email, t.password) };
  lead = { id: l.id, token: await login(stack.url, l.email, l.password) };
});
afterAll(async () => {
  await stack?.stop();
});

const FIELDS = 'id status acknowledgedBy assignee { userId email by } resolutionNote reopenCount resolvedAt';

interface Seen {
  id: string;
  status: string;
  acknowledgedBy: string | null;
  assignee: { userId: string; email: string; by: string | null } | null;
  resolutionNote: string | null;
  reopenCount: number;
  resolvedAt: string | null;
}

async function command(
  name: string,
  token: string,
  vars: Record<string, unknown>,
): Promise<{ incident?: Seen; error?: { message: string; code: unknown } }> {
  const args = Object.keys(vars)
    .map((k) => `${k}:$${k}`)
    .join(',');
  const decl = Object.keys(vars)
    .map((k) => `$${k}:${k === 'comment' ? 'String' : 'ID!'}`)
    .join(',');
  const r = await graphql<Record<string, Seen>>(
    stack.url,
    `mutation(${decl}){ ${name}(${args}) { ${FIELDS} } }`,
    vars,
    token,
  );
  if (r.errors?.length) return { error: { message: r.errors[0]!.message, code: r.errors[0]!.extensions?.code } };
  return { incident: r.data![name] };
}

async function openIncident(asset: string): Promise<string> {
  // No runbook for this signature: the rules escalate it to a person.
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature: 'queue_stuck',
    severity: 'high',
    message: 'consumer lag 10k',
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const [r] = await stack.sql<{ id: string; status: string }[]>`
      SELECT id, status FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset}`;
    if (r?.status !== 'escalated') return undefined;
    // Paged too: the timeline order below is then fixed.
    const [paged] = await stack.sql`SELECT 1 FROM incident_events WHERE incident_id = ${r.id} AND kind = 'notified'`;
    return paged ? r.id : undefined;
  }, 'the incident to escalate and page');
}

describe('incident lifecycle', () => {
  it('acknowledges, starts work, assigns, resolves with a note and reopens, each recorded with who', async () => {
    const id = await openIncident('srv-life-01');

    const acked = await command('acknowledgeIncident', tech.token, { id });
    expect(acked.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: tech.email });
    expect((await command('acknowledgeIncident', lead.token, { id })).error).toEqual({
      message: `Already acknowledged by ${tech.email}`,
      code: 'CONFLICT',
    });

    const working = await command('startIncidentWork', tech.token, { id });
    expect(working.incident).toMatchObject({ status: 'in_progress', assignee: { userId: tech.id } });

    // A technician may take work, not hand it out; a lead may, but only to a member of the company.
    const outsider = await createUser(stack.sql, 'technician', [(await createCompany(stack.sql)).companyId]);
    expect((await command('assignIncident', tech.token, { id, userId: lead.id })).error).toEqual({
      message: 'A technician may only assign an incident to themselves',
      code: 'FORBIDDEN',
    });
    expect((await command('assignIncident', lead.token, { id, userId: outsider.id })).error?.code).toBe(
      'BAD_USER_INPUT',
    );
    const handed = await command('assignIncident', lead.token, { id, userId: lead.id, comment: 'I will take it' });
    expect(handed.incident?.assignee).toMatchObject({ userId: lead.id });

    const mine = await graphql<{ incidents: Array<{ id: string }> }>(
      stack.url,
      '{ incidents(assignedToMe: true) { id } }',
      {},
      lead.token,
    );
    expect(mine.data!.incidents.map((i) => i.id)).toEqual([id]);

    const resolved = await command('resolveIncident', lead.token, { id, comment: 'Restarted the consumer group' });
    expect(resolved.incident).toMatchObject({ status: 'resolved', resolutionNote: 'Restarted the consumer group' });

    // The run has ended: the reopen starts a run of the closed incident from the state it resolved with.
    const rows = await stack.sql<{ workflowId: string }[]>`
      SELECT workflow_id AS "workflowId" FROM incidents WHERE id = ${id}`;
    const workflowId = rows[0]!.workflowId;
    await eventually(async () => {
      const d = await stack.temporal.workflow.getHandle(workflowId).describe();
      return d.status.name === 'COMPLETED';
    }, 'the run to complete');
    const reopened = await command('reopenIncident', tech.token, { id, comment: 'Lag is back' });
    expect(reopened.incident).toMatchObject({
      status: 'reopened',
      reopenCount: 1,
      resolvedAt: null,
      resolutionNote: null,
    });
    expect((await command('reopenIncident', tech.token, { id })).error).toEqual({
      message: 'Incident is reopened, not resolved',
      code: 'CONFLICT',
    });
    const again = await command('resolveIncident', tech.token, { id, comment: 'Scaled the consumers' });
    expect(again.incident).toMatchObject({ status: 'resolved', reopenCount: 1 });

    const row = await eventually(async () => {
      const [r] = await stack.sql<{ status: string; resolutionNote: string; reopenCount: number }[]>`
        SELECT status, resolution_note AS "resolutionNote", reopen_count AS "reopenCount" FROM incidents
        WHERE id = ${id}`;
      return r?.resolutionNote === 'Scaled the consumers' ? r : undefined;
    }, 'the row to follow');
    expect(row).toEqual({ status: 'resolved', resolutionNote: 'Scaled the consumers', reopenCount: 1 });
    const timeline = await stack.sql<{ kind: string; actor: string | null }[]>`
      SELECT kind, actor FROM incident_events WHERE incident_id = ${id} ORDER BY seq`;
    expect(timeline.map((e) => e.kind)).toEqual([
      'created',
      'decided',
      'escalated',
      'notified',
      'acknowledged',
      'in_progress',
      'assigned',
      'resolved',
      'reopened',
      'resolved',
    ]);
    const audited = await stack.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE target_id = ${id} ORDER BY id`;
    expect(audited.map((a) => a.action)).toEqual([
      'incident.acknowledged',
      'incident.work_started',
      'incident.assigned',
      'incident.resolved',
      'incident.reopened',
      'incident.resolved',
    ]);
  });

  it('reopens from a final state read before the closed run saved once more: the line and the row still show it', async () => {
    const id = await openIncident('srv-life-03');
    expect((await command('resolveIncident', lead.token, { id, comment: 'Drained the queue' })).incident?.status).toBe(
      'resolved',
    );
    const [started] = await stack.sql<{ workflowId: string }[]>`
      SELECT workflow_id AS "workflowId" FROM incidents WHERE id = ${id}`;
    const workflowId = started!.workflowId;
    await eventually(async () => {
      const d = await stack.temporal.workflow.getHandle(workflowId).describe();
      return d.status.name === 'COMPLETED';
    }, 'the run to complete');
    // As if the resolved run had saved a last line after the reopen read its final state: the row's version moves on
    // while the final state the reopen reads still holds the one before.
    const [bumped] = await stack.sql<{ version: number }[]>`
      UPDATE incidents SET version = version + 1 WHERE id = ${id} RETURNING version`;
    const version = bumped!.version;
    await stack.sql`INSERT INTO incident_events (incident_id, seq, kind, message, created_at)
      VALUES (${id}, ${version}, 'notified', 'Paged the company admins (late)', now())`;

    const reopened = await command('reopenIncident', tech.token, { id, comment: 'Backlog again' });
    expect(reopened.incident?.status).toBe('reopened');
    const row = await eventually(async () => {
      const [r] = await stack.sql<{ status: string; version: number }[]>`
        SELECT status, version FROM incidents WHERE id = ${id}`;
      return r?.status === 'reopened' ? r : undefined;
    }, 'the row to read reopened');
    expect(row.version).toBeGreaterThan(version);
    const lines = await stack.sql<{ kind: string; message: string }[]>`
      SELECT kind, message FROM incident_events WHERE incident_id = ${id} AND seq >= ${version} ORDER BY seq`;
    expect(lines).toEqual([
      { kind: 'notified', message: 'Paged the company admins (late)' },
      { kind: 'reopened', message: `Reopened by ${tech.email}: Backlog again` },
    ]);
  });

  it('refuses a reopen of an incident that is still open, and one from another company', async () => {
    const id = await openIncident('srv-life-02');
    expect((await command('reopenIncident', tech.token, { id })).error).toEqual({
      message: 'Incident is escalated, not resolved',
      code: 'CONFLICT',
    });
    const stranger = await createUser(stack.sql, 'company_admin', [(await createCompany(stack.sql)).companyId]);
    const token = await login(stack.url, stranger.email, stranger.password);
    expect((await command('acknowledgeIncident', token, { id })).error?.code).toBe('NOT_FOUND');
  });
});
