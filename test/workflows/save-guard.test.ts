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
});
