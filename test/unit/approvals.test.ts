// Approvals, without Temporal: who is paged for which risk, what they read, a run by hand through the gate
// (workflows/manual-run.ts) and the four-eyes refusal (workflows/incident-state.ts).
import { describe, expect, it } from 'vitest';
import {
  approvalSlackPayload,
  approvalText,
  approverRoles,
  type ApprovalNotice,
} from '../../domain/approval-notice.ts';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import type { Runbook } from '../../domain/types.ts';
import { approversPagedText } from '../../workflows/approval-paging.ts';
import * as T from '../../workflows/incident-state.ts';
import { refuseRun, requestRun } from '../../workflows/manual-run.ts';
import type { Actor, IncidentState, RunRunbookCommand } from '../../workflows/types.ts';

const T0 = '2026-12-06T10:00:00.000Z';
const admin: Actor = { userId: 'u-admin', email: 'admin@acme.test', role: 'company_admin', companyIds: ['comp-a'] };
const msp: Actor = { userId: 'u-msp', email: 'Dana (MSP)', role: 'msp_admin', companyIds: [] };
const runbook = (riskLevel: Runbook['riskLevel']): Runbook => ({
  id: 'rb-1',
  name: 'Restart nginx',
  signature: 'service_down:nginx',
  riskLevel,
  documentName: 'AWS-RunShellScript',
  actions: ['sudo systemctl restart nginx'],
  version: 3,
});

function escalated(): { s: IncidentState; j: T.Journal } {
  const s = T.openIncident(
    {
      incidentId: 'inc-1',
      companyId: 'comp-a',
      workflowId: 'wf',
      runId: 'run',
      aggregationKey: 'k',
      assetName: 'srv',
      signature: 'nginx_stuck',
      assetCritical: false,
      sla: DEFAULT_SLA_POLICY,
      first: { alertId: 'a1', severity: 'high', message: 'm', toolSource: 'Prometheus', receivedAt: T0 },
    },
    T0,
  );
  const j = T.emptyJournal();
  T.recordDecision(s, j, T0, { action: 'escalate', runbook: null, reasoning: 'none', source: 'rules', confidence: 1 });
  T.escalate(s, j, T0, 'none');
  return { s, j };
}

const cmd = (actor: Actor, over: Partial<RunRunbookCommand> = {}): RunRunbookCommand => ({
  incidentId: 'inc-1',
  actor,
  runbookId: 'rb-1',
  runbook: runbook('high'),
  runbookCompanyId: 'comp-a',
  fourEyes: true,
  ...over,
});

describe('approvers', () => {
  it('are the roles canApprove lets approve the risk', () => {
    expect(approverRoles('high')).toEqual(['msp_admin']);
    expect(approverRoles('medium')).toEqual(['msp_admin', 'company_admin']);
    expect(approverRoles('low')).toEqual(['msp_admin', 'company_admin', 'technician']);
  });

  it('read the runbook, the deadline and a link; chat text is escaped', () => {
    const n: ApprovalNotice = {
      incidentId: 'inc-1',
      companyName: 'Acme',
      assetName: 'srv',
      signature: '<!channel>',
      severity: 'high',
      runbookName: 'Restart nginx',
      riskLevel: 'high',
      deadline: '2026-12-06T11:00:00.000Z',
      requestedBy: 'admin@acme.test',
      url: 'https://aw.example/#/incidents/inc-1',
    };
    expect(approvalText(n)).toContain('admin@acme.test asked to run runbook "Restart nginx" (high risk)');
    expect(approvalText(n)).toContain('before 2026-12-06T11:00:00.000Z');
    expect(approvalText(n)).toContain('Open it: https://aw.example/#/incidents/inc-1');
    expect(JSON.stringify(approvalSlackPayload(n))).not.toContain('<!channel>');
  });

  it('are named on the timeline by address, MSP staff only counted', () => {
    expect(approversPagedText({ people: ['a@acme.test'], mspAdmins: 2, inApp: 3, emails: 3, webhooks: 1 })).toBe(
      'Paged approvers: a@acme.test, 2 MSP admins (in app 3, email 3, chat 1)',
    );
    expect(approversPagedText({ people: [], mspAdmins: 0, inApp: 0, emails: 0, webhooks: 0 })).toBe(
      'Nobody may approve this runbook (in app 0, email 0, chat 0)',
    );
  });
});

describe('a run by hand', () => {
  it('is refused for an unknown or another company runbook, before a decision, and while a run is in flight', () => {
    const { s } = escalated();
    expect(refuseRun(s, cmd(admin, { runbook: null }), true)?.type).toBe('UnknownRunbook');
    expect(refuseRun(s, cmd(admin, { runbookCompanyId: 'comp-b' }), true)?.type).toBe('ForeignRunbook');
    expect(refuseRun(s, cmd({ ...admin, companyIds: ['comp-b'] }), true)?.type).toBe('Forbidden');
    expect(refuseRun(s, cmd(admin), false)?.type).toBe('DecisionPending');
    expect(refuseRun(s, cmd(admin), true)).toBeNull();
    expect(refuseRun({ ...s, status: 'remediating' }, cmd(admin), true)?.type).toBe('RunInFlight');
    expect(refuseRun({ ...s, status: 'resolved' }, cmd(admin), true)?.type).toBe('IncidentNotOpen');
  });

  it('waits for approval when risky, recording the requester; four-eyes refuses them approving, not rejecting', () => {
    const { s, j } = escalated();
    requestRun(s, j, T0, cmd(admin, { runbook: runbook('medium') }), 3600);
    expect(s.status).toBe('awaiting_approval');
    expect(s.approval).toMatchObject({ requestedBy: { userId: 'u-admin' }, fourEyes: true, riskLevel: 'medium' });
    expect(j.events.map((e) => e.kind)).toContain('run_requested');
    const nowMs = Date.parse(T0) + 1000;
    const own = { incidentId: 'inc-1', actor: admin };
    expect(T.refuseApprovalDecision(s, own, nowMs, 'approved')?.type).toBe('FourEyes');
    expect(T.refuseApprovalDecision(s, own, nowMs, 'rejected')).toBeNull();
    expect(T.refuseApprovalDecision(s, { incidentId: 'inc-1', actor: msp }, nowMs, 'approved')).toBeNull();
  });

  it('without four-eyes the requester may approve; a low-risk runbook runs at once', () => {
    const risky = escalated();
    requestRun(risky.s, risky.j, T0, cmd(admin, { runbook: runbook('medium'), fourEyes: false }), 3600);
    expect(T.refuseApprovalDecision(risky.s, { incidentId: 'inc-1', actor: admin }, Date.parse(T0) + 1)).toBeNull();
    const safe = escalated();
    requestRun(safe.s, safe.j, T0, cmd(admin, { runbook: runbook('low') }), 3600);
    expect(safe.s.status).toBe('remediating');
    expect(safe.s.approval).toBeNull();
    expect(safe.s.runRequestedBy).toBe('admin@acme.test');
  });
});
