// Silences and maintenance windows on the live path, in event time: muted alerts are stored, counted and
// listed, open no incident; a silence ends at its end, by hand, or when its incident resolves.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationKey } from '../../domain/correlation.ts';
import { wallClock } from '../../domain/silences.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

const MINUTE = 60_000;

async function store(companyId: string, asset: string, minutesAgo: number, signature = 'queue_stuck'): Promise<string> {
  const id = randomUUID();
  await stack.sql`
    INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
      tool_source, received_at)
    VALUES (${id}, ${companyId}, ${id}, ${asset}, ${signature}, ${aggregationKey(asset, signature)}, 'high', 'm',
      'Prometheus', ${new Date(Date.now() - minutesAgo * MINUTE).toISOString()})`;
  return id;
}

async function route(): Promise<void> {
  while ((await stack.router.routeBatch()) > 0);
}

async function fate(alertId: string): Promise<{ muted: unknown; incidentId: string | null }> {
  return eventually(async () => {
    const [a] = await stack.sql<{ muted_by: unknown; incident_id: string | null; routed_at: string | null }[]>`
      SELECT muted_by, incident_id, routed_at FROM alerts WHERE id = ${alertId}`;
    if (!a?.routed_at) return undefined;
    if (!a.muted_by && !a.incident_id) return undefined; // routed, its incident not saved yet
    return { muted: a.muted_by, incidentId: a.incident_id };
  }, `alert ${alertId} to be muted or join an incident`);
}

async function member(company: TestCompany, role: 'technician' | 'company_admin' = 'technician'): Promise<string> {
  const u = await createUser(stack.sql, role, [company.companyId]);
  return login(stack.url, u.email, u.password);
}

const CREATE = 'mutation($i:SilenceInput!){ createSilence(input:$i) { id state endsAt untilResolved } }';

describe('silences', () => {
  it('mutes matching alerts (stored, counted, listed) and lets the others open incidents', async () => {
    const company = await createCompany(stack.sql);
    const token = await member(company);
    const created = await graphql<{ createSilence: { id: string; state: string } }>(
      stack.url,
      CREATE,
      {
        i: {
          companyId: company.companyId,
          matchers: [{ field: 'asset', op: '=~', value: 'srv-s-.*' }],
          durationMinutes: 60,
          comment: 'Rebuilding the staging pool',
        },
      },
      token,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createSilence.state).toBe('active');
    const silenceId = created.data!.createSilence.id;

    const mutedId = await store(company.companyId, 'srv-s-1', 0);
    const loudId = await store(company.companyId, 'srv-loud', 0);
    await route();
    expect(await fate(mutedId)).toEqual({ muted: { kind: 'silence', id: silenceId }, incidentId: null });
    expect((await fate(loudId)).incidentId).toEqual(expect.any(String));

    const seen = await graphql<{
      company: {
        silences: Array<{ id: string; mutedCount: number }>;
        mutedAlerts: { total: number; alerts: unknown[] };
      };
    }>(
      stack.url,
      `
        query ($c: ID!) {
          company(id: $c) {
            silences {
              id
              mutedCount
            }
            mutedAlerts {
              total
              alerts {
                id
                mutedByKind
                silenceId
              }
            }
          }
        }
      `,
      { c: company.companyId },
      token,
    );
    expect(seen.data!.company.silences).toEqual([{ id: silenceId, mutedCount: 1 }]);
    expect(seen.data!.company.mutedAlerts).toEqual({
      total: 1,
      alerts: [{ id: mutedId, mutedByKind: 'silence', silenceId }],
    });
    const [audited] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE target_id = ${silenceId} AND action = 'silence.created'`;
    expect(audited!.n).toBe(1);
  });

  it('stops muting at its end (event time) and once expired by hand', async () => {
    const company = await createCompany(stack.sql);
    // From 60 to 30 minutes ago.
    await stack.sql`
      INSERT INTO silences (id, company_id, matchers, starts_at, ends_at, comment, created_by)
      VALUES (${randomUUID()}, ${company.companyId}, ${stack.sql.json([{ field: 'asset', op: '=', value: 'srv-e' }])},
        now() - interval '60 minutes', now() - interval '30 minutes', 'past', 'test')`;
    const during = await store(company.companyId, 'srv-e', 45);
    const after = await store(company.companyId, 'srv-e', 10);
    await route();
    expect((await fate(during)).muted).toMatchObject({ kind: 'silence' });
    expect((await fate(after)).incidentId).toEqual(expect.any(String));

    const token = await member(company);
    const s = await graphql<{ createSilence: { id: string } }>(
      stack.url,
      CREATE,
      {
        i: {
          companyId: company.companyId,
          matchers: [{ field: 'asset', op: '=', value: 'srv-h' }],
          durationMinutes: 120,
          comment: 'x',
        },
      },
      token,
    );
    const expired = await graphql<{ expireSilence: { state: string } }>(
      stack.url,
      'mutation($id:ID!){ expireSilence(id:$id) { state } }',
      { id: s.data!.createSilence.id },
      token,
    );
    expect(expired.data!.expireSilence.state).toBe('expired');
    // Stored after the expiry was committed, so its received_at is past the silence's end.
    const later = await store(company.companyId, 'srv-h', 0);
    await route();
    expect((await fate(later)).incidentId).toEqual(expect.any(String));
  });

  it('ends a silence tied to an incident when that incident resolves', async () => {
    const company = await createCompany(stack.sql);
    const token = await member(company);
    const first = await store(company.companyId, 'srv-r', 1);
    await route();
    const incidentId = (await fate(first)).incidentId!;
    await eventually(async () => {
      const [i] = await stack.sql<{ status: string }[]>`SELECT status FROM incidents WHERE id = ${incidentId}`;
      return i?.status === 'escalated';
    }, 'the incident to escalate');

    const s = await graphql<{ createSilence: { id: string; untilResolved: string } }>(
      stack.url,
      CREATE,
      {
        i: {
          companyId: company.companyId,
          matchers: [{ field: 'asset', op: '=', value: 'srv-r' }],
          untilResolved: incidentId,
          comment: 'Known, being fixed',
        },
      },
      token,
    );
    expect(s.errors).toBeUndefined();
    expect(s.data!.createSilence.untilResolved).toBe(incidentId);
    // Another company's incident reads as missing.
    const other = await createCompany(stack.sql);
    const foreign = await graphql(
      stack.url,
      CREATE,
      {
        i: {
          companyId: other.companyId,
          matchers: [{ field: 'asset', op: '=', value: 'x' }],
          untilResolved: incidentId,
          comment: 'x',
        },
      },
      await member(other),
    );
    expect(foreign.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'untilResolved', message: 'no such incident in this company' }],
    });

    const during = await store(company.companyId, 'srv-r', 0, 'other_check');
    await route();
    expect((await fate(during)).muted).toMatchObject({ kind: 'silence' });

    const resolved = await graphql(
      stack.url,
      'mutation($id:ID!){ resolveIncident(id:$id, comment:"fixed the queue") { id } }',
      { id: incidentId },
      token,
    );
    expect(resolved.errors).toBeUndefined();
    await eventually(async () => {
      const [i] = await stack.sql<
        { resolved_at: string | null }[]
      >`SELECT resolved_at FROM incidents WHERE id = ${incidentId}`;
      return i?.resolved_at;
    }, 'the resolution to be stored');
    const after = await store(company.companyId, 'srv-r', 0);
    await route();
    expect((await fate(after)).incidentId).toEqual(expect.any(String));
    const list = await graphql<{ company: { silences: Array<{ state: string }> } }>(
      stack.url,
      'query($c:ID!){ company(id:$c) { silences { state } } }',
      { c: company.companyId },
      token,
    );
    expect(list.data!.company.silences).toEqual([{ state: 'expired' }]);
  });

  it('refuses bad silences with each field named', async () => {
    const company = await createCompany(stack.sql);
    const r = await graphql(
      stack.url,
      CREATE,
      {
        i: {
          companyId: company.companyId,
          matchers: [
            { field: 'host', op: '=', value: 'x' },
            { field: 'asset', op: '=~', value: '(' },
          ],
          comment: ' ',
        },
      },
      await member(company),
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((r.errors![0]!.extensions as { fields: Array<{ field: string }> }).fields.map((f) => f.field)).toEqual([
      'matchers.0.field',
      'matchers.1.value',
      'comment',
    ]);
  });
});

describe('maintenance windows', () => {
  it('mutes alerts inside the company’s recurring window, on its wall clock, and names the window', async () => {
    const company = await createCompany(stack.sql);
    const tz = 'Asia/Kolkata'; // +05:30: a window in UTC would be off by the half hour
    const hhmm = (ms: number) => {
      const { minutes } = wallClock(ms, tz);
      return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    };
    const admin = await member(company, 'company_admin');
    const bad = await graphql(
      stack.url,
      'mutation($id:ID!,$s:JSON){ updateCompany(id:$id,input:{settings:$s}) { id } }',
      {
        id: company.companyId,
        s: { maintenanceWindows: [{ name: 'x', days: ['sat'], start: '25:00', end: '02:00' }] },
      },
      admin,
    );
    expect((bad.errors?.[0]?.extensions as { fields: Array<{ field: string }> }).fields).toEqual([
      { field: 'settings.maintenanceWindows.0.start', message: 'must be HH:MM' },
    ]);
    const window = {
      name: 'Nightly patching',
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: hhmm(Date.now() - 20 * MINUTE),
      end: hhmm(Date.now() + 20 * MINUTE),
    };
    const ok = await graphql(
      stack.url,
      'mutation($id:ID!,$s:JSON){ updateCompany(id:$id,input:{settings:$s}) { id } }',
      { id: company.companyId, s: { timeZone: tz, maintenanceWindows: [window] } },
      admin,
    );
    expect(ok.errors).toBeUndefined();
    const inside = await store(company.companyId, 'srv-p', 5);
    const before = await store(company.companyId, 'srv-q', 40);
    await route();
    expect((await fate(inside)).muted).toEqual({ kind: 'maintenance', name: 'Nightly patching' });
    expect((await fate(before)).incidentId).toEqual(expect.any(String));
  });
});
