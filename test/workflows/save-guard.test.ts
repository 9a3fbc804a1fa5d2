// The incident row's version guard (activities/incident-store.ts saveIncident) on real PostgreSQL. A save runs as a
// local activity: when its workflow task times out (a loaded worker) the retried task runs it again, and the signals
// that arrived meanwhile join in that task, so the same version is saved again with more alerts. That later save is
// the one the history keeps: it must win, while a stale save (an older version, or fewer alerts at one version) never
// overwrites a newer row.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIncidentStoreActivities } from '../../activities/incident-store.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import { openIncident } from '../../workflows/incident-state.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';

let sql: Sql;
beforeAll(() => {
  sql = createSql(inject('databaseUrl'));
});
afterAll(async () => {
  await sql?.end();
});

describe('the incident save guard', () => {
  it('lets a re-run save of the same version with more alerts win, and never a stale one', async () => {
    const company = await createCompany(sql, { runbooks: [] });
    const store = createIncidentStoreActivities({ sql, defaultGroupWaitSeconds: 0, defaultApprovalTimeoutSeconds: 60 });
    const base = openIncident(
      {
        incidentId: randomUUID(),
        companyId: company.companyId,
        workflowId: `incident-${randomUUID()}`,
        runId: randomUUID(),
        aggregationKey: 'web-1|http_5xx',
        assetName: 'web-1',
        signature: 'http_5xx',
        assetCritical: false,
        sla: DEFAULT_SLA_POLICY,
        first: { alertId: randomUUID(), severity: 'high', message: 'errors', toolSource: 'Datadog', receivedAt: '' },
      },
      new Date().toISOString(),
    );
    const save = (version: number, alertCount: number) =>
      store.saveIncident({ state: { ...base, version, alertCount } as IncidentState, events: [], newAlertIds: [] });
    const row = async () =>
      (
        await sql<{ version: number; alertCount: number }[]>`
          SELECT version, alert_count AS "alertCount" FROM incidents WHERE id = ${base.incidentId}`
      )[0];

    await save(1, 5);
    await save(2, 5);
    expect(await row()).toEqual({ version: 2, alertCount: 5 });
    // The retried workflow task's save: version 2 again, with the alerts that joined while the first task hung.
    await save(2, 7);
    expect(await row()).toEqual({ version: 2, alertCount: 7 });
    // The first task's save committing late, and an older version: both leave the newer row alone.
    await save(2, 5);
    await save(1, 9);
    expect(await row()).toEqual({ version: 2, alertCount: 7 });
    await save(3, 7);
    expect(await row()).toEqual({ version: 3, alertCount: 7 });
  });

  it("counts an opening alert the run's own timed-out task linked as its own, not as an earlier incident's", async () => {
    const company = await createCompany(sql, { runbooks: [] });
    const store = createIncidentStoreActivities({ sql, defaultGroupWaitSeconds: 0, defaultApprovalTimeoutSeconds: 60 });
    const alertIds = [randomUUID(), randomUUID()];
    for (const id of alertIds) {
      await sql`
        INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
                            tool_source, status)
        VALUES (${id}, ${company.companyId}, ${id}, 'web-2', 'http_5xx', 'web-2|http_5xx', 'high', 'errors', 'Datadog',
                'firing')`;
    }
    const opening = openIncident(
      {
        incidentId: randomUUID(),
        companyId: company.companyId,
        workflowId: `incident-${randomUUID()}`,
        runId: randomUUID(),
        aggregationKey: 'web-2|http_5xx',
        assetName: 'web-2',
        signature: 'http_5xx',
        assetCritical: false,
        sla: DEFAULT_SLA_POLICY,
        first: { alertId: alertIds[0]!, severity: 'high', message: 'errors', toolSource: 'Datadog', receivedAt: '' },
      },
      new Date().toISOString(),
    );
    // The first task of the run saved the incident with its first alert linked, then timed out (a loaded worker).
    await store.saveIncident({ state: opening, events: [], newAlertIds: [alertIds[0]!] });
    const look = (incidentId?: string) =>
      store.loadIncidentContext({ companyId: company.companyId, assetName: 'web-2', alertIds, incidentId });
    // The retried task looks the alerts up again, under the same incident id: none is another incident's.
    expect((await look(opening.incidentId)).linkedAlertIds).toEqual([]);
    // Another run's look-up (a redelivery after that incident) still sees it taken.
    expect((await look(randomUUID())).linkedAlertIds).toEqual([alertIds[0]]);
    expect((await look()).linkedAlertIds).toEqual([alertIds[0]]);
  });
});
