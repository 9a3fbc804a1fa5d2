import { describe, expect, it } from 'vitest';
import { parseMonth, reportCsv } from '../../domain/client-report.ts';

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
    ]);
  });
});
