import { describe, expect, it } from 'vitest';
import { aggregationKey, incidentWorkflowId } from '../../domain/correlation.ts';
import { priorityScore } from '../../domain/priority.ts';
import { canApprove, decideByRules, matchRunbook } from '../../domain/rules.ts';
import { maxSeverity } from '../../domain/severity.ts';
import { DEFAULT_SLA_POLICY, slaDeadlines } from '../../domain/sla.ts';
import type { Runbook } from '../../domain/types.ts';

const runbooks: Runbook[] = [
  {
    id: 'a',
    name: 'Clean temp',
    signature: 'disk_full',
    riskLevel: 'low',
    documentName: 'AWS-RunShellScript',
    actions: ['x'],
  },
  {
    id: 'b',
    name: 'Restart nginx',
    signature: 'service_down:nginx',
    riskLevel: 'high',
    documentName: 'AWS-RunShellScript',
    actions: ['y'],
  },
];

describe('priorityScore (seed 000 formula)', () => {
  it('scores a lone critical alert on an ordinary asset at the severity base', () => {
    expect(
      priorityScore({ severity: 'critical', assetCritical: false, alertCount: 1, toolSourceCount: 1, ageHours: 0 }),
    ).toBe(90);
  });
  it('adds 20 for a critical asset, 2 per duplicate capped at 20, and 10 for two tools', () => {
    expect(
      priorityScore({ severity: 'critical', assetCritical: true, alertCount: 5, toolSourceCount: 2, ageHours: 0 }),
    ).toBe(90 + 20 + 8 + 10);
    expect(
      priorityScore({ severity: 'low', assetCritical: false, alertCount: 50, toolSourceCount: 1, ageHours: 0 }),
    ).toBe(10 + 20);
  });
  it('subtracts whole hours of age, at most 10', () => {
    expect(
      priorityScore({ severity: 'high', assetCritical: false, alertCount: 1, toolSourceCount: 1, ageHours: 3.7 }),
    ).toBe(57);
    expect(
      priorityScore({ severity: 'high', assetCritical: false, alertCount: 1, toolSourceCount: 1, ageHours: 48 }),
    ).toBe(50);
  });
});

describe('correlation keys', () => {
  it('joins asset and signature, and scopes the workflow id by company', () => {
    expect(aggregationKey('srv-app-01', 'cpu_high')).toBe('srv-app-01|cpu_high');
    expect(incidentWorkflowId('comp-acme', 'srv-app-01|cpu_high')).toBe('incident:comp-acme:srv-app-01|cpu_high');
  });
});

describe('severity', () => {
  it('keeps the worst', () => {
    expect(maxSeverity('low', 'critical')).toBe('critical');
    expect(maxSeverity('high', 'medium')).toBe('high');
  });
});

describe('SLA deadlines', () => {
  it('counts response and resolution minutes from creation by severity', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(slaDeadlines(t0, 'critical')).toEqual({
      responseDeadline: t0 + 5 * 60_000,
      resolutionDeadline: t0 + 60 * 60_000,
    });
    expect(slaDeadlines(t0, 'low').resolutionDeadline - t0).toBe(DEFAULT_SLA_POLICY.resolutionMinutes.low * 60_000);
  });
});

describe('rules decision', () => {
  it('auto-remediates a low-risk match, asks approval for high risk, escalates without a runbook', () => {
    expect(decideByRules('disk_full', runbooks)).toMatchObject({
      action: 'auto_remediate',
      runbook: { id: 'a' },
      source: 'rules',
    });
    expect(decideByRules('service_down:nginx', runbooks)).toMatchObject({
      action: 'request_approval',
      runbook: { id: 'b' },
    });
    expect(decideByRules('cpu_high', runbooks)).toMatchObject({ action: 'escalate', runbook: null });
    expect(matchRunbook('nope', runbooks)).toBeNull();
  });
  it('lets only MSP admins approve high risk, and admins approve medium', () => {
    expect(canApprove('msp_admin', 'high')).toBe(true);
    expect(canApprove('company_admin', 'high')).toBe(false);
    expect(canApprove('company_admin', 'medium')).toBe(true);
    expect(canApprove('technician', 'medium')).toBe(false);
    expect(canApprove('technician', 'low')).toBe(true);
  });
});
