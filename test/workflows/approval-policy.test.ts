// The company's approval policy on the real stack (Temporal, PostgreSQL, the real activities, the dry-run executor):
// approval.autoApproveUpTo 'medium' runs a medium-risk runbook by itself, 'none' makes a low-risk one wait, and
// outcome memory still holds back a runbook that failed three times on the asset whatever the policy allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { diskRunbookOf, failingHistory } from '../helpers/outcome-runs.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { alert, sendAlert, stateWhen } from './helpers.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});

afterAll(async () => {
  await stack?.stop();
});

const raise = (companyId: string, asset: string, signature: string) =>
  sendAlert(stack.temporal, companyId, asset, signature, alert('high'), stack.config.taskQueue);

describe('approval.autoApproveUpTo', () => {
  it("runs medium risk by itself under 'medium', high risk still waits, and memory still holds back", async () => {
    const c = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, approval: { autoApproveUpTo: 'medium' } },
    });
    const medium = (await (await raise(c.companyId, 'srv-app-01', 'memory_high')).result()) as IncidentState;
    expect(medium).toMatchObject({ status: 'resolved', decision: { action: 'auto_remediate' } });
    expect(medium.decision?.reasoning).toContain(
      "This company's policy lets medium risk runbooks run without approval",
    );

    const high = await raise(c.companyId, 'srv-web-01', 'service_down:nginx');
    const h = await stateWhen(high, (x) => x.status === 'awaiting_approval', 'high risk to wait');
    expect(h.decision?.action).toBe('request_approval');
    await high.terminate('test over');

    await failingHistory(
      stack.sql,
      { companyId: c.companyId, diskRunbook: await diskRunbookOf(stack.sql, c.companyId) },
      'srv-db-01',
    );
    const held = await raise(c.companyId, 'srv-db-01', 'disk_full');
    const m = await stateWhen(held, (x) => x.status === 'awaiting_approval', 'memory to hold the run back');
    expect(m.decision?.memoryReason).toMatch(/failed the last 3 times it ran on srv-db-01/);
    await held.terminate('test over');
  });

  it("makes a low-risk runbook wait for a person under 'none'", async () => {
    const c = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, approval: { autoApproveUpTo: 'none' } },
    });
    const low = await raise(c.companyId, 'srv-app-02', 'disk_full');
    const s = await stateWhen(low, (x) => x.status === 'awaiting_approval', 'low risk to wait');
    expect(s.decision).toMatchObject({ action: 'request_approval' });
    expect(s.decision?.reasoning).toContain("This company's policy asks a person to approve every run");
    expect(s.execution).toBeNull();
    await low.terminate('test over');
  });
});
