// People's commands on an incident (acknowledge, start work, assign, resolve with a note, reopen) without Temporal.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import * as L from '../../workflows/incident-lifecycle.ts';
import * as T from '../../workflows/incident-state.ts';
import type { AssignCommand, IncidentCommand, IncidentState } from '../../workflows/types.ts';

const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function opened(): { s: IncidentState; j: T.Journal } {
  const first = { alertId: 'a1', severity: 'high' as const, message: 'm', toolSource: 'Zabbix', receivedAt: T0 };
  const s = T.openIncident(
    {
      incidentId: 'inc-1',
      companyId: 'comp-a',
      workflowId: 'wf',
      runId: 'run',
      aggregationKey: 'srv|disk_full',
      assetName: 'srv',
      signature: 'disk_full',
      assetCritical: false,
      sla: DEFAULT_SLA_POLICY,
      first,
    },
    T0,
  );
  return { s, j: T.emptyJournal() };
}

const tech: IncidentCommand['actor'] = {
  userId: 'u-tech',
  email: 'tech@a.example',
  role: 'technician',
  companyIds: ['comp-a'],
};
const lead: IncidentCommand['actor'] = {
  userId: 'u-lead',
  email: 'lead@a.example',
  role: 'company_admin',
  companyIds: ['comp-a'],
};
const cmd = (actor = tech, comment?: string): IncidentCommand => ({
  incidentId: 'inc-1',
  actor,
  ...(comment ? { comment } : {}),
});
const assignTo = (actor: IncidentCommand['actor'], who: { userId: string; email: string }): AssignCommand => ({
  ...cmd(actor),
  assignee: who,
});

describe('incident lifecycle', () => {
  it('walks new → acknowledged → in progress → resolved with a note, then reopens', () => {
    const { s, j } = opened();
    expect(L.refuseAcknowledge(s, cmd())).toBeNull();
    L.acknowledge(s, j, at(1), cmd());
    expect(s.status).toBe('acknowledged');
    expect(T.responded(s)).toBe(true);
    expect(L.refuseAcknowledge(s, cmd())?.message).toBe('Already acknowledged by tech@a.example');

    L.startWork(s, j, at(2), cmd());
    expect(s.status).toBe('in_progress');
    expect(s.assignee).toMatchObject({ userId: 'u-tech', email: 'tech@a.example' });
    expect(L.refuseStartWork(s, cmd())?.type).toBe('AlreadyInProgress');

    L.resolveByHand(s, j, at(3), cmd(tech, 'cleared /var/log'));
    expect(s).toMatchObject({ status: 'resolved', resolutionNote: 'cleared /var/log', resolvedAt: at(3) });
    expect(L.refuseAcknowledge(s, cmd())?.type).toBe('AlreadyResolved');
    expect(L.refuseAssign(s, assignTo(lead, tech))?.type).toBe('AlreadyResolved');

    expect(L.refuseReopen(s, cmd())).toBeNull();
    L.reopen(s, j, at(4), cmd(lead, 'disk filled again'));
    expect(s).toMatchObject({ status: 'reopened', resolvedAt: null, resolutionNote: null, reopenCount: 1 });
    expect(L.refuseReopen(s, cmd())).toMatchObject({
      type: 'NotResolved',
      message: 'Incident is reopened, not resolved',
    });
    // A reopened incident wants a fresh acknowledgement.
    expect(L.refuseAcknowledge(s, cmd())).toBeNull();
    L.acknowledge(s, j, at(5), cmd());
    expect(s.status).toBe('acknowledged');

    expect(j.events.map((e) => [e.kind, e.message])).toEqual([
      ['acknowledged', 'Acknowledged by tech@a.example'],
      ['in_progress', 'Work started by tech@a.example'],
      ['resolved', 'Resolved by tech@a.example: cleared /var/log'],
      ['reopened', 'Reopened by lead@a.example: disk filled again'],
      ['acknowledged', 'Acknowledged by tech@a.example'],
    ]);
  });

  it('lets a technician take an incident but only a lead hand it to someone else', () => {
    const { s, j } = opened();
    expect(L.refuseAssign(s, assignTo(tech, { userId: 'u-other', email: 'o@a.example' }))).toEqual({
      type: 'InsufficientRole',
      message: 'A technician may only assign an incident to themselves',
    });
    expect(L.refuseAssign(s, assignTo(tech, tech))).toBeNull();
    L.assign(s, j, at(1), assignTo(tech, tech));
    expect(j.events.at(-1)?.message).toBe('Taken by tech@a.example');
    expect(L.refuseAssign(s, assignTo(lead, tech))?.type).toBe('AlreadyAssigned');
    L.assign(s, j, at(2), assignTo(lead, { userId: 'u-other', email: 'o@a.example' }));
    expect(s.assignee).toEqual({ userId: 'u-other', email: 'o@a.example', at: at(2), by: 'lead@a.example' });
    expect(j.events.at(-1)).toMatchObject({
      kind: 'assigned',
      message: 'Assigned to o@a.example by lead@a.example',
      data: { assignee: 'o@a.example', previous: 'tech@a.example' },
    });
    const outsider = { ...lead, companyIds: ['comp-b'] };
    expect(L.refuseAssign(s, assignTo(outsider, outsider))?.type).toBe('Forbidden');
  });

  it('keeps the automation status while it holds the incident, and refuses work or a hand resolve over it', () => {
    const { s, j } = opened();
    s.status = 'awaiting_approval';
    L.acknowledge(s, j, at(1), cmd());
    expect(s.status).toBe('awaiting_approval');
    expect(L.refuseStartWork(s, cmd())?.type).toBe('AutomationRunning');
    s.status = 'remediating';
    expect(L.refuseStartWork(s, cmd())?.message).toMatch(/^A runbook is running/);
    expect(L.refuseResolve(s, cmd())?.type).toBe('RemediationRunning');
    s.status = 'escalated';
    expect(L.refuseResolve(s, cmd())).toBeNull();
    expect(L.refuseStartWork(s, cmd())).toBeNull();
  });

  it('merges into another incident, takes a merged one in, and splits alerts off', () => {
    const { s: source, j } = opened();
    const into = { incidentId: 'inc-2', label: 'payments / psp_timeout (inc-2)' };
    expect(L.refuseMerge(source, { ...cmd(), into: { ...into, incidentId: 'inc-1' } })?.type).toBe('SameIncident');
    source.status = 'remediating';
    expect(L.refuseMerge(source, { ...cmd(), into })?.type).toBe('RemediationRunning');
    source.status = 'escalated';
    L.mergeInto(source, j, at(1), { ...cmd(), into });
    expect(source).toMatchObject({
      status: 'resolved',
      mergedInto: 'inc-2',
      resolutionNote: `Merged into ${into.label}`,
    });
    expect(L.refuseMerge(source, { ...cmd(), into })?.type).toBe('AlreadyResolved');

    const { s: target, j: tj } = opened();
    target.alertCount = 2;
    const src = {
      incidentId: 'inc-9',
      label: 'shop-1 / checkout_errors (inc-9)',
      alertCount: 3,
      severity: 'critical' as const,
      toolSources: ['Datadog'],
    };
    L.absorbMerged(target, tj, at(2), { ...cmd(), source: src });
    expect(target).toMatchObject({ alertCount: 5, severity: 'critical', toolSources: ['Datadog'] });
    expect(tj.events.at(-1)?.message).toBe(`Took in ${src.label} (3 alerts), merged by tech@a.example`);

    L.detach(target, tj, at(3), { ...cmd(), alertCount: 2 });
    expect(target.alertCount).toBe(3);
    expect(L.refuseDetach(target, { ...cmd(), alertCount: 0 })?.type).toBe('InvalidSplit');
  });

  it('lets the correlation fold in only an incident no person took up, and takes each one in once', () => {
    const into = { incidentId: 'inc-2', label: 'srv / host_down (inc-2)' };
    const auto = { ...cmd(), into, byCorrelation: true };
    const { s: source, j } = opened();
    source.status = 'escalated';
    expect(L.refuseMerge(source, auto)).toBeNull();
    L.acknowledge(source, j, at(1), cmd());
    expect(L.refuseMerge(source, auto)?.type).toBe('TakenUp');
    expect(L.refuseMerge(source, { ...cmd(), into })).toBeNull();

    const { s: fresh, j: fj } = opened();
    L.mergeInto(fresh, fj, at(1), auto);
    expect(fj.events.at(-1)).toMatchObject({
      message: `Merged into ${into.label}: the host fault that followed on its asset`,
      actor: null,
    });

    const { s: target, j: tj } = opened();
    target.alertCount = 1;
    const src = { incidentId: 'inc-7', label: 'srv / queue_stuck (inc-7)', alertCount: 2, severity: 'high' as const };
    const absorb = { ...cmd(), source: { ...src, toolSources: ['Prometheus'] }, byCorrelation: true };
    L.absorbMerged(target, tj, at(2), absorb);
    L.absorbMerged(target, tj, at(3), absorb);
    expect(target.alertCount).toBe(3);
    expect(tj.events.filter((e) => e.kind === 'merged')).toHaveLength(1);
    expect(tj.events.at(-1)).toMatchObject({
      actor: null,
      message: expect.stringMatching(/symptoms seen on the asset/),
    });
  });
});
