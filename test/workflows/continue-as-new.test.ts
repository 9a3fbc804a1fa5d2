// A long-lived incident keeps its history short: with Temporal's suggestion threshold lowered, a flood of
// alerts on an escalated incident makes it continue-as-new, and the fresh run carries the whole state.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { startTemporalDevServer, type DevServer } from '../../lib/temporal-dev-server.ts';
import { resolveIncident, stateQuery } from '../../workflows/messages.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, quietRuntime, workflowBundle } from '../helpers/stack.ts';
import { actor, alert, sendAlert } from './helpers.ts';

let server: DevServer;
let sql: Sql;

beforeAll(async () => {
  quietRuntime();
  // Suggest continue-as-new after 40 events instead of thousands, so a test-sized flood reaches it.
  server = await startTemporalDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  sql = createSql(inject('databaseUrl'));
});
afterAll(async () => {
  await sql?.end();
  await server?.stop();
});

describe('incidentWorkflow continue-as-new', () => {
  it('continues in a fresh run with its alerts, timeline and Temporal link intact', async () => {
    const company = await createCompany(sql);
    const taskQueue = `can-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ sql, config: loadConfig({ REMEDIATION_MODE: 'dry_run' }) }),
    });
    await worker.runUntil(async () => {
      // No runbook for this signature: the incident escalates and stays open for a person.
      const handle = await sendAlert(
        client,
        company.companyId,
        'srv-db-01',
        'replication_lag',
        alert('high'),
        taskQueue,
      );
      const first = await eventually(async () => {
        const s = await handle.query(stateQuery).catch(() => null);
        return s?.status === 'escalated' ? s : undefined;
      }, 'escalation');
      for (let i = 0; i < 25; i++) {
        await sendAlert(
          client,
          company.companyId,
          'srv-db-01',
          'replication_lag',
          alert('high', 'Zabbix', `lag ${i}`),
          taskQueue,
        );
      }
      const continued = await eventually(async () => {
        const s = await client.workflow
          .getHandle(handle.workflowId)
          .query(stateQuery)
          .catch(() => null);
        return s && s.runId !== first.runId && s.alertCount === 26 ? s : undefined;
      }, 'a fresh run with all 26 alerts');
      expect(continued).toMatchObject({
        incidentId: first.incidentId,
        status: 'escalated',
        escalationReason: first.escalationReason,
      });
      expect(continued.toolSources.sort()).toEqual(['Prometheus', 'Zabbix']);

      // The fresh run may itself continue again while late signals land in it (the threshold is 40 events), so the
      // row is compared with whichever run is live when it is read, not with the run seen above.
      let seen: unknown;
      const row = await eventually(async () => {
        const live = await client.workflow
          .getHandle(handle.workflowId)
          .query(stateQuery)
          .catch(() => null);
        const [r] = await sql<
          { run_id: string; alert_count: number }[]
        >`SELECT run_id, alert_count FROM incidents WHERE id = ${first.incidentId}`;
        seen = { liveRun: live?.runId, row: r };
        const follows = live && r?.run_id === live.runId && r.run_id !== first.runId && r.alert_count === 26;
        return follows ? r : undefined;
      }, 'the row to follow the fresh run').catch((err: Error) => {
        throw new Error(`${err.message}; seen ${JSON.stringify(seen)}`);
      });
      expect(row.alert_count).toBe(26);
      const kinds = await sql<
        { kind: string }[]
      >`SELECT kind FROM incident_events WHERE incident_id = ${first.incidentId} ORDER BY seq`;
      expect(kinds.map((k) => k.kind)).toContain('continued');

      const resolved = await client.workflow.getHandle(handle.workflowId).executeUpdate(resolveIncident, {
        args: [{ incidentId: first.incidentId, actor: actor('technician', [company.companyId]) }],
      });
      expect(resolved.status).toBe('resolved');
      const result = (await client.workflow.getHandle(handle.workflowId).result()) as IncidentState;
      expect(result).toMatchObject({ incidentId: first.incidentId, status: 'resolved', alertCount: 26 });
    });
    await connection.close();
    await client.connection.close();
  });
});
