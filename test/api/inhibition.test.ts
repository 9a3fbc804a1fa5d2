// Inhibition rules on the live path (issue 16 item 5): alerts through the real webhook, routed by the stack's router
// pass by pass, incidents saved by the real workflow. What a person sees is asserted: which incidents there are, the
// alerts each one lists with their inhibition, and the counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlerts } from '../helpers/event-time.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

async function route(): Promise<void> {
  while ((await stack.router.routeBatch()) > 0);
}

async function member(company: TestCompany, role: 'technician' | 'company_admin'): Promise<string> {
  const u = await createUser(stack.sql, role, [company.companyId]);
  return login(stack.url, u.email, u.password);
}

const RULE = `mutation($i: InhibitionRuleInput!) {
  createInhibitionRule(input: $i) { id name equal comment createdBy inhibitedCount invalidReason
    sourceMatchers { field op value } targetMatchers { field op value } }
}`;

/** An uplink down inhibits the services behind it (not a host fault: no host-fault folding in play). */
const uplinkDown = (companyId: string) => ({
  companyId,
  name: 'Uplink down hides its services',
  sourceMatchers: [{ field: 'signature', op: '=', value: 'UplinkDown' }],
  targetMatchers: [{ field: 'signature', op: '=~', value: 'Service.*' }],
  equal: ['label:instance'],
  comment: 'The uplink is the cause',
});

async function createRule(token: string, input: object) {
  return graphql<{ createInhibitionRule: { id: string; name: string; inhibitedCount: number } }>(
    stack.url,
    RULE,
    { i: input },
    token,
  );
}

/** Posts one alert through the real webhook and returns its stored id. */
async function post(
  company: TestCompany,
  signature: string,
  instance: string,
  extra: { sourceKey?: string; status?: 'resolved' } = {},
): Promise<string> {
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: signature === 'UplinkDown' ? `switch-${instance}` : `app-${instance}`,
    signature,
    severity: 'high',
    message: `${signature} on ${instance}`,
    tool_source: 'Prometheus',
    labels: { instance },
    ...(extra.sourceKey ? { source_key: extra.sourceKey } : {}),
    ...(extra.status ? { status: extra.status } : {}),
  });
  expect(res.status).toBeLessThan(300);
  const status = extra.status ?? 'firing';
  const [row] = await eventually(async () => {
    const rows = await stack.sql<{ id: string }[]>`
      SELECT id FROM alerts WHERE company_id = ${company.companyId} AND signature = ${signature}
        AND labels->>'instance' = ${instance} AND status = ${status}
      ORDER BY received_at DESC LIMIT 1`;
    return rows.length ? rows : undefined;
  }, `the ${signature} alert on ${instance} to be stored`);
  return row!.id;
}

/** The incident an alert is in, once it is in one. */
async function incidentOf(alertId: string): Promise<string> {
  return eventually(async () => {
    const [a] = await stack.sql<{ incidentId: string | null }[]>`
      SELECT incident_id AS "incidentId" FROM alerts WHERE id = ${alertId}`;
    return a?.incidentId ?? undefined;
  }, `alert ${alertId} to reach an incident`);
}

async function incidentCount(companyId: string): Promise<number> {
  const [r] = await stack.sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM incidents WHERE company_id = ${companyId}`;
  return r!.n;
}

interface ShownIncident {
  inhibitedCount: number;
  alerts: Array<{
    id: string;
    inhibition: { ruleId: string; ruleName: string; sourceAlertId: string; releasedAt: string | null } | null;
  }>;
}

async function shown(token: string, incidentId: string): Promise<ShownIncident> {
  const r = await graphql<{ incident: ShownIncident }>(
    stack.url,
    `
      query ($id: ID!) {
        incident(id: $id) {
          inhibitedCount
          alerts {
            id
            inhibition {
              ruleId
              ruleName
              sourceAlertId
              releasedAt
            }
          }
        }
      }
    `,
    { id: incidentId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.incident;
}

describe('inhibition rules', () => {
  it('attaches a target to its firing source’s incident, and to its own once the source resolves', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    const created = await createRule(admin, uplinkDown(company.companyId));
    expect(created.errors).toBeUndefined();
    const rule = created.data!.createInhibitionRule;
    expect(rule).toMatchObject({ name: 'Uplink down hides its services', inhibitedCount: 0 });

    const source = await post(company, 'UplinkDown', 'i-1', { sourceKey: 'uplink-i-1' });
    await route();
    const sourceIncident = await incidentOf(source);

    // Same instance: inhibited, attached to the uplink’s incident, routed, opening nothing.
    const target = await post(company, 'ServiceDown:nginx', 'i-1');
    // Another instance: its own incident.
    const other = await post(company, 'ServiceDown:nginx', 'i-2');
    await route();
    expect(await incidentOf(target)).toBe(sourceIncident);
    const otherIncident = await incidentOf(other);
    expect(otherIncident).not.toBe(sourceIncident);
    const [row] = await stack.sql<{ routed: boolean; inhibitedBy: unknown; groupId: string | null }[]>`
      SELECT routed_at IS NOT NULL AS routed, inhibited_by AS "inhibitedBy", group_id AS "groupId"
      FROM alerts WHERE id = ${target}`;
    expect(row).toEqual({
      routed: true,
      inhibitedBy: { ruleId: rule.id, ruleName: rule.name, sourceAlertId: source },
      groupId: null,
    });
    expect(await incidentCount(company.companyId)).toBe(2);

    const seen = await shown(admin, sourceIncident);
    expect(seen.inhibitedCount).toBe(1);
    expect(seen.alerts.find((a) => a.id === target)?.inhibition).toEqual({
      ruleId: rule.id,
      ruleName: rule.name,
      sourceAlertId: source,
      releasedAt: null,
    });
    expect(seen.alerts.find((a) => a.id === source)?.inhibition).toBeNull();
    expect((await shown(admin, otherIncident)).inhibitedCount).toBe(0);
    const listed = await graphql<{ company: { inhibitionRules: Array<{ id: string; inhibitedCount: number }> } }>(
      stack.url,
      'query($id: ID!) { company(id: $id) { inhibitionRules { id inhibitedCount } } }',
      { id: company.companyId },
      admin,
    );
    expect(listed.data!.company.inhibitionRules).toEqual([{ id: rule.id, inhibitedCount: 1 }]);

    // The uplink recovers at source: its target goes back to be routed, and now opens its own incident.
    await post(company, 'UplinkDown', 'i-1', { sourceKey: 'uplink-i-1', status: 'resolved' });
    await route();
    const released = await eventually(async () => {
      const [a] = await stack.sql<{ releasedAt: string | null; incidentId: string | null }[]>`
        SELECT inhibition_released_at AS "releasedAt", incident_id AS "incidentId" FROM alerts WHERE id = ${target}`;
      return a?.releasedAt ? a : undefined;
    }, 'the target to be released');
    expect(released.incidentId).toBeNull();
    await route();
    const own = await incidentOf(target);
    expect([sourceIncident, otherIncident]).not.toContain(own);
    const after = await shown(admin, own);
    expect(after.alerts.find((a) => a.id === target)?.inhibition).toMatchObject({
      sourceAlertId: source,
      releasedAt: expect.any(String),
    });
    expect((await shown(admin, sourceIncident)).inhibitedCount).toBe(0);
  });

  it('links a target to the incident its source opens in the same pass, released as that resolves', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    expect((await createRule(admin, uplinkDown(company.companyId))).errors).toBeUndefined();
    // No source identity: only the incident's resolution can release its target.
    const source = await post(company, 'UplinkDown', 'i-3');
    const target = await post(company, 'ServiceDown:db', 'i-3');
    await route();
    const sourceIncident = await incidentOf(source);
    expect(await incidentOf(target)).toBe(sourceIncident);
    expect(await incidentCount(company.companyId)).toBe(1);

    const resolved = await graphql<{ resolveIncident: { status: string } }>(
      stack.url,
      'mutation($id: ID!) { resolveIncident(id: $id, comment: "Uplink replaced") { status } }',
      { id: sourceIncident },
      admin,
    );
    expect(resolved.errors).toBeUndefined();
    await eventually(async () => {
      const [a] = await stack.sql<{ released: boolean }[]>`
        SELECT inhibition_released_at IS NOT NULL AS released FROM alerts WHERE id = ${target}`;
      return a?.released;
    }, 'the target to be released as its incident resolves');
    await route();
    const own = await eventually(async () => {
      const [a] = await stack.sql<{ incidentId: string | null }[]>`
        SELECT incident_id AS "incidentId" FROM alerts WHERE id = ${target}`;
      return a?.incidentId && a.incidentId !== sourceIncident ? a.incidentId : undefined;
    }, 'the released target to open its own incident');
    expect(own).not.toBe(sourceIncident);
  });

  it('lets a silence win over a rule, and routes afresh the alerts a deleted rule held', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    const made = await createRule(admin, uplinkDown(company.companyId));
    expect(made.errors).toBeUndefined();
    const silenced = await graphql(
      stack.url,
      'mutation($i: SilenceInput!) { createSilence(input: $i) { id } }',
      {
        i: {
          companyId: company.companyId,
          matchers: [{ field: 'signature', op: '=', value: 'ServiceDown:cron' }],
          durationMinutes: 60,
          comment: 'Cron is being replaced',
        },
      },
      admin,
    );
    expect(silenced.errors).toBeUndefined();
    const source = await post(company, 'UplinkDown', 'i-5', { sourceKey: 'uplink-i-5' });
    await route();
    const sourceIncident = await incidentOf(source);
    const muted = await post(company, 'ServiceDown:cron', 'i-5');
    const target = await post(company, 'ServiceDown:web', 'i-5');
    await route();
    expect(await incidentOf(target)).toBe(sourceIncident);
    const [m] = await stack.sql<{ mutedBy: unknown; inhibitedBy: unknown; incidentId: string | null }[]>`
      SELECT muted_by AS "mutedBy", inhibited_by AS "inhibitedBy", incident_id AS "incidentId"
      FROM alerts WHERE id = ${muted}`;
    expect(m).toMatchObject({ mutedBy: { kind: 'silence' }, inhibitedBy: null, incidentId: null });

    const deleted = await graphql<{ deleteInhibitionRule: boolean }>(
      stack.url,
      'mutation($id: ID!) { deleteInhibitionRule(id: $id) }',
      { id: made.data!.createInhibitionRule.id },
      admin,
    );
    expect(deleted.data?.deleteInhibitionRule).toBe(true);
    await route();
    const own = await eventually(async () => {
      const [a] = await stack.sql<{ incidentId: string | null; released: boolean }[]>`
        SELECT incident_id AS "incidentId", inhibition_released_at IS NOT NULL AS released
        FROM alerts WHERE id = ${target}`;
      return a?.released && a.incidentId && a.incidentId !== sourceIncident ? a.incidentId : undefined;
    }, 'the alert the deleted rule held to open its own incident');
    expect(own).not.toBe(sourceIncident);
    expect((await shown(admin, sourceIncident)).inhibitedCount).toBe(0);
  });

  it('counts a source without a source identity only within the correlation window of the target', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    expect((await createRule(admin, uplinkDown(company.companyId))).errors).toBeUndefined();
    // Stored as a tool without a source identity sent them: 5 and 40 minutes ago (the window is 15 minutes).
    const [recent, old] = await storeAlerts(stack, company.companyId, [
      { asset: 'switch-i-6', signature: 'UplinkDown', minutesAgo: 5, labels: { instance: 'i-6' } },
      { asset: 'switch-i-7', signature: 'UplinkDown', minutesAgo: 40, labels: { instance: 'i-7' } },
    ]);
    await route();
    const recentIncident = await incidentOf(recent!);
    await incidentOf(old!);
    const held = await post(company, 'ServiceDown:web', 'i-6');
    const loud = await post(company, 'ServiceDown:web', 'i-7');
    await route();
    expect(await incidentOf(held)).toBe(recentIncident);
    expect(await incidentOf(loud)).not.toBe(await incidentOf(old!));
    const [r] = await stack.sql<{ inhibitedBy: unknown }[]>`
      SELECT inhibited_by AS "inhibitedBy" FROM alerts WHERE id = ${loud}`;
    expect(r!.inhibitedBy).toBeNull();
  });

  it("never lets one company's rule or source touch another company's alerts", async () => {
    const a = await createCompany(stack.sql, { runbooks: [] });
    const b = await createCompany(stack.sql, { runbooks: [] });
    const adminA = await member(a, 'company_admin');
    expect((await createRule(adminA, uplinkDown(a.companyId))).errors).toBeUndefined();
    // B's uplink is down, and B's service on the same instance name: B has no rule, so both open incidents.
    const bSource = await post(b, 'UplinkDown', 'i-9', { sourceKey: 'uplink-i-9' });
    await route();
    await incidentOf(bSource);
    const bTarget = await post(b, 'ServiceDown:api', 'i-9');
    // A's service on that instance name: A's rule applies, but A has no firing source.
    const aTarget = await post(a, 'ServiceDown:api', 'i-9');
    await route();
    expect(await incidentOf(bTarget)).not.toBe(await incidentOf(bSource));
    await incidentOf(aTarget);
    const [held] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE id = ANY(${[aTarget, bTarget]}) AND inhibited_by IS NOT NULL`;
    expect(held!.n).toBe(0);
  });

  it('refuses bad input by field, lets only admins write, reads as not found across tenants, audits', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    const tech = await member(company, 'technician');
    const fields = async (input: object) => {
      const extensions = (await createRule(admin, input)).errors?.[0]?.extensions as
        { fields?: Array<{ field: string }> } | undefined;
      return extensions?.fields?.map((f) => f.field);
    };
    expect(await fields({ ...uplinkDown(company.companyId), equal: ['host'] })).toEqual(['equal.0']);
    expect(
      await fields({
        ...uplinkDown(company.companyId),
        sourceMatchers: [{ field: 'signature', op: '=~', value: '(?=Uplink)' }],
      }),
    ).toEqual(['sourceMatchers.0.value']);
    expect(await fields({ ...uplinkDown(company.companyId), name: '' })).toEqual(['name']);

    const byTech = await createRule(tech, uplinkDown(company.companyId));
    expect(byTech.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const made = await createRule(admin, uplinkDown(company.companyId));
    expect(made.errors).toBeUndefined();
    const id = made.data!.createInhibitionRule.id;
    // Technicians read them.
    const read = await graphql<{ company: { inhibitionRules: Array<{ id: string }> } }>(
      stack.url,
      'query($id: ID!) { company(id: $id) { inhibitionRules { id } } }',
      { id: company.companyId },
      tech,
    );
    expect(read.data!.company.inhibitionRules.map((r) => r.id)).toEqual([id]);

    const DELETE = 'mutation($id: ID!) { deleteInhibitionRule(id: $id) }';
    const techDelete = await graphql(stack.url, DELETE, { id }, tech);
    expect(techDelete.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Another company's admin: the same not-found as an id that does not exist.
    const stranger = await member(await createCompany(stack.sql, { runbooks: [] }), 'company_admin');
    const foreign = await graphql(stack.url, DELETE, { id }, stranger);
    const missing = await graphql(stack.url, DELETE, { id: 'no-such-rule' }, stranger);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.errors?.[0]?.message).toBe(`Inhibition rule ${id} not found`);
    expect(missing.errors?.[0]?.message).toBe('Inhibition rule no-such-rule not found');
    const foreignCreate = await createRule(stranger, uplinkDown(company.companyId));
    expect(foreignCreate.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const deleted = await graphql<{ deleteInhibitionRule: boolean }>(stack.url, DELETE, { id }, admin);
    expect(deleted.data?.deleteInhibitionRule).toBe(true);
    const audit = await stack.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE company_id = ${company.companyId} AND target_id = ${id} ORDER BY id`;
    expect(audit.map((r) => r.action)).toEqual(['inhibition_rule.created', 'inhibition_rule.deleted']);
  });

  it('holds a company to MAX_INHIBITION_RULES', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const admin = await member(company, 'company_admin');
    const before = process.env.MAX_INHIBITION_RULES;
    process.env.MAX_INHIBITION_RULES = '1';
    try {
      expect((await createRule(admin, uplinkDown(company.companyId))).errors).toBeUndefined();
      const over = await createRule(admin, { ...uplinkDown(company.companyId), name: 'Second' });
      expect(over.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(over.errors?.[0]?.message).toMatch(/MAX_INHIBITION_RULES = 1/);
    } finally {
      if (before === undefined) delete process.env.MAX_INHIBITION_RULES;
      else process.env.MAX_INHIBITION_RULES = before;
    }
  });
});
