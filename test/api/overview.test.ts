// The overview's KPIs on fixed data, against values worked out by hand (each expectation says how), and its scope:
// a tenant sees its own companies only, and asking for another company's overview is refused as not found.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthUser } from '../../api/auth.ts';
import { overview } from '../../api/overview.ts';
import { TenantError } from '../../api/tenants/errors.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { pastAlert, pastDecision, pastIncident, type PastIncident } from '../helpers/kpi-fixtures.ts';

let sql: Sql;
let C: string;
let D: string;

const FROM = '2026-03-02T00:00:00.000Z';
const TO = '2026-03-05T00:00:00.000Z';
const user = (role: AuthUser['role'], companyIds: string[]): AuthUser => ({
  id: `u-${randomUUID().slice(0, 8)}`,
  email: 'kpi@example.com',
  name: 'KPI',
  role,
  companyIds,
});

const alert = (companyId: string, asset: string, signature: string, at: string, muted = false) =>
  pastAlert(sql, companyId, asset, signature, at, muted);
const incident = (companyId: string, o: PastIncident) => pastIncident(sql, companyId, o);
const decision = (companyId: string, provider: string, fallback: boolean, at: string) =>
  pastDecision(sql, companyId, provider, fallback, at);

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  C = (await createCompany(sql, { name: 'KPI C' })).companyId;
  D = (await createCompany(sql, { name: 'KPI D' })).companyId;
  // 10 alerts in the period (4 on 03-02, 4 on 03-03 of which 2 muted, 2 on 03-04); one before it and one at its end.
  for (let i = 0; i < 3; i++) await alert(C, 'web-1', 'cpu_high', `2026-03-02T0${i + 1}:00:00Z`);
  await alert(C, 'web-1', 'disk_full', '2026-03-02T05:00:00Z');
  await alert(C, 'web-1', 'disk_full', '2026-03-03T01:00:00Z');
  for (let i = 0; i < 3; i++) await alert(C, 'db-1', 'disk_full', `2026-03-03T0${i + 2}:00:00Z`, i < 2);
  await alert(C, 'app-1', 'mem_high', '2026-03-04T01:00:00Z');
  await alert(C, 'app-1', 'mem_high', '2026-03-04T02:00:00Z');
  await alert(C, 'web-1', 'cpu_high', '2026-03-01T23:00:00Z');
  await alert(C, 'web-1', 'cpu_high', TO);
  // Another company's alert in the period: never in C's figures.
  await alert(D, 'web-1', 'cpu_high', '2026-03-02T03:00:00Z');

  // I1 self-healed in 600 s; I2 acknowledged after 300 s, resolved after 3,600 s; I3 critical, acknowledged after
  // 900 s, escalated and breached; I4 new; I5 merged into I3 (left out); I6 opened before the period, resolved in
  // it after 7,200 s.
  await incident(C, {
    created: '2026-03-02T10:00:00Z',
    status: 'resolved',
    resolved: '2026-03-02T10:10:00Z',
    auto: true,
  });
  await incident(C, {
    created: '2026-03-02T12:00:00Z',
    status: 'resolved',
    ackAt: '2026-03-02T12:05:00Z',
    resolved: '2026-03-02T13:00:00Z',
  });
  const i3 = await incident(C, {
    created: '2026-03-03T08:00:00Z',
    severity: 'critical',
    status: 'escalated',
    ackAt: '2026-03-03T08:15:00Z',
    breached: true,
  });
  await incident(C, { created: '2026-03-04T09:00:00Z', status: 'new' });
  await incident(C, {
    created: '2026-03-03T08:01:00Z',
    status: 'resolved',
    resolved: '2026-03-03T08:02:00Z',
    mergedInto: i3,
  });
  await incident(C, { created: '2026-03-01T23:00:00Z', status: 'resolved', resolved: '2026-03-02T01:00:00Z' });
  await incident(D, { created: '2026-03-02T10:00:00Z', status: 'new', severity: 'low' });

  await decision(C, 'rules', false, '2026-03-02T10:00:05Z');
  await decision(C, 'rules', false, '2026-03-03T08:00:05Z');
  await decision(C, 'gemini', true, '2026-03-04T09:00:05Z');
  await decision(C, 'gemini', false, '2026-03-06T09:00:05Z');
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

describe('overview KPIs', () => {
  it('computes every KPI of a period from the stored facts, as worked out by hand', async () => {
    const o = await overview(sql, user('technician', [C]), { companyId: C, from: FROM, to: TO });
    expect(o).toMatchObject({
      bucket: 'day',
      alerts: 10,
      alertsMuted: 2,
      // I1–I4: I5 was merged, I6 opened before the period.
      incidents: 4,
      // 1 − 4 / 10
      noiseReduction: 0.6,
      selfHealed: 1,
      selfHealedShare: 0.25,
      acknowledged: 2,
      // (300 + 900) / 2
      mttaSeconds: 600,
      // I1, I2 and I6: (600 + 3,600 + 7,200) / 3; self-healed I1 alone; the others (3,600 + 7,200) / 2
      resolved: 3,
      mttrSeconds: 3800,
      mttrSelfHealedSeconds: 600,
      mttrOtherSeconds: 5400,
      // met: I1 and I2; missed: I3; I4 is open inside its deadlines
      slaMet: 2,
      slaMissed: 1,
    });
    expect(o.slaCompliance).toBeCloseTo(2 / 3);
    expect(o.openBySeverity).toEqual([
      { key: 'critical', count: 1 },
      { key: 'high', count: 1 },
    ]);
    expect(o.openByStatus).toEqual([
      { key: 'escalated', count: 1 },
      { key: 'new', count: 1 },
    ]);
    expect(o.decisionsBySource).toEqual([
      { key: 'rules', count: 2 },
      { key: 'gemini → rules', count: 1 },
    ]);
    expect(o.topAssets).toEqual([
      { key: 'web-1', count: 5 },
      { key: 'db-1', count: 3 },
      { key: 'app-1', count: 2 },
    ]);
    expect(o.topSignatures).toEqual([
      { key: 'disk_full', count: 5 },
      { key: 'cpu_high', count: 3 },
      { key: 'mem_high', count: 2 },
    ]);
    expect(o.series).toEqual([
      // I1, I2 opened; I1, I2 and I6 resolved that day
      { at: '2026-03-02T00:00:00.000Z', alerts: 4, incidents: 2, selfHealed: 1, mttrSeconds: 3800 },
      { at: '2026-03-03T00:00:00.000Z', alerts: 4, incidents: 1, selfHealed: 0, mttrSeconds: null },
      { at: '2026-03-04T00:00:00.000Z', alerts: 2, incidents: 1, selfHealed: 0, mttrSeconds: null },
    ]);
  });

  it('draws a short period by the hour, empty hours included', async () => {
    const o = await overview(sql, user('technician', [C]), {
      companyId: C,
      from: '2026-03-02T00:00:00Z',
      to: '2026-03-02T06:00:00Z',
    });
    expect(o.bucket).toBe('hour');
    expect(o.series.map((p) => p.alerts)).toEqual([0, 1, 1, 1, 0, 1]);
  });

  it('says nothing rather than 0 % when a period holds nothing', async () => {
    const o = await overview(sql, user('technician', [C]), {
      companyId: C,
      from: '2025-01-01T00:00:00Z',
      to: '2025-01-02T00:00:00Z',
    });
    expect(o).toMatchObject({ alerts: 0, incidents: 0, noiseReduction: null, mttrSeconds: null, slaCompliance: null });
  });

  it("sums a tenant's own companies only, and another company's overview is not found", async () => {
    const both = await overview(sql, user('company_admin', [C, D]), { companyId: null, from: FROM, to: TO });
    expect(both.alerts).toBe(11);
    const onlyD = await overview(sql, user('company_admin', [D]), { companyId: null, from: FROM, to: TO });
    expect(onlyD).toMatchObject({ alerts: 1, incidents: 1, topAssets: [{ key: 'web-1', count: 1 }] });
    await expect(overview(sql, user('technician', [D]), { companyId: C, from: FROM, to: TO })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    } satisfies Partial<TenantError>);
  });

  it('refuses a backwards or too long period by field', async () => {
    const u = user('technician', [C]);
    await expect(overview(sql, u, { companyId: C, from: TO, to: FROM })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'from', message: 'must be before `to`' }],
    });
    await expect(
      overview(sql, u, { companyId: C, from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'from' }] });
  });
});
