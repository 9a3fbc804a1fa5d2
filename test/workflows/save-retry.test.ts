// A save that outlasts its retries (the database away for minutes) on Temporal's time-skipping server: the activity
// gives up after its bounded attempts, the workflow keeps the events, carries on, and stores them with a later save.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { acknowledgeIncident, stateQuery } from '../../workflows/messages.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, quietRuntime, workflowBundle } from '../helpers/stack.ts';
import { createTimeSkippingEnv } from '../helpers/time-skipping.ts';
import { actor, alert, sendAlert } from './helpers.ts';

let env: TestWorkflowEnvironment;
let sql: Sql;

beforeAll(async () => {
  quietRuntime();
  env = await createTimeSkippingEnv();
  sql = createSql(inject('databaseUrl'));
});
afterAll(async () => {
  await env?.teardown();
  await sql?.end();
});

describe('incident saves (time skipping)', () => {
  it('keeps the events of a save that ran out of attempts and stores them later; the incident keeps working', async () => {
    const company = await createCompany(sql, { runbooks: [] });
    const real = createActivities({ sql, config: loadConfig({ REMEDIATION_MODE: 'dry_run' }) });
    // The first save meets a database that refuses connections for all ten of its attempts.
    let refusals = 10;
    const taskQueue = `save-retry-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        ...real,
        saveIncident: async (input: Parameters<typeof real.saveIncident>[0]) => {
          if (refusals > 0) {
            refusals -= 1;
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          }
          return real.saveIncident(input);
        },
      },
    });
    await worker.runUntil(async () => {
      const handle = await sendAlert(env.client, company.companyId, 'db-01', 'queue_stuck', alert('high'), taskQueue);
      await env.sleep('10 minutes');
      const s = await handle.query(stateQuery);
      expect(refusals).toBe(0);
      // The save gave up after its ten attempts (it used to retry for ever) ... It runs as a local activity
      // (workflows/local-steps.ts): each failure is a marker, and only the last has no backoff to another attempt.
      const history = await handle.fetchHistory();
      const gaveUp = (history.events ?? []).flatMap((e) => {
        const m = e.markerRecordedEventAttributes;
        if (m?.markerName !== 'core_local_activity' || !m.failure) return [];
        const data = JSON.parse(Buffer.from(m.details?.data?.payloads?.[0]?.data ?? []).toString()) as {
          attempt: number;
          activity_type: string;
          backoff: unknown;
        };
        return data.activity_type === 'saveIncident' && data.backoff === null
          ? [{ attempt: data.attempt, message: m.failure.message }]
          : [];
      });
      expect(gaveUp).toEqual([{ attempt: 10, message: expect.stringContaining('ECONNREFUSED') }]);
      // It went on without the first save: decided, escalated, paged.
      expect(s).toMatchObject({ status: 'escalated', escalationReason: expect.stringContaining('No runbook') });

      const acked = await handle.executeUpdate(acknowledgeIncident, {
        args: [{ incidentId: s.incidentId, actor: actor('technician', [company.companyId]) }],
      });
      expect(acked.status).toBe('acknowledged');
      // Every event is stored, the opening one included, and the row is current.
      const events = await eventually(async () => {
        const rows = await sql<{ seq: number; kind: string }[]>`
          SELECT seq, kind FROM incident_events WHERE incident_id = ${s.incidentId} ORDER BY seq`;
        return rows.length === acked.version ? rows : undefined;
      }, 'every event to be stored');
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: acked.version }, (_, i) => i + 1));
      expect(events[0]?.kind).toBe('created');
      const [row] = await sql<{ status: string; version: number }[]>`
        SELECT status, version FROM incidents WHERE id = ${s.incidentId}`;
      expect(row).toEqual({ status: 'acknowledged', version: acked.version });
      await handle.terminate('test done');
    });
  });
});
