import { describe, expect, it } from 'vitest';
import { monthPatches, parseMonth, reportCsv } from '../../domain/client-report.ts';
import type { InstancePatchState } from '../../domain/patch-compliance.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');

describe('client report months', () => {
  it('names a calendar month in UTC', () => {
    expect(parseMonth('2026-11', NOW)).toEqual({
      month: '2026-11',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    expect(parseMonth('2025-12', NOW)).toMatchObject({ to: '2026-01-01T00:00:00.000Z' });
    // The month under way is reportable so far.
    expect(parseMonth('2026-12', NOW)).toMatchObject({ month: '2026-12' });
  });

  it('refuses what is not a month, the future and more than 24 months back', () => {
    expect(parseMonth('2026-13', NOW)).toEqual({ problem: 'must be a month such as 2026-11' });
    expect(parseMonth('26-11', NOW)).toEqual({ problem: 'must be a month such as 2026-11' });
    expect(parseMonth('2027-01', NOW)).toEqual({ problem: 'is in the future' });
    expect(parseMonth('2024-12', NOW)).toMatchObject({ month: '2024-12' });
    expect(parseMonth('2024-11', NOW)).toEqual({ problem: 'is more than 24 months ago' });
  });
});

describe('client report CSV', () => {
  it('writes a section per table and neutralises formulas a tenant could plant', () => {
    const csv = reportCsv({
      companyName: '=HYPERLINK("http://evil")',
      month: '2026-11',
      alerts: 10,
      incidents: 4,
      noiseReduction: 0.6,
      mttaSeconds: 600,
      mttrSeconds: null,
      selfHealed: 1,
      selfHealedShare: 0.25,
      slaCompliance: 2 / 3,
      bySeverity: [{ severity: 'critical', incidents: 1, slaMet: 0, slaMissed: 1 }],
      recurring: [{ signature: 'disk_full', incidents: 3, assets: 2, selfHealed: 1 }],
      patches: null,
    });
    expect(csv.split('\r\n')).toEqual([
      'company,month,alerts,incidents,noise_reduction_pct,mtta_seconds,mttr_seconds,self_healed,self_healed_pct,' +
        'sla_compliance_pct',
      `"'=HYPERLINK(""http://evil"")",2026-11,10,4,60.0,600,,1,25.0,66.7`,
      '',
      'severity,incidents,sla_met,sla_missed',
      'critical,1,0,1',
      '',
      'recurring_signature,incidents,assets,self_healed',
      'disk_full,3,2,1',
      '',
      'patch_instances_scanned,patch_compliant,patch_non_compliant,patch_critical_missing,patch_security_missing,' +
        'patch_last_scan_at',
      '',
    ]);
  });

  it('ends with the patch line when the month knows it', () => {
    const patches = {
      instancesScanned: 3,
      compliant: 1,
      nonCompliant: 2,
      criticalMissing: 4,
      securityMissing: 1,
      lastScanAt: '2026-11-20T08:00:00.000Z',
    };
    const csv = reportCsv({
      companyName: 'Acme',
      month: '2026-11',
      alerts: 0,
      incidents: 0,
      noiseReduction: null,
      mttaSeconds: null,
      mttrSeconds: null,
      selfHealed: 0,
      selfHealedShare: null,
      slaCompliance: null,
      bySeverity: [],
      recurring: [],
      patches,
    });
    expect(csv.split('\r\n').slice(-2)).toEqual(['3,1,2,4,1,2026-11-20T08:00:00.000Z', '']);
  });
});

const state = (instanceId: string, ended: string, o: Partial<InstancePatchState> = {}): InstancePatchState => ({
  instanceId,
  missingCount: 0,
  criticalNonCompliantCount: 0,
  securityNonCompliantCount: 0,
  failedCount: 0,
  installedPendingRebootCount: 0,
  operation: 'Scan',
  operationEndTime: ended,
  ...o,
});
const NOVEMBER = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

describe('client report patch compliance', () => {
  it('counts the registered instances whose stored scan ended that month, worked out by hand', () => {
    const states = [
      state('i-a', '2026-11-03T10:00:00.000Z'),
      // Missing 3 (2 critical, 1 security): non-compliant.
      state('i-b', '2026-11-20T08:00:00.000Z', {
        missingCount: 3,
        criticalNonCompliantCount: 2,
        securityNonCompliantCount: 1,
      }),
      // Nothing missing but a reboot pending: non-compliant as Patch Manager counts it.
      state('i-c', '2026-11-30T23:59:59.000Z', { installedPendingRebootCount: 1 }),
      // Scanned again in December: its November state is gone, so it is not counted.
      state('i-d', '2026-12-01T00:00:00.000Z', { missingCount: 9, criticalNonCompliantCount: 9 }),
      // Not registered any more (not asked at the last refresh).
      state('i-x', '2026-11-10T00:00:00.000Z', { missingCount: 1, criticalNonCompliantCount: 1 }),
    ];
    expect(monthPatches(['i-a', 'i-b', 'i-c', 'i-d'], states, NOVEMBER)).toEqual({
      instancesScanned: 3,
      compliant: 1,
      nonCompliant: 2,
      criticalMissing: 2,
      securityMissing: 1,
      lastScanAt: '2026-11-30T23:59:59.000Z',
    });
  });

  it('knows nothing (null, not 0 %) when no scan of a registered instance ended that month', () => {
    expect(monthPatches([], [], NOVEMBER)).toBeNull();
    expect(monthPatches(['i-a'], [state('i-a', '2026-10-31T23:59:59.000Z')], NOVEMBER)).toBeNull();
    expect(monthPatches(['i-b'], [state('i-a', '2026-11-10T00:00:00.000Z')], NOVEMBER)).toBeNull();
  });
});
