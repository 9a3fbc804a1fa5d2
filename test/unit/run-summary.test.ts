import { describe, expect, it } from 'vitest';
import { runDetails, runSummary } from '../../domain/run-summary.ts';

describe('run summary and details', () => {
  it('read as the incident, bounded', () => {
    expect(runSummary({ assetName: 'srv-db-01', signature: 'disk_full' })).toBe('disk_full on srv-db-01');
    expect(runSummary({ assetName: 'a'.repeat(300), signature: 's' }).length).toBeLessThanOrEqual(200);
    const details = runDetails({
      companyId: 'comp-acme',
      assetName: 'srv-db-01',
      signature: 'disk_full',
      first: { severity: 'high', toolSource: 'Datadog', message: 'x'.repeat(2000), receivedAt: '2026-12-06T10:00:00Z' },
    });
    expect(details.split('\n').slice(0, 4)).toEqual([
      'Company: comp-acme',
      'Asset: srv-db-01',
      'Signature: disk_full',
      'First alert: high from Datadog at 2026-12-06T10:00:00Z',
    ]);
    expect(details.length).toBeLessThan(700);
  });
});
