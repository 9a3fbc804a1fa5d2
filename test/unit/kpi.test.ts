import { describe, expect, it } from 'vitest';
import {
  bucketFor,
  bucketStarts,
  checkPeriod,
  DAY_MS,
  HOUR_MS,
  noiseReduction,
  ratio,
  slaCompliance,
} from '../../domain/kpi.ts';

const at = (iso: string) => Date.parse(iso);

describe('KPI formulas', () => {
  it('noise reduction is 1 − incidents / alerts (seed 004: 1,000 alerts → 350 incidents is 65 %)', () => {
    expect(noiseReduction(1000, 350)).toBeCloseTo(0.65);
    expect(noiseReduction(0, 0)).toBeNull();
    // More incidents than alerts (a period that starts after its alerts): never below 0.
    expect(noiseReduction(2, 3)).toBe(0);
  });

  it('ratios are null when nothing was there to divide', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(0, 0)).toBeNull();
    expect(slaCompliance(2, 1)).toBeCloseTo(2 / 3);
    expect(slaCompliance(0, 0)).toBeNull();
  });

  it('refuses a period that is backwards, unreadable or longer than 366 days, naming the field', () => {
    expect(checkPeriod(at('2026-03-02T00:00:00Z'), at('2026-03-01T00:00:00Z'))).toMatchObject({ field: 'from' });
    expect(checkPeriod(NaN, at('2026-03-01T00:00:00Z'))).toMatchObject({ field: 'from' });
    expect(checkPeriod(0, NaN)).toMatchObject({ field: 'to' });
    expect(checkPeriod(0, 367 * DAY_MS)).toMatchObject({ field: 'from', message: expect.stringContaining('366') });
    expect(checkPeriod(0, 366 * DAY_MS)).toBeNull();
  });

  it('draws up to two days by the hour and longer periods by the day, every bucket from the floored start', () => {
    expect(bucketFor(0, 2 * DAY_MS)).toBe('hour');
    expect(bucketFor(0, 2 * DAY_MS + 1)).toBe('day');
    const hours = bucketStarts(at('2026-03-02T10:30:00Z'), at('2026-03-02T13:00:00Z'), 'hour');
    expect(hours.map((h) => new Date(h).toISOString())).toEqual([
      '2026-03-02T10:00:00.000Z',
      '2026-03-02T11:00:00.000Z',
      '2026-03-02T12:00:00.000Z',
    ]);
    expect(bucketStarts(0, 3 * DAY_MS, 'day')).toEqual([0, DAY_MS, 2 * DAY_MS]);
    expect(bucketStarts(0, HOUR_MS, 'hour')).toEqual([0]);
  });
});
