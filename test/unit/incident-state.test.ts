// The incident's pure state transitions and validators, and the run's alert inbox, without Temporal.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import { AlertInbox, SEEN_ALERT_IDS } from '../../workflows/alert-inbox.ts';
import * as T from '../../workflows/incident-state.ts';
import type { AlertSignal, IncidentCommand, IncidentState } from '../../workflows/types.ts';

const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function alert(id: string, severity: AlertSignal['severity'] = 'high', toolSource = 'Prometheus'): AlertSignal {
  return { alertId: id, severity, message: 'm', toolSource, receivedAt: T0 };
}

function opened(first = alert('a1')): { s: IncidentState; j: T.Journal } {
  const s = T.openIncident(
    {
      incidentId: 'inc-1',
      companyId: 'comp-a',
      workflowId: 'wf',
      runId: 'run',
      aggregationKey: 'srv|disk_full',
      assetName: 'srv',
      signature: 'disk_full',
      assetCritical: true,
      sla: DEFAULT_SLA_POLICY,
      first,
    },
    T0,
  );
  const j = T.emptyJournal();
  T.absorb(s, j, [first], [], Date.parse(T0));
  return { s, j };
}

const cmd = (over: Partial<IncidentCommand['actor']> = {}, incidentId = 'inc-1'): IncidentCommand => ({
  incidentId,
  actor: { userId: 'u', email: 'u@a.example', role: 'msp_admin', companyIds: [], ...over },
});

function awaitingApproval(risk: 'low' | 'medium' | 'high' = 'high') {
  const { s, j } = opened();
  T.recordDecision(s, j, at(1), {
    action: 'request_approval',
    runbook: { id: 'rb', name: 'Restart', signature: 'disk_full', riskLevel: risk, documentName: 'D', actions: ['x'] },
    reasoning: 'risky',
    source: 'rules',
    confidence: 1,
  });
  T.requestApproval(s, j, at(1), 3600);
  return { s, j };
}

describe('incident state', () => {
  it('opens with SLA deadlines from the first alert and scores what it absorbs', () => {
    const { s } = opened(alert('a1', 'critical'));
    expect(s.slaResponseDeadline).toBe(at(5));
    expect(s.slaResolutionDeadline).toBe(at(60));
    expect(s).toMatchObject({ status: 'new', alertCount: 1, severity: 'critical', priorityScore: 110 });
  });

  it('absorbs alerts and repeats: count, highest severity, tools, a bounded id list, and un-recovers', () => {
    const { s, j } = opened(alert('a1', 'low'));
    s.sourceResolvedAt = at(2);
    T.absorb(s, j, [alert('a2', 'critical', 'Datadog'), alert('a3', 'medium')], ['r1', 'r2'], Date.parse(at(3)));
    expect(s).toMatchObject({ alertCount: 5, severity: 'critical', toolSources: ['Prometheus', 'Datadog'] });
    expect(s.sourceResolvedAt).toBeNull();
    expect(j.alertIds).toEqual(['a1', 'a2', 'a3', 'r1', 'r2']);
    const many = Array.from({ length: 300 }, (_, i) => alert(`b${i}`));
    T.absorb(s, j, many, [], Date.parse(at(4)));
    expect(s.recentAlertIds).toHaveLength(T.RECENT_ALERT_IDS);
    expect(T.alertBatchData(many, ['r'])).toEqual({
      alertIds: many.slice(0, 20).map((a) => a.alertId),
      alertCount: 301,
    });
  });

  it('numbers timeline events by the state version', () => {
    const { s, j } = opened();
    T.record(s, j, at(1), 'created', 'opened');
    T.escalate(s, j, at(2), 'no runbook');
    expect(j.events.map((e) => [e.seq, e.kind, e.createdAt])).toEqual([
      [1, 'created', at(1)],
      [2, 'escalated', at(2)],
    ]);
    expect(s).toMatchObject({ status: 'escalated', escalationLevel: 1, version: 2, updatedAt: at(2) });
    expect(j.events[1]!.message).toBe('Escalated to level 1: no runbook');
  });

  it('requests an approval with its deadline, and records who decided with their comment', () => {
    const { s, j } = awaitingApproval();
    expect(s.approval).toMatchObject({ status: 'pending', riskLevel: 'high', deadline: at(61) });
    T.decideApproval(s, j, at(2), 'approved', { ...cmd(), comment: 'go' });
    expect(s.approval).toMatchObject({ status: 'approved', decidedBy: 'u@a.example', comment: 'go', decidedAt: at(2) });
    expect(j.events.at(-1)!.message).toBe('Runbook approved by u@a.example: go');
    expect(T.responded(s)).toBe(true);
  });

  it('breaches each SLA once and walks the escalation level up', () => {
    const { s, j } = opened();
    expect(T.responded(s)).toBe(false);
    T.breachSla(s, j, at(15), 'Response');
    T.breachSla(s, j, at(240), 'Resolution');
    expect(s).toMatchObject({ slaResponseBreached: true, slaResolutionBreached: true, escalationLevel: 2 });
    expect(j.events.map((e) => e.kind)).toEqual(['sla_breached', 'sla_breached']);
  });

  it('resolves at source only when the company allows and no runbook runs', () => {
    const a = opened();
    expect(T.recoverAtSource(a.s, a.j, at(3), at(2), true)).toBe(true);
    const b = opened();
    b.s.status = 'remediating';
    expect(T.recoverAtSource(b.s, b.j, at(3), at(2), true)).toBe(false);
    expect(b.j.events.at(-1)!.message).toMatch(/runbook in flight finishes first/);
    const c = opened();
    expect(T.recoverAtSource(c.s, c.j, at(3), at(2), false)).toBe(false);
    expect(c.s.sourceResolvedAt).toBe(at(2));
  });
});

describe('command validators', () => {
  it('refuse another company, a stale incident, a missing approval, a second decision and a late one', () => {
    const { s, j } = awaitingApproval();
    const now = Date.parse(at(2));
    expect(T.refuseApprovalDecision(s, cmd({ role: 'company_admin', companyIds: ['comp-b'] }), now)?.type).toBe(
      'Forbidden',
    );
    expect(T.refuseApprovalDecision(s, cmd({}, 'inc-old'), now)?.type).toBe('IncidentClosed');
    expect(T.refuseApprovalDecision(s, cmd({ role: 'technician', companyIds: ['comp-a'] }), now)).toEqual({
      type: 'InsufficientRole',
      message: 'A technician may not approve a high-risk runbook',
    });
    expect(T.refuseApprovalDecision(s, cmd(), Date.parse(at(61)))?.type).toBe('ApprovalExpired');
    expect(T.refuseApprovalDecision(s, cmd(), now)).toBeNull();
    T.decideApproval(s, j, at(2), 'rejected', cmd());
    expect(T.refuseApprovalDecision(s, cmd(), now)?.type).toBe('AlreadyDecided');
    const plain = opened().s;
    expect(T.refuseApprovalDecision(plain, cmd(), now)?.type).toBe('NoPendingApproval');
  });
});

describe('alert inbox', () => {
  it('drops redeliveries, hands pending alerts over once, and keeps late arrivals for the next incident', () => {
    const inbox = new AlertInbox(['old']);
    inbox.accept(alert('old'));
    inbox.accept(alert('a1'));
    inbox.accept(alert('a1'));
    inbox.acceptRepeat('r1');
    expect(inbox.hasPendingAlerts()).toBe(true);
    expect(inbox.take()).toEqual({ alerts: [alert('a1')], repeatIds: ['r1'] });
    expect(inbox.hasPending()).toBe(false);
    inbox.acceptRepeat('r2');
    expect(inbox.hasPendingAlerts()).toBe(false);
    inbox.close();
    inbox.accept(alert('a2'));
    inbox.accept(alert('a1'));
    expect(inbox.carried()).toEqual({ alerts: [alert('a2')], repeatIds: ['r2'] });
    expect(inbox.hasCarried()).toBe(true);
  });

  it('forgets the oldest ids past its bound', () => {
    const inbox = new AlertInbox();
    for (let i = 0; i <= SEEN_ALERT_IDS; i++) inbox.acceptRepeat(`id-${i}`);
    inbox.take();
    inbox.acceptRepeat('id-0');
    inbox.acceptRepeat(`id-${SEEN_ALERT_IDS}`);
    expect(inbox.take().repeatIds).toEqual(['id-0']);
  });
});
