// incidentWorkflow on a real Temporal server with its real activities on a real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { loadConfig } from '../../lib/config.ts';
import { approveIncident, rejectIncident, resolveIncident } from '../../workflows/messages.ts';
import type { IncidentState, SsmCommandResult } from '../../workflows/types.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';
import { actor, alert, sendAlert, stateWhen } from './helpers.ts';

let stack: Stack;
let acme: TestCompany;

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  acme = await createCompany(stack.sql, {
    assets: [{ name: 'srv-app-01', instanceId: 'i-0123456789abcdef0', critical: true }],
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function row(incidentId: string) {
  const [r] = await stack.sql<
    { status: string; auto_remediated: boolean; alert_count: number; escalation_reason: string | null }[]
  >`
    SELECT status, auto_remediated, alert_count, escalation_reason FROM incidents WHERE id = ${incidentId}`;
  return r;
}

/** An alert for Acme on this file's task queue, as the router sends it. */
const raise = (asset: string, signature: string, a = alert()) =>
  sendAlert(stack.temporal, acme.companyId, asset, signature, a, stack.config.taskQueue);

describe('incidentWorkflow', () => {
  it('runs a low-risk runbook at once and resolves the incident; a dry run is not counted as self-healed', async () => {
    const handle = await raise('srv-app-01', 'disk_full', alert('high', 'Datadog'));
    const result = (await handle.result()) as IncidentState;
    expect(result.status).toBe('resolved');
    // This stack runs dry: nothing ran on the host, so "self-healed" must not count it (a live run is, test/ssm).
    expect(result.autoRemediated).toBe(false);
    expect(result.decision).toMatchObject({
      action: 'auto_remediate',
      source: 'rules',
      runbook: { name: 'Clean temp files' },
    });
    expect(result.execution).toMatchObject({
      executor: 'dry_run',
      status: 'Success',
      instanceIds: ['i-0123456789abcdef0'],
    });
    expect(result.execution?.output).toContain('$ df -h /');
    // critical asset: 60 (high) + 20
    expect(result.priorityScore).toBe(80);
    expect(await row(result.incidentId)).toMatchObject({ status: 'resolved', auto_remediated: false, alert_count: 1 });
    const kinds = await stack.sql<
      { kind: string }[]
    >`SELECT kind FROM incident_events WHERE incident_id = ${result.incidentId} ORDER BY seq`;
    expect(kinds.map((k) => k.kind)).toEqual([
      'created',
      'decided',
      'remediation_started',
      'remediation_finished',
      'resolved',
    ]);
  });

  it('waits for approval of a high-risk runbook, rejects wrong roles and second decisions, then remediates', async () => {
    const handle = await raise('srv-web-01', 'service_down:nginx');
    const pending = await stateWhen(handle, (s) => s.status === 'awaiting_approval', 'approval to be requested');
    expect(pending.approval).toMatchObject({ status: 'pending', riskLevel: 'high' });

    const asTechnician = handle.executeUpdate(approveIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('technician', [acme.companyId]) }],
    });
    await expect(asTechnician).rejects.toThrow(WorkflowUpdateFailedError);
    await asTechnician.catch((err: WorkflowUpdateFailedError) => {
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect((err.cause as ApplicationFailure).type).toBe('InsufficientRole');
      expect(err.cause?.message).toBe('A technician may not approve a high-risk runbook');
    });
    const otherTenant = handle.executeUpdate(approveIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('company_admin', ['comp-other']) }],
    });
    await expect(otherTenant).rejects.toThrow(WorkflowUpdateFailedError);

    const approved = await handle.executeUpdate(approveIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('msp_admin', [], 'boss@msp.test'), comment: 'go ahead' }],
    });
    expect(approved.approval).toMatchObject({ status: 'approved', decidedBy: 'boss@msp.test', comment: 'go ahead' });

    const twice = handle.executeUpdate(rejectIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('msp_admin', []) }],
    });
    await expect(twice).rejects.toThrow(WorkflowUpdateFailedError);

    const result = (await handle.result()) as IncidentState;
    expect(result.status).toBe('resolved');
    // A person approved it: not self-healed, whatever the executor.
    expect(result.autoRemediated).toBe(false);
    expect(result.execution?.commands).toEqual(['sudo systemctl restart nginx']);
  });

  it('escalates when the approver rejects, and stays open until a person resolves it', async () => {
    const handle = await raise('srv-web-02', 'service_down:nginx');
    const pending = await stateWhen(handle, (s) => s.status === 'awaiting_approval', 'approval to be requested');
    await handle.executeUpdate(rejectIncident, {
      args: [
        {
          incidentId: pending.incidentId,
          actor: actor('msp_admin', [], 'boss@msp.test'),
          comment: 'not during business hours',
        },
      ],
    });
    const escalated = await stateWhen(handle, (s) => s.status === 'escalated', 'escalation');
    expect(escalated.escalationReason).toBe('Runbook rejected by boss@msp.test');
    expect(escalated.execution).toBeNull();
    // The query answers from the run's memory; the row follows once the save activity commits.
    const saved = await eventually(async () => {
      const r = await row(pending.incidentId);
      return r?.status === 'escalated' ? r : undefined;
    }, 'the escalation to be saved');
    expect(saved).toMatchObject({ status: 'escalated', escalation_reason: 'Runbook rejected by boss@msp.test' });

    const resolved = await handle.executeUpdate(resolveIncident, {
      args: [
        { incidentId: pending.incidentId, actor: actor('technician', [acme.companyId]), comment: 'restarted by hand' },
      ],
    });
    expect(resolved.status).toBe('resolved');
    expect(((await handle.result()) as IncidentState).autoRemediated).toBe(false);
  });

  it('escalates with no remediation when no runbook matches', async () => {
    const handle = await raise('srv-app-01', 'cpu_high');
    const s = await stateWhen(handle, (x) => x.status === 'escalated', 'escalation');
    expect(s.escalationReason).toContain('No runbook handles signature "cpu_high"');
    await handle.terminate('test done');
  });

  it('correlates alerts of the same key into one incident and ignores a redelivered alert', async () => {
    const first = alert('medium', 'Zabbix');
    const handle = await raise('srv-db-09', 'replication_lag', first);
    await raise('srv-db-09', 'replication_lag', alert('critical', 'Datadog'));
    await raise('srv-db-09', 'replication_lag', first);
    const s = await stateWhen(
      handle,
      (x) => x.alertCount === 2 && x.status === 'escalated',
      'two alerts in one escalated incident',
    );
    expect(s.severity).toBe('critical');
    expect(s.toolSources.sort()).toEqual(['Datadog', 'Zabbix']);
    // critical 90 + one duplicate 2 + two tools 10
    expect(s.priorityScore).toBe(102);
    await stateWhen(handle, () => true, 'state');
    // The row follows the run's memory once its save commits.
    await eventually(async () => (await row(s.incidentId))?.alert_count === 2, 'the row to count both alerts');
    await handle.terminate('test done');
  });

  it('opens a new incident, in a new run of the same workflow id, for an alert after resolution', async () => {
    const first = await raise('srv-app-02', 'disk_full');
    const a = (await first.result()) as IncidentState;
    const second = await raise('srv-app-02', 'disk_full');
    const b = (await second.result()) as IncidentState;
    expect(b.workflowId).toBe(a.workflowId);
    expect(b.runId).not.toBe(a.runId);
    expect(b.incidentId).not.toBe(a.incidentId);
    expect([a.alertCount, b.alertCount]).toEqual([1, 1]);
    const rows = await stack.sql<
      { status: string }[]
    >`SELECT status FROM incidents WHERE workflow_id = ${a.workflowId}`;
    expect(rows.map((r) => r.status)).toEqual(['resolved', 'resolved']);
  });

  it('escalates when the asset has no SSM target (real SSM executor, non-retryable)', async () => {
    const company = await createCompany(stack.sql);
    // A worker of its own, on its own task queue, whose executor is the real SSM one.
    const taskQueue = `ssm-${randomUUID()}`;
    const ssmWorker = await startStack({
      startRouter: false,
      taskQueue,
      activities: createActivities({ sql: stack.sql, config: loadConfig({ REMEDIATION_MODE: 'ssm' }) }),
    });
    try {
      const handle = await sendAlert(
        stack.temporal,
        company.companyId,
        'web-without-instance',
        'disk_full',
        alert(),
        taskQueue,
      );
      const s = await stateWhen(handle, (x) => x.status === 'escalated', 'escalation');
      // The tenant reads a sentence; the activity's own words are kept for MSP admins on the escalation event.
      expect(s.escalationReason).toBe(
        'The runbook could not be sent: the asset has no instance registered to run it on',
      );
      const escalated = await eventually(async () => {
        const [e] = await stack.sql<{ data: { internalDetail: string } }[]>`
          SELECT data FROM incident_events WHERE incident_id = ${s.incidentId} AND kind = 'escalated'`;
        return e;
      }, 'the escalation event');
      expect(escalated.data.internalDetail).toMatch(/^sendSsmCommand failed — NoSsmTarget: /);
      await handle.terminate('test done');
    } finally {
      await ssmWorker.stop();
    }
  });

  it('escalates with the runbook output when the SSM command fails', async () => {
    const company = await createCompany(stack.sql);
    const real = createActivities({ sql: stack.sql, config: loadConfig({ REMEDIATION_MODE: 'dry_run' }) });
    const failing = {
      ...real,
      // Beside the real path (test/ssm): a command that ends Failed on the instance, as SSM reports it.
      waitForSsmCommand: async (): Promise<SsmCommandResult> => ({
        status: 'Failed',
        output: '',
        error: 'Job for nginx.service failed because the control process exited with error code.',
        finishedAt: new Date().toISOString(),
      }),
    };
    const taskQueue = `failing-${randomUUID()}`;
    const failingWorker = await startStack({ startRouter: false, taskQueue, activities: failing });
    try {
      const handle = await sendAlert(stack.temporal, company.companyId, 'srv-app-01', 'disk_full', alert(), taskQueue);
      const s = await stateWhen(handle, (x) => x.status === 'escalated', 'escalation');
      expect(s.execution).toMatchObject({ status: 'Failed' });
      // The runbook's own stderr is the tenant's output: it follows the sentence.
      expect(s.escalationReason).toBe(
        'The runbook "Clean temp files" failed on the instance: Job for nginx.service failed because the control process exited with error code.',
      );
      expect(s.autoRemediated).toBe(false);
      await handle.terminate('test done');
    } finally {
      await failingWorker.stop();
    }
  });
  it('escalates to a person when no decision can be made', async () => {
    const company = await createCompany(stack.sql);
    const real = createActivities({ sql: stack.sql, config: loadConfig({ REMEDIATION_MODE: 'dry_run' }) });
    const taskQueue = `no-decision-${randomUUID()}`;
    const broken = await startStack({
      startRouter: false,
      taskQueue,
      activities: {
        ...real,
        decideIncident: async () => {
          throw ApplicationFailure.nonRetryable('runbook store unreachable', 'DecisionUnavailable');
        },
      },
    });
    try {
      const handle = await sendAlert(stack.temporal, company.companyId, 'srv-app-01', 'disk_full', alert(), taskQueue);
      const s = await stateWhen(handle, (x) => x.status === 'escalated', 'escalation');
      expect(s.decision).toMatchObject({ action: 'escalate', runbook: null });
      expect(s.escalationReason).toBe(
        'No decision could be made: an unexpected error occurred (the MSP can see the details); a technician must investigate.',
      );
      const decided = await eventually(async () => {
        const [e] = await stack.sql<{ data: { internalDetail: string } }[]>`
          SELECT data FROM incident_events WHERE incident_id = ${s.incidentId} AND kind = 'decided'`;
        return e;
      }, 'the decision event');
      expect(decided.data.internalDetail).toBe(
        'decideIncident failed — DecisionUnavailable: runbook store unreachable',
      );
      expect(s.execution).toBeNull();
      await handle.terminate('test done');
    } finally {
      await broken.stop();
    }
  });
});
