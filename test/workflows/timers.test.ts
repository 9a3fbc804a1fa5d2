// Approval timeout and SLA timers, with Temporal's time-skipping server: an hour passes in milliseconds.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { stateQuery } from '../../workflows/messages.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { quietRuntime, workflowBundle } from '../helpers/stack.ts';
import { createTimeSkippingEnv } from '../helpers/time-skipping.ts';
import { alert, sendAlert } from './helpers.ts';

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

describe('incidentWorkflow timers (time skipping)', () => {
  it('escalates when nobody approves within the approval timeout, breaching the response SLA on the way', async () => {
    const company = await createCompany(sql, { settings: { groupWaitSeconds: 30, approvalTimeoutSeconds: 3600 } });
    const taskQueue = `timers-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ sql, config: loadConfig({ REMEDIATION_MODE: 'dry_run' }) }),
    });
    await worker.runUntil(async () => {
      const handle = await sendAlert(
        env.client,
        company.companyId,
        'srv-web-01',
        'service_down:nginx',
        alert('critical'),
        taskQueue,
      );
      // 30 s group wait, then the approval request; at 5 min the critical response SLA breaches, at 60 min the
      // resolution SLA, and at 60.5 min the approval expires.
      await env.sleep('2 minutes');
      const waiting = await handle.query(stateQuery);
      expect(waiting.status).toBe('awaiting_approval');
      expect(Date.parse(waiting.approval!.deadline) - Date.parse(waiting.approval!.requestedAt)).toBe(3600_000);

      await env.sleep('10 minutes');
      const breached = await handle.query(stateQuery);
      expect(breached).toMatchObject({
        status: 'awaiting_approval',
        slaBreached: true,
        slaResponseBreached: true,
        escalationLevel: 1,
      });

      await env.sleep('1 hour');
      const expired = await handle.query(stateQuery);
      expect(expired.status).toBe('escalated');
      expect(expired.approval?.status).toBe('expired');
      expect(expired.escalationReason).toBe('Approval timed out');
      expect(expired.slaResolutionBreached).toBe(true);
      const events = await sql<{ kind: string; message: string }[]>`
        SELECT kind, message FROM incident_events WHERE incident_id = ${expired.incidentId} ORDER BY seq`;
      expect(events.map((e) => e.kind)).toEqual([
        'created',
        'decided',
        'approval_requested',
        // The people who may approve are paged beside the wait (workflows/approval-paging.ts).
        'approvers_paged',
        'sla_breached',
        'notified',
        'sla_breached',
        'notified',
        'approval_expired',
        'escalated',
        'notified',
      ]);
      expect(events.find((e) => e.kind === 'escalated')?.message).toBe('Escalated to level 3: Approval timed out');
      await handle.terminate('test done');
    });
  });
});
