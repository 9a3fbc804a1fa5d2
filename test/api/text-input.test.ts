// Text that cannot be stored, on the real stack: a NUL or an unpaired surrogate in the comment of every incident
// Update (and in other people's text) is refused by name before anything runs, the incident goes on taking
// commands, and a long comment is cut without splitting a character.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let lead: { id: string; email: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql, { name: 'Text Co' });
  const l = await createUser(stack.sql, 'company_admin', [company.companyId]);
  lead = { id: l.id, email: l.email, token: await login(stack.url, l.email, l.password) };
});
afterAll(async () => {
  await stack?.stop();
});

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
    // Paged too: the workflow is then waiting on people, and the row changes only by their commands.
    const [paged] = await stack.sql`SELECT 1 FROM incident_events WHERE incident_id = ${r.id} AND kind = 'notified'`;
    return paged ? r.id : undefined;
  }, 'the incident to escalate and page');
}

interface Row {
  status: string;
  acknowledgement: { by: string } | null;
  resolutionNote: string | null;
  /** How many events its timeline holds. */
  events: number;
}

async function row(id: string): Promise<Row> {
  const [r] = await stack.sql<Row[]>`
    SELECT status, acknowledgement, resolution_note AS "resolutionNote",
      (SELECT count(*)::int FROM incident_events e WHERE e.incident_id = i.id) AS events
    FROM incidents i WHERE id = ${id}`;
  return r!;
}

/** Every Update a person sends about an incident, with the arguments besides the comment. */
function updates(id: string, otherId: string, alertId: string) {
  return [
    { name: 'approveIncident', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    { name: 'rejectIncident', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    { name: 'acknowledgeIncident', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    { name: 'startIncidentWork', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    { name: 'resolveIncident', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    { name: 'reopenIncident', decl: '$id: ID!', args: 'id: $id', vars: { id } },
    {
      name: 'assignIncident',
      decl: '$id: ID!, $userId: ID!',
      args: 'id: $id, userId: $userId',
      vars: { id, userId: lead.id },
    },
    {
      name: 'mergeIncidents',
      decl: '$id: ID!, $sources: [ID!]!',
      args: 'targetId: $id, sourceIds: $sources',
      vars: { id, sources: [otherId] },
    },
    {
      name: 'splitIncident',
      decl: '$id: ID!, $alerts: [ID!]!',
      args: 'id: $id, alertIds: $alerts',
      vars: { id, alerts: [alertId] },
    },
  ];
}

describe('text that cannot be stored', () => {
  it('refuses NUL or a lone surrogate in the comment of every Update by name; the incident still works', async () => {
    const id = await openIncident('srv-text-01');
    const otherId = await openIncident('srv-text-02');
    const [alert] = await stack.sql<{ id: string }[]>`SELECT id FROM alerts WHERE incident_id = ${id}`;
    const before = await row(id);

    for (const u of updates(id, otherId, alert!.id)) {
      for (const [comment, problem] of [
        ['nul \u0000 here', 'holds a NUL character (U+0000) at position 4; remove it'],
        // JSON.stringify writes it as "\ud800", as a client that cut an emoji in two would send it.
        ['cut emoji \ud83d', 'holds an unpaired surrogate (U+D83D) at position 10'],
      ] as const) {
        const answer = await graphql(
          stack.url,
          `mutation(${u.decl}, $comment: String) { ${u.name}(${u.args}, comment: $comment) { id } }`,
          { ...u.vars, comment },
          lead.token,
        );
        expect(answer.data ?? null, u.name).toBeNull();
        expect(answer.errors, u.name).toHaveLength(1);
        expect(answer.errors![0]!.message, u.name).toContain(`The argument "comment" of ${u.name} ${problem}`);
        expect(answer.errors![0]!.extensions, u.name).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: u.name,
          argument: 'comment',
        });
      }
    }
    // Inline in the document as well as in variables.
    const inline = await graphql(
      stack.url,
      `mutation { acknowledgeIncident(id: "${id}", comment: "inline \\u0000") { id } }`,
      {},
      lead.token,
    );
    expect(inline.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'comment' });

    // Nothing of it reached the incident, its workflow or the audit log.
    expect(await row(id)).toEqual(before);
    const [audited] = await stack.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM audit_log WHERE target_id IN (${id}, ${otherId})`;
    expect(audited.n).toBe(0);

    // A clean comment works at once: acknowledged, then resolved with the note.
    const ack = await graphql(
      stack.url,
      'mutation($id: ID!, $c: String) { acknowledgeIncident(id: $id, comment: $c) { status } }',
      { id, c: 'looking at it' },
      lead.token,
    );
    expect(ack.errors).toBeUndefined();
    await eventually(async () => (await row(id)).acknowledgement?.by === lead.email, 'the acknowledgement to save');
    const resolved = await graphql(
      stack.url,
      'mutation($id: ID!, $c: String) { resolveIncident(id: $id, comment: $c) { status } }',
      { id, c: 'restarted the consumer' },
      lead.token,
    );
    expect(resolved.errors).toBeUndefined();
    await eventually(async () => {
      const r = await row(id);
      return r.status === 'resolved' && r.resolutionNote === 'restarted the consumer';
    }, 'the resolution to save');
  });

  it('cuts a comment past 2,000 characters without splitting the character at the cut', async () => {
    const id = await openIncident('srv-text-03');
    const note = `${'x'.repeat(1999)}\u{1F525} and the rest`;
    const resolved = await graphql(
      stack.url,
      'mutation($id: ID!, $c: String) { resolveIncident(id: $id, comment: $c) { resolutionNote } }',
      { id, c: note },
      lead.token,
    );
    expect(resolved.errors).toBeUndefined();
    expect(resolved.data).toEqual({ resolveIncident: { resolutionNote: 'x'.repeat(1999) } });
    await eventually(
      async () => (await row(id)).resolutionNote === 'x'.repeat(1999),
      'the note to save, cut before the emoji',
    );
  });

  it('refuses such text in any other argument too, naming the path into an input', async () => {
    const answer = await graphql(
      stack.url,
      `
        mutation ($input: SilenceInput!) {
          createSilence(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          companyId: company.companyId,
          comment: 'maintenance \u0000',
          durationMinutes: 30,
          matchers: [{ field: 'asset', op: '=', value: 'db-\udc00' }],
        },
      },
      lead.token,
    );
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'createSilence',
      argument: expect.stringMatching(/^input\.(comment|matchers\[0\]\.value)$/),
    });
    const [silences] = await stack.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM silences WHERE company_id = ${company.companyId}`;
    expect(silences.n).toBe(0);
  });
});
