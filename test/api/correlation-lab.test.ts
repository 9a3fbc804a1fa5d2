// The correlation lab over GraphQL: a company's stored alerts run through a proposed setting, beside the saved
// setting and what really happened; an uploaded set; a refused setting names its field; the company's inhibition
// rules are honoured in the replay (held alerts counted, named by rule, in no incident). Nothing is changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { storeAlerts } from '../helpers/event-time.ts';
import { insertIncident } from '../helpers/incidents.ts';
import { graphql, login, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

const LAB = `query($c: ID!, $s: JSON!, $a: [CorrelationLabAlertInput!]) {
  correlationLab(companyId: $c, settings: $s, alerts: $a) {
    alertCount happenedIncidentCount
    proposed { incidentCount heldAlerts noiseReduction }
    current { incidentCount noiseReduction }
    diff { mergeCount merges { key incidentIds } splitCount unchanged }
    incidents { key alertCount rule tools }
  }
}`;

interface Lab {
  alertCount: number;
  happenedIncidentCount: number | null;
  proposed: { incidentCount: number; heldAlerts: number; noiseReduction: number };
  current: { incidentCount: number; noiseReduction: number };
  diff: {
    mergeCount: number;
    merges: Array<{ key: string; incidentIds: string[] }>;
    splitCount: number;
    unchanged: number;
  } | null;
  incidents: Array<{ key: string; alertCount: number; rule: string; tools: string[] }>;
}

describe('correlation lab', () => {
  it('shows what a wider window would have made of the stored alerts, before it is saved', async () => {
    const company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const token = await login(stack.url, tech.email, tech.password);
    // cpu_high twice, a 40-minute quiet spell (past the 15-minute window: a recurrence), then twice more.
    const ids = await storeAlerts(stack, company.companyId, [
      { asset: 'app-1', signature: 'cpu_high', minutesAgo: 90 },
      { asset: 'app-1', signature: 'cpu_high', minutesAgo: 85 },
      { asset: 'app-1', signature: 'cpu_high', minutesAgo: 45 },
      { asset: 'app-1', signature: 'cpu_high', minutesAgo: 40 },
      { asset: 'db-1', signature: 'disk_full', minutesAgo: 30, tool: 'Zabbix' },
    ]);
    // What happened, as the router and the saved 15-minute window made it: three incidents. Written directly, so
    // the lab's comparison does not wait on workflows (correlation.test.ts covers that path).
    const happened = [
      { id: await insertIncident(stack.sql, company.companyId, 'app-1'), alerts: ids.slice(0, 2) },
      { id: await insertIncident(stack.sql, company.companyId, 'app-1'), alerts: ids.slice(2, 4) },
      { id: await insertIncident(stack.sql, company.companyId, 'db-1'), alerts: ids.slice(4) },
    ];
    for (const h of happened) await stack.sql`UPDATE alerts SET incident_id = ${h.id} WHERE id = ANY(${h.alerts})`;

    const r = await graphql<{ correlationLab: Lab }>(
      stack.url,
      LAB,
      { c: company.companyId, s: { windowMinutes: 60 } },
      token,
    );
    expect(r.errors).toBeUndefined();
    const lab = r.data!.correlationLab;
    expect(lab).toMatchObject({
      alertCount: 5,
      happenedIncidentCount: 3,
      proposed: { incidentCount: 2, heldAlerts: 0, noiseReduction: 0.6 },
      current: { incidentCount: 3, noiseReduction: 0.4 },
    });
    expect(lab.diff).toMatchObject({ mergeCount: 1, splitCount: 0, unchanged: 1 });
    expect(lab.diff!.merges[0]!.key).toBe('app-1|cpu_high');
    // The two cpu_high incidents that happened would be one.
    const merged = lab.diff!.merges[0]!.incidentIds;
    expect(merged).toHaveLength(2);
    expect(happened.map((h) => h.id)).toEqual(expect.arrayContaining(merged));
    expect(lab.incidents[0]).toMatchObject({ key: 'app-1|cpu_high', alertCount: 4 });

    // A minimum of 2 alerts: the lone disk alert would open nothing.
    const min = await graphql<{ correlationLab: Lab }>(
      stack.url,
      LAB,
      { c: company.companyId, s: { minAlerts: 2 } },
      token,
    );
    expect(min.data!.correlationLab.proposed).toMatchObject({ incidentCount: 2, heldAlerts: 1 });

    // The lab changed nothing.
    const [saved] = await stack.sql<{ settings: Record<string, unknown> }[]>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(saved!.settings).toEqual({ groupWaitSeconds: 0 });
  });

  it('runs an uploaded set, and names the field of a refused setting', async () => {
    const company = await createCompany(stack.sql);
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const at = (m: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + m * 60_000).toISOString();
    const alerts = [
      { at: at(0), asset: 'web-1', signature: 'http_5xx', tool: 'Datadog' },
      { at: at(1), asset: 'web-1', signature: 'http_5xx', tool: 'Prometheus' },
      { at: at(2), asset: 'web-2', signature: 'http_5xx', tool: 'Datadog', labels: { team: 'shop' } },
    ];
    const byAsset = await graphql<{ correlationLab: Lab }>(
      stack.url,
      LAB,
      { c: company.companyId, s: {}, a: alerts },
      token,
    );
    expect(byAsset.data!.correlationLab).toMatchObject({
      alertCount: 3,
      happenedIncidentCount: null,
      diff: null,
      proposed: { incidentCount: 2 },
    });
    expect(byAsset.data!.correlationLab.incidents[0]).toMatchObject({
      alertCount: 2,
      tools: ['Datadog', 'Prometheus'],
    });
    const bySignature = await graphql<{ correlationLab: Lab }>(
      stack.url,
      LAB,
      { c: company.companyId, s: { keyFields: ['signature'] }, a: alerts },
      token,
    );
    expect(bySignature.data!.correlationLab.proposed.incidentCount).toBe(1);

    const bad = await graphql(stack.url, LAB, { c: company.companyId, s: { windowMinutes: 90 } }, token);
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'correlation.windowMinutes', message: expect.stringContaining('60') }],
    });
  });

  it('honours the inhibition rules: a target held while its source fired is counted, in no group', async () => {
    const company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const created = await graphql<{ createInhibitionRule: { id: string } }>(
      stack.url,
      `
        mutation ($input: InhibitionRuleInput!) {
          createInhibitionRule(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          companyId: company.companyId,
          name: 'Node down hides its services',
          sourceMatchers: [{ field: 'signature', op: '=', value: 'node_down' }],
          targetMatchers: [{ field: 'signature', op: '=~', value: 'http_.*' }],
          equal: ['asset'],
        },
      },
      token,
    );
    expect(created.errors).toBeUndefined();
    const ruleId = created.data!.createInhibitionRule.id;
    // The node is down from 60 to 40 minutes ago: the 5xx during it is held, the one after it and the other
    // asset's are not.
    const [down, during] = await storeAlerts(stack, company.companyId, [
      { asset: 'web-1', signature: 'node_down', minutesAgo: 60 },
      { asset: 'web-1', signature: 'http_5xx', minutesAgo: 55 },
      { asset: 'web-1', signature: 'http_5xx', minutesAgo: 30 },
      { asset: 'web-2', signature: 'http_5xx', minutesAgo: 50 },
    ]);
    await stack.sql`UPDATE alerts SET resolved_at = now() - interval '40 minutes' WHERE id = ${down!}`;

    const query = `query($c: ID!) {
      correlationLab(companyId: $c, settings: {}) {
        alertCount
        proposed { incidentCount inhibitedAlerts }
        current { incidentCount inhibitedAlerts }
        incidents { key alertCount }
        inhibitionRules { ruleId name inhibitedAlerts invalidReason }
        inhibitedAlerts { alertId ruleId ruleName sourceAlertId }
      }
    }`;
    const r = await graphql<{
      correlationLab: Lab & {
        proposed: { inhibitedAlerts: number };
        current: { inhibitedAlerts: number };
        inhibitionRules: Array<{ ruleId: string; name: string; inhibitedAlerts: number; invalidReason: string | null }>;
        inhibitedAlerts: Array<{ alertId: string; ruleId: string; ruleName: string; sourceAlertId: string }>;
      };
    }>(stack.url, query, { c: company.companyId }, token);
    expect(r.errors).toBeUndefined();
    const lab = r.data!.correlationLab;
    expect(lab).toMatchObject({
      alertCount: 4,
      proposed: { incidentCount: 3, inhibitedAlerts: 1 },
      current: { incidentCount: 3, inhibitedAlerts: 1 },
    });
    expect(lab.inhibitionRules).toEqual([
      { ruleId, name: 'Node down hides its services', inhibitedAlerts: 1, invalidReason: null },
    ]);
    expect(lab.inhibitedAlerts).toEqual([
      { alertId: during, ruleId, ruleName: 'Node down hides its services', sourceAlertId: down },
    ]);
    expect(lab.incidents.reduce((n, g) => n + g.alertCount, 0)).toBe(3);

    // A source from before the window looked at, still firing with a source identity, holds a target inside it.
    const [since, inside] = await storeAlerts(stack, company.companyId, [
      { asset: 'web-3', signature: 'node_down', minutesAgo: 180 },
      { asset: 'web-3', signature: 'http_5xx', minutesAgo: 10 },
    ]);
    await stack.sql`UPDATE alerts SET source_key = ${`fp-${since!}`} WHERE id = ${since!}`;
    const windowed = await graphql<{
      correlationLab: { alertCount: number; inhibitedAlerts: Array<{ alertId: string; sourceAlertId: string }> };
    }>(
      stack.url,
      `
        query ($c: ID!, $from: DateTime) {
          correlationLab(companyId: $c, settings: {}, from: $from) {
            alertCount
            inhibitedAlerts {
              alertId
              sourceAlertId
            }
          }
        }
      `,
      { c: company.companyId, from: new Date(Date.now() - 20 * 60_000).toISOString() },
      token,
    );
    expect(windowed.errors).toBeUndefined();
    expect(windowed.data!.correlationLab).toEqual({
      alertCount: 1,
      inhibitedAlerts: [{ alertId: inside, sourceAlertId: since }],
    });

    // An uploaded set: a source that recovered before the target holds nothing; one still firing holds it.
    const at = (m: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + m * 60_000).toISOString();
    const upload = (resolvedAt: string | null) => [
      { id: 'src', at: at(0), asset: 'db-1', signature: 'node_down', tool: 'Zabbix', severity: 'critical', resolvedAt },
      { id: 'tgt', at: at(5), asset: 'db-1', signature: 'http_503', tool: 'Datadog' },
    ];
    const uploadQuery = `query($c: ID!, $a: [CorrelationLabAlertInput!]) {
      correlationLab(companyId: $c, settings: {}, alerts: $a) {
        proposed { incidentCount inhibitedAlerts } inhibitedAlerts { alertId sourceAlertId }
      }
    }`;
    const held = await graphql<{ correlationLab: { proposed: unknown; inhibitedAlerts: unknown[] } }>(
      stack.url,
      uploadQuery,
      { c: company.companyId, a: upload(null) },
      token,
    );
    expect(held.errors).toBeUndefined();
    expect(held.data!.correlationLab).toEqual({
      proposed: { incidentCount: 1, inhibitedAlerts: 1 },
      inhibitedAlerts: [{ alertId: 'tgt', sourceAlertId: 'src' }],
    });
    const recovered = await graphql<{ correlationLab: { proposed: { inhibitedAlerts: number } } }>(
      stack.url,
      uploadQuery,
      { c: company.companyId, a: upload(at(2)) },
      token,
    );
    expect(recovered.data!.correlationLab.proposed.inhibitedAlerts).toBe(0);
  });
});
