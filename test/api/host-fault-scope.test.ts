// Host-fault folding bounded by the fault's own alerts, on the live path (issue 16 item 5): the router running, the
// real webhook for what happens now, and alerts stored in event time for what happened half an hour ago. What a
// person sees is asserted: which incidents there are and which alerts each one holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_WIDE_ASSETS } from '../../domain/host-fault-scope.ts';
import { routeAll, storeAlerts } from '../helpers/event-time.ts';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** The incident each alert is in, once every one of them is in one. */
async function incidentsOf(ids: string[]): Promise<Map<string, string>> {
  return eventually(async () => {
    const rows = await stack.sql<{ id: string; incidentId: string | null }[]>`
      SELECT id, incident_id AS "incidentId" FROM alerts WHERE id = ANY(${ids})`;
    if (rows.length !== ids.length || rows.some((r) => !r.incidentId)) return undefined;
    return new Map(rows.map((r) => [r.id, r.incidentId!]));
  }, 'every alert to reach its incident');
}

/** The alerts an incident shows on the dashboard. */
async function shownAlerts(token: string, incidentId: string): Promise<string[]> {
  const r = await graphql<{ incident: { alerts: { id: string }[] } }>(
    stack.url,
    `
      query ($id: ID!) {
        incident(id: $id) {
          alerts {
            id
          }
        }
      }
    `,
    { id: incidentId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.incident.alerts.map((a) => a.id).sort();
}

async function adminOf(companyId: string): Promise<string> {
  const admin = await createUser(stack.sql, 'company_admin', [companyId]);
  return login(stack.url, admin.email, admin.password);
}

/** Posts one alert through the real webhook and returns its stored id. */
async function post(apiKey: string, companyId: string, asset: string, signature: string, tool = 'Prometheus') {
  const res = await postAlert(stack.url, apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: `${signature} on ${asset}`,
    tool_source: tool,
  });
  expect(res.status).toBeLessThan(300);
  const [row] = await eventually(async () => {
    const rows = await stack.sql<{ id: string }[]>`
      SELECT id FROM alerts WHERE company_id = ${companyId} AND asset_name = ${asset} AND signature = ${signature}
      ORDER BY received_at DESC LIMIT 1`;
    return rows.length ? rows : undefined;
  }, `the ${signature} alert on ${asset} to be stored`);
  return row!.id;
}

describe('host-fault folding on the live path', () => {
  it('leaves a problem recurring 20 minutes after the host came back to its own incident', async () => {
    const company = await createCompany(stack.sql);
    // Forty minutes ago the host went down; its services failed, and replication lagged until 29 minutes ago.
    const outage = await storeAlerts(stack, company.companyId, [
      { asset: 'node-r', signature: 'Unavailable by ICMP ping', tool: 'Zabbix', minutesAgo: 42 },
      { asset: 'node-r', signature: 'service_down:nginx', minutesAgo: 41 },
      { asset: 'node-r', signature: 'Unavailable by ICMP ping', tool: 'Zabbix', minutesAgo: 40 },
      { asset: 'node-r', signature: 'replication_lag', minutesAgo: 34 },
      { asset: 'node-r', signature: 'replication_lag', minutesAgo: 29 },
    ]);
    await stack.sql`UPDATE alerts SET source_key = 'zbx-node-r-icmp' WHERE id = ANY(${[outage[0]!, outage[2]!]})`;
    await routeAll(stack, outage);
    const fault = (await incidentsOf(outage)).get(outage[0]!)!;
    // The host came back (at minute 40): Zabbix says so through the webhook.
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'node-r',
      signature: 'Unavailable by ICMP ping',
      severity: 'high',
      message: 'resolved',
      tool_source: 'Zabbix',
      status: 'resolved',
      source_key: 'zbx-node-r-icmp',
    });
    expect(res.status).toBeLessThan(300);
    await eventually(async () => {
      const [r] = await stack.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM alerts WHERE id = ANY(${[outage[0]!, outage[2]!]}) AND resolved_at IS NOT NULL`;
      return r!.n === 2;
    }, 'the host-down alerts to be resolved');

    // A backup problem comes back 23 minutes after the host did, within a window of the lag's last alert.
    const recurrence = await storeAlerts(stack, company.companyId, [
      { asset: 'node-r', signature: 'backup_failed', minutesAgo: 17 },
      { asset: 'node-r', signature: 'backup_failed', minutesAgo: 11 },
      { asset: 'node-r', signature: 'backup_failed', minutesAgo: 5 },
    ]);
    await routeAll(stack, recurrence);
    const placed = await incidentsOf(recurrence);
    const own = placed.get(recurrence[0]!)!;
    expect(own).not.toBe(fault);
    expect(new Set(placed.values())).toEqual(new Set([own]));

    const token = await adminOf(company.companyId);
    // The outage's incident shows its own alerts (and the resolve notification), none of the recurrence's.
    const shown = await shownAlerts(token, fault);
    expect(shown).toEqual(expect.arrayContaining(outage));
    expect(shown.filter((id) => recurrence.includes(id))).toEqual([]);
    expect(await shownAlerts(token, own)).toEqual([...recurrence].sort());
  });

  it('leaves one unrelated alert after the fault’s own window to itself, and keeps a fault still firing at source', async () => {
    const company = await createCompany(stack.sql);
    // node-u: down half an hour ago (a tool that never says it recovered), a queue lagging until 20 minutes ago.
    const outage = await storeAlerts(stack, company.companyId, [
      { asset: 'node-u', signature: 'host_down', tool: 'Datadog', minutesAgo: 30 },
      { asset: 'node-u', signature: 'queue_depth_high', minutesAgo: 20 },
    ]);
    // node-f: down 40 minutes ago by a check that will say when it recovers, and has not.
    const [firing] = await storeAlerts(stack, company.companyId, [
      { asset: 'node-f', signature: 'InstanceDown', minutesAgo: 40 },
    ]);
    await stack.sql`UPDATE alerts SET source_key = 'am-node-f-down' WHERE id = ${firing!}`;
    await routeAll(stack, [...outage, firing!]);
    const later = await storeAlerts(stack, company.companyId, [
      { asset: 'node-u', signature: 'ssl_cert_expiring', minutesAgo: 12 },
      { asset: 'node-f', signature: 'service_down:postgres', minutesAgo: 2 },
    ]);
    await routeAll(stack, later);
    const placed = await incidentsOf([...outage, firing!, ...later]);
    expect(placed.get(outage[1]!)).toBe(placed.get(outage[0]!));
    expect(placed.get(later[0]!)).not.toBe(placed.get(outage[0]!));
    expect(placed.get(later[1]!)).toBe(placed.get(firing!));

    const token = await adminOf(company.companyId);
    expect(await shownAlerts(token, placed.get(outage[0]!)!)).toEqual([...outage].sort());
    expect(await shownAlerts(token, placed.get(later[0]!)!)).toEqual([later[0]!]);
    expect(await shownAlerts(token, placed.get(firing!)!)).toEqual([firing!, later[1]!].sort());
  });

  it('leaves a storm across the fleet that also hit the down host to its own incidents, and takes the real symptom', async () => {
    const company = await createCompany(stack.sql);
    const token = await adminOf(company.companyId);
    const down = await post(company.apiKey, company.companyId, 'node-s', 'Unavailable by ICMP ping', 'Zabbix');
    const fault = (await incidentsOf([down])).get(down)!;
    // A bad NTP push: the same signature on many healthy hosts at once.
    const fleet: string[] = [];
    for (let i = 0; i < FLEET_WIDE_ASSETS + 1; i++)
      fleet.push(await post(company.apiKey, company.companyId, `fleet-${i}`, 'ntp_drift'));
    const stormed = await incidentsOf(fleet);
    expect(new Set(stormed.values()).size).toBe(fleet.length);
    // The down host reports the storm too, and one real symptom of its outage.
    const onHost = await post(company.apiKey, company.companyId, 'node-s', 'ntp_drift');
    const symptom = await post(company.apiKey, company.companyId, 'node-s', 'service_down:nginx');
    const placed = await incidentsOf([onHost, symptom]);
    expect(placed.get(symptom)).toBe(fault);
    expect(placed.get(onHost)).not.toBe(fault);
    expect([...stormed.values()]).not.toContain(placed.get(onHost));

    expect(await shownAlerts(token, fault)).toEqual([down, symptom].sort());
    expect(await shownAlerts(token, placed.get(onHost)!)).toEqual([onHost]);
    const [why] = await stack.sql<
      { correlation: { rule: string } }[]
    >`SELECT correlation FROM alerts WHERE id = ${onHost}`;
    expect(why!.correlation.rule).toBe('opened');
  });
});
