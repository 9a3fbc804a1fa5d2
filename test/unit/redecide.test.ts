// A fresh decision, without Temporal (workflows/redecide.ts): when it is refused, and what a new decision does to
// the incident: the same choice changes nothing, a different one goes through the approval gate as the first did.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import type { Decision } from '../../domain/rules.ts';
import type { Runbook } from '../../domain/types.ts';
import * as T from '../../workflows/incident-state.ts';
import { applyRedecision, refuseRedecide, sameChoice, type RedecideCommand } from '../../workflows/redecide.ts';
import type { Actor, IncidentState } from '../../workflows/types.ts';

const T0 = '2026-12-06T10:00:00.000Z';
const tech: Actor = { userId: 'u-tech', email: 'tech@acme.test', role: 'technician', companyIds: ['comp-a'] };
const outsider: Actor = { userId: 'u-b', email: 'b@beta.test', role: 'company_admin', companyIds: ['comp-b'] };
const runbook = (riskLevel: Runbook['riskLevel']): Runbook => ({
  id: `rb-${riskLevel}`,
  name: `Fix (${riskLevel})`,
  signature: 'cache_full',
  riskLevel,
  documentName: 'AWS-RunShellScript',
  actions: ['echo fix'],
  version: 2,
});
const escalate: Decision = { action: 'escalate', runbook: null, reasoning: 'none', source: 'rules', confidence: 1 };
const run = (risk: Runbook['riskLevel']): Decision => ({
  action: risk === 'low' ? 'auto_remediate' : 'request_approval',
  runbook: runbook(risk),
  reasoning: 'found one',
  source: 'gemini',
  confidence: 0.9,
  decisionId: 'dec-2',
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
      signature: 'cache_full',
      assetCritical: false,
      sla: DEFAULT_SLA_POLICY,
      first: { alertId: 'a1', severity: 'high', message: 'm', toolSource: 'Prometheus', receivedAt: T0 },
    },
    T0,
  );
  const j = T.emptyJournal();
  T.recordDecision(s, j, T0, escalate);
  T.escalate(s, j, T0, 'none');
  return { s, j };
}

const cmd = (actor: Actor = tech): RedecideCommand => ({ incidentId: 'inc-1', actor, fourEyes: true });

describe('refuseRedecide', () => {
  it('lets a member ask about an open, decided incident with no run in flight', () => {
    expect(refuseRedecide(escalated().s, cmd(), true, false)).toBeNull();
  });

  it('refuses another company, a closed incident, a run in flight, one being decided', () => {
    const { s } = escalated();
    expect(refuseRedecide(s, cmd(outsider), true, false)?.type).toBe('Forbidden');
    expect(refuseRedecide(s, cmd(), true, true)?.type).toBe('DecisionPending');
    expect(refuseRedecide(s, cmd(), false, false)?.type).toBe('DecisionPending');
    expect(refuseRedecide({ ...s, decision: null }, cmd(), true, false)?.type).toBe('DecisionPending');
    expect(refuseRedecide({ ...s, status: 'remediating' }, cmd(), true, false)?.type).toBe('RunInFlight');
    expect(refuseRedecide({ ...s, status: 'awaiting_approval' }, cmd(), true, false)?.message).toMatch(/approval/);
    expect(refuseRedecide({ ...s, status: 'resolved' }, cmd(), true, false)?.type).toBe('IncidentNotOpen');
  });
});

describe('applyRedecision', () => {
  it('the same choice is recorded and changes nothing else', () => {
    const { s, j } = escalated();
    expect(sameChoice(s.decision, { ...escalate, reasoning: 'other words', source: 'gemini' })).toBe(true);
    expect(applyRedecision(s, j, T0, { ...escalate, reasoning: 'still nothing' }, cmd(), 600)).toBe('same');
    expect(s.status).toBe('escalated');
    expect(s.decision?.reasoning).toBe('still nothing');
    expect(j.events.at(-1)).toMatchObject({ kind: 'redecided', actor: tech.email, data: { changed: false } });
  });

  it('a new low-risk runbook runs at once, asked for by the person (not self-healed)', () => {
    const { s, j } = escalated();
    expect(applyRedecision(s, j, T0, run('low'), cmd(), 600)).toBe('run');
    expect(s).toMatchObject({ status: 'remediating', approval: null, runRequestedBy: tech.email });
    expect(j.events.at(-1)!.message).toBe('Fresh decision asked by tech@acme.test: a new choice: run "Fix (low)" v2');
  });

  it('a new medium-risk runbook waits for an approver, the asker recorded for four-eyes', () => {
    const { s, j } = escalated();
    expect(applyRedecision(s, j, T0, run('medium'), cmd(), 600)).toBe('approval');
    expect(s.status).toBe('awaiting_approval');
    expect(s.approval).toMatchObject({ status: 'pending', riskLevel: 'medium' });
    expect(
      T.refuseApprovalDecision(s, { incidentId: 'inc-1', actor: { ...tech, role: 'company_admin' } }, Date.parse(T0)),
    ).toMatchObject({ type: 'FourEyes' });
  });

  it('a new choice to escalate leaves the incident with its people', () => {
    const { s, j } = escalated();
    s.decision = run('low');
    expect(applyRedecision(s, j, T0, escalate, cmd(), 600)).toBe('escalate');
    expect(s.status).toBe('escalated');
    expect(s.runRequestedBy ?? null).toBeNull();
  });
});
