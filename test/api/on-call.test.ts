// On-call rotations and the bell over GraphQL on the real stack: a company admin sets a rotation (validated), a
// technician reads it, an override takes over, and an escalated incident is given to the person on call, whose
// bell shows the page until they read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
const token: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, timeZone: 'Europe/Berlin' } });
  admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
  alice = await createUser(stack.sql, 'technician', [company.companyId]);
  bob = await createUser(stack.sql, 'technician', [company.companyId]);
  for (const u of [admin, alice, bob]) token[u.id] = await login(stack.url, u.email, u.password);
});
afterAll(async () => {
  await stack?.stop();
});

const SAVE = `mutation($id: ID, $i: OnCallScheduleInput!) {
  saveOnCallSchedule(id: $id, input: $i) { id name category onCallNow { layer userId email } }
}`;
const fieldsOf = (r: { errors?: Array<{ extensions?: unknown }> }) =>
  (r.errors?.[0]?.extensions as { fields?: unknown } | undefined)?.fields;
const layer = (userIds: string[]) => ({ userIds, rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' });

describe('on-call rotations', () => {
  it('lets a company admin set a rotation, refuses bad ones with the field, and shows who is on call', async () => {
    const outsider = await createUser(stack.sql, 'technician', [(await createCompany(stack.sql)).companyId]);
    const bad = await graphql(
      stack.url,
      SAVE,
      { i: { companyId: company.companyId, name: 'DB', category: 'database', layers: [layer([outsider.id])] } },
      token[admin.id],
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'layers.0.userIds', message: `not an active member of this company: ${outsider.id}` }],
    });
    const badTime = await graphql(
      stack.url,
      SAVE,
      {
        i: {
          companyId: company.companyId,
          name: 'DB',
          layers: [{ ...layer([alice.id]), handoffTime: '25:00' }],
        },
      },
      token[admin.id],
    );
    expect(fieldsOf(badTime)).toEqual([{ field: 'layers.0.handoffTime', message: 'must be HH:MM' }]);

    const asTech = await graphql(
      stack.url,
      SAVE,
      { i: { companyId: company.companyId, name: 'DB', layers: [layer([alice.id])] } },
      token[alice.id],
    );
    expect(asTech.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const saved = await graphql<{ saveOnCallSchedule: { id: string; onCallNow: Array<{ userId: string }> } }>(
      stack.url,
      SAVE,
      {
        i: {
          companyId: company.companyId,
          name: 'Databases',
          category: 'Database',
          layers: [layer([alice.id]), layer([bob.id])],
        },
      },
      token[admin.id],
    );
    expect(saved.errors).toBeUndefined();
    expect(saved.data!.saveOnCallSchedule).toMatchObject({
      name: 'Databases',
      category: 'database',
      onCallNow: [
        { layer: 0, userId: alice.id, email: alice.email },
        { layer: 1, userId: bob.id, email: bob.email },
      ],
    });
    const dup = await graphql(
      stack.url,
      SAVE,
      { i: { companyId: company.companyId, name: 'Other', category: 'database', layers: [layer([bob.id])] } },
      token[admin.id],
    );
    expect(fieldsOf(dup)).toEqual([{ field: 'category', message: 'another schedule covers this category' }]);

    // A technician reads the rotation; an override puts Bob first for the next hour.
    const scheduleId = saved.data!.saveOnCallSchedule.id;
    const now = Date.now();
    const override = await graphql<{ addOnCallOverride: { onCallNow: Array<{ userId: string }> } }>(
      stack.url,
      `
        mutation ($i: OnCallOverrideInput!) {
          addOnCallOverride(input: $i) {
            onCallNow {
              layer
              userId
            }
          }
        }
      `,
      {
        i: {
          scheduleId,
          userId: bob.id,
          startsAt: new Date(now - 60_000).toISOString(),
          endsAt: new Date(now + 3_600_000).toISOString(),
        },
      },
      token[admin.id],
    );
    expect(override.data!.addOnCallOverride.onCallNow[0]).toEqual({ layer: 0, userId: bob.id });
    const read = await graphql<{ company: { onCallSchedules: Array<{ overrides: Array<{ userEmail: string }> }> } }>(
      stack.url,
      'query($c: ID!) { company(id: $c) { onCallSchedules { overrides { userEmail } } } }',
      { c: company.companyId },
      token[alice.id],
    );
    expect(read.data!.company.onCallSchedules[0]!.overrides).toEqual([{ userEmail: bob.email }]);

    // Someone disabled after being put on the rota still shows, marked as skipped by the pager.
    await stack.sql`UPDATE users SET disabled_at = now() WHERE id = ${bob.id}`;
    const skipped = await graphql<{ company: { onCallSchedules: Array<{ onCallNow: unknown[] }> } }>(
      stack.url,
      'query($c: ID!) { company(id: $c) { onCallSchedules { onCallNow { layer userId active } } } }',
      { c: company.companyId },
      token[alice.id],
    );
    await stack.sql`UPDATE users SET disabled_at = NULL WHERE id = ${bob.id}`;
    expect(skipped.data!.company.onCallSchedules[0]!.onCallNow).toEqual([
      { layer: 0, userId: bob.id, active: false },
      { layer: 1, userId: bob.id, active: false },
    ]);
  });

  it('gives an escalated incident to the person on call, whose bell shows it until read', async () => {
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'pg-main',
      signature: 'replication_lag',
      severity: 'high',
      message: 'replica 400 s behind',
      tool_source: 'Prometheus',
    });
    expect(res.status).toBe(202);
    // Bob holds the override: the incident is his, and he is paged.
    const incident = await eventually(async () => {
      const [r] = await stack.sql<{ id: string; assigneeId: string | null; category: string | null }[]>`
        SELECT id, assignee_id AS "assigneeId", category FROM incidents
        WHERE company_id = ${company.companyId} AND asset_name = 'pg-main'`;
      const [paged] = r ? await stack.sql`SELECT 1 FROM notifications WHERE incident_id = ${r.id}` : [];
      return r && paged ? r : undefined;
    }, 'the incident to be assigned and paged');
    expect(incident).toMatchObject({ assigneeId: bob.id, category: 'database' });

    const bell = `{ unreadNotificationCount notifications { id title incidentId readAt } }`;
    const seen = await graphql<{
      unreadNotificationCount: number;
      notifications: Array<{ id: string; title: string; incidentId: string }>;
    }>(stack.url, bell, {}, token[bob.id]);
    expect(seen.data!.unreadNotificationCount).toBe(1);
    expect(seen.data!.notifications[0]).toMatchObject({
      incidentId: incident.id,
      title: expect.stringMatching(/^\[HIGH\] .*: replication_lag on pg-main \(level 1\)$/),
    });
    // Not Alice's: she was not paged, and cannot mark Bob's read.
    const hers = await graphql<{ unreadNotificationCount: number }>(stack.url, bell, {}, token[alice.id]);
    expect(hers.data!.unreadNotificationCount).toBe(0);
    const mark = 'mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }';
    expect((await graphql(stack.url, mark, { ids: [seen.data!.notifications[0]!.id] }, token[alice.id])).data).toEqual({
      markNotificationsRead: 0,
    });
    expect((await graphql(stack.url, mark, {}, token[bob.id])).data).toEqual({ markNotificationsRead: 1 });
    const after = await graphql<{ unreadNotificationCount: number }>(stack.url, bell, {}, token[bob.id]);
    expect(after.data!.unreadNotificationCount).toBe(0);
  });

  it('keeps each person’s notification preferences', async () => {
    const set = await graphql(
      stack.url,
      'mutation { setMyNotificationPreferences(email: false, minSeverity: high) { email minSeverity } }',
      {},
      token[alice.id],
    );
    expect(set.data).toEqual({ setMyNotificationPreferences: { email: false, minSeverity: 'high' } });
    const read = await graphql(stack.url, '{ myNotificationPreferences { email minSeverity } }', {}, token[bob.id]);
    expect(read.data).toEqual({ myNotificationPreferences: { email: true, minSeverity: null } });
  });
});
