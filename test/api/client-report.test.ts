// The monthly client report on fixed data, worked out by hand: the month's KPIs, the SLA scorecard by severity (every
// severity listed) and the problems that came back; another company's report is not found.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthUser } from '../../api/auth.ts';
import { clientReport } from '../../api/client-report.ts';
import { savePatchStates } from '../../db/patch-compliance.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import type { InstancePatchState } from '../../domain/patch-compliance.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { pastAlert, pastIncident } from '../helpers/kpi-fixtures.ts';

let sql: Sql;
let R: string;
let other: string;
const NOW = Date.parse('2026-04-10T12:00:00Z');
const user = (companyIds: string[]): AuthUser => ({
  id: `u-${randomUUID().slice(0, 8)}`,
  email: 'report@example.com',
  name: 'Report',
  role: 'company_admin',
  companyIds,
});

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  R = (await createCompany(sql, { name: 'Report Dental' })).companyId;
  other = (await createCompany(sql, { name: 'Report Other' })).companyId;
  for (let i = 0; i < 8; i++) await pastAlert(sql, R, `dental-${i % 2}`, 'disk_full', `2026-03-0${i + 1}T10:00:00Z`);
  await pastAlert(sql, R, 'dental-9', 'disk_full', '2026-02-28T23:59:59Z');
  // disk_full three times on two assets (one self-healed), cpu_high once; one critical breach, one high breach.
  const inc = (o: Parameters<typeof pastIncident>[2]) => pastIncident(sql, R, o);
  await inc({ created: '2026-03-01T10:00:00Z', asset: 'dental-0', signature: 'disk_full', status: 'resolved' });
  await sql`UPDATE incidents SET resolved_at = '2026-03-01T10:10:00Z', auto_remediated = true
            WHERE company_id = ${R} AND created_at = '2026-03-01T10:00:00Z'`;
  await inc({
    created: '2026-03-03T10:00:00Z',
    asset: 'dental-1',
    signature: 'disk_full',
    status: 'resolved',
    resolved: '2026-03-03T11:00:00Z',
    ackAt: '2026-03-03T10:10:00Z',
  });
  await inc({
    created: '2026-03-05T10:00:00Z',
    asset: 'dental-0',
    signature: 'disk_full',
    status: 'resolved',
    resolved: '2026-03-05T14:00:00Z',
    breached: true,
  });
  await inc({
    created: '2026-03-07T10:00:00Z',
    asset: 'dental-1',
    signature: 'cpu_high',
    severity: 'critical',
    status: 'escalated',
    breached: true,
  });
  await inc({ created: '2026-04-01T00:00:00Z', asset: 'dental-0', signature: 'disk_full', status: 'new' });
  await pastIncident(sql, other, { created: '2026-03-02T10:00:00Z', signature: 'disk_full', status: 'new' });
  // Three registered instances: scanned 10 and 20 March (the second missing 2 critical and 1 security patch), and
  // one scanned again on 2 April, whose March state is no longer known.
  const scan = (instanceId: string, ended: string, o: Partial<InstancePatchState> = {}): InstancePatchState => ({
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
  const ids = [1, 2, 3].map((n) => `i-report-${n}-${randomUUID().slice(0, 8)}`);
  await savePatchStates(sql, R, ids, [
    scan(ids[0]!, '2026-03-10T06:00:00.000Z'),
    scan(ids[1]!, '2026-03-20T06:30:00.000Z', {
      missingCount: 3,
      criticalNonCompliantCount: 2,
      securityNonCompliantCount: 1,
    }),
    scan(ids[2]!, '2026-04-02T06:00:00.000Z', { missingCount: 4, criticalNonCompliantCount: 4 }),
  ]);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

describe('client report', () => {
  it("adds up one company's month as worked out by hand", async () => {
    const r = await clientReport(sql, user([R]), { companyId: R, month: '2026-03' }, NOW);
    expect(r).toMatchObject({
      companyName: 'Report Dental',
      month: '2026-03',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      alerts: 8,
      incidents: 4,
      noiseReduction: 0.5,
      selfHealed: 1,
      selfHealedShare: 0.25,
      // Acknowledged after 600 s; resolved after 600, 3,600 and 14,400 s.
      mttaSeconds: 600,
      mttrSeconds: 6200,
    });
    // Met: the two resolved without a breach; missed: the high one resolved late and the critical one.
    expect(r.slaCompliance).toBe(0.5);
    expect(r.bySeverity).toEqual([
      { severity: 'critical', incidents: 1, slaMet: 0, slaMissed: 1 },
      { severity: 'high', incidents: 3, slaMet: 2, slaMissed: 1 },
      { severity: 'medium', incidents: 0, slaMet: 0, slaMissed: 0 },
      { severity: 'low', incidents: 0, slaMet: 0, slaMissed: 0 },
    ]);
    expect(r.recurring).toEqual([{ signature: 'disk_full', incidents: 3, assets: 2, selfHealed: 1 }]);
  });

  it('reports patch compliance as far as the month knows it, and nothing where nothing is known', async () => {
    const r = await clientReport(sql, user([R]), { companyId: R, month: '2026-03' }, NOW);
    expect(r.patches).toEqual({
      instancesScanned: 2,
      compliant: 1,
      nonCompliant: 1,
      criticalMissing: 2,
      securityMissing: 1,
      lastScanAt: '2026-03-20T06:30:00.000Z',
    });
    // February: no stored scan ended then. The other company has no patch states at all.
    expect((await clientReport(sql, user([R]), { companyId: R, month: '2026-02' }, NOW)).patches).toBeNull();
    expect((await clientReport(sql, user([other]), { companyId: other, month: '2026-03' }, NOW)).patches).toBeNull();
    // April so far: the one rescanned instance, missing 4 critical patches.
    expect((await clientReport(sql, user([R]), { companyId: R, month: '2026-04' }, NOW)).patches).toMatchObject({
      instancesScanned: 1,
      compliant: 0,
      criticalMissing: 4,
    });
  });

  it("refuses a bad month by field, and another company's report is not found", async () => {
    await expect(clientReport(sql, user([R]), { companyId: R, month: '2026-3' }, NOW)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'month', message: 'must be a month such as 2026-11' }],
    });
    await expect(clientReport(sql, user([other]), { companyId: R, month: '2026-03' }, NOW)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
