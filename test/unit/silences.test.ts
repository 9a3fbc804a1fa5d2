import { describe, expect, it } from 'vitest';
import {
  inWindow,
  matchersSchema,
  matchesAll,
  mutedBy,
  wallClock,
  type MaintenanceWindow,
} from '../../domain/silences.ts';

const at = (iso: string) => Date.parse(iso);
const saturdayNight: MaintenanceWindow = { name: 'Patching', days: ['sat'], start: '22:00', end: '02:00' };

describe('maintenance windows', () => {
  it('covers Saturday 22:00 to Sunday 02:00 on the company’s wall clock, across midnight', () => {
    const tz = 'Europe/Berlin'; // UTC+1 in winter
    expect(inWindow(at('2026-11-28T20:59:00Z'), saturdayNight, tz)).toBe(false); // Sat 21:59
    expect(inWindow(at('2026-11-28T21:00:00Z'), saturdayNight, tz)).toBe(true); // Sat 22:00
    expect(inWindow(at('2026-11-28T23:30:00Z'), saturdayNight, tz)).toBe(true); // Sun 00:30
    expect(inWindow(at('2026-11-29T00:59:00Z'), saturdayNight, tz)).toBe(true); // Sun 01:59
    expect(inWindow(at('2026-11-29T01:00:00Z'), saturdayNight, tz)).toBe(false); // Sun 02:00
    // Friday night is not a start day.
    expect(inWindow(at('2026-11-27T22:00:00Z'), saturdayNight, tz)).toBe(false);
  });

  it('follows the wall clock on the nights the clocks change', () => {
    const tz = 'America/New_York';
    // 2026-11-01 02:00 EDT → 01:00 EST: the window "Sat 22:00–02:00" ends at 02:00 EST, five hours of real time.
    expect(inWindow(at('2026-11-01T01:59:00Z'), saturdayNight, tz)).toBe(false); // Sat 21:59 EDT
    expect(inWindow(at('2026-11-01T02:00:00Z'), saturdayNight, tz)).toBe(true); // Sat 22:00 EDT
    expect(wallClock(at('2026-11-01T01:59:00Z'), tz)).toEqual({ day: 6, minutes: 21 * 60 + 59 });
    expect(inWindow(at('2026-11-01T06:59:00Z'), saturdayNight, tz)).toBe(true); // Sun 01:59 EST
    expect(inWindow(at('2026-11-01T07:00:00Z'), saturdayNight, tz)).toBe(false); // Sun 02:00 EST
    // Spring forward, 2026-03-08: 02:00 EST jumps to 03:00 EDT; the window ends at the jump.
    expect(inWindow(at('2026-03-08T06:59:00Z'), saturdayNight, tz)).toBe(true); // Sun 01:59 EST
    expect(inWindow(at('2026-03-08T07:00:00Z'), saturdayNight, tz)).toBe(false); // Sun 03:00 EDT
  });

  it('handles a same-day window and several start days', () => {
    const w: MaintenanceWindow = { name: 'Backups', days: ['mon', 'wed'], start: '01:00', end: '03:30' };
    expect(inWindow(at('2026-11-23T02:00:00Z'), w, 'UTC')).toBe(true); // Mon
    expect(inWindow(at('2026-11-24T02:00:00Z'), w, 'UTC')).toBe(false); // Tue
    expect(inWindow(at('2026-11-25T03:29:00Z'), w, 'UTC')).toBe(true); // Wed
    expect(inWindow(at('2026-11-25T03:30:00Z'), w, 'UTC')).toBe(false);
  });
});

describe('matchers', () => {
  const alert = { asset: 'db-7', signature: 'disk_full', tool: 'Zabbix', severity: 'high', labels: { env: 'staging' } };
  it('requires every matcher, with regular expressions over the whole value', () => {
    expect(
      matchesAll(alert, [
        { field: 'asset', op: '=~', value: 'db-\\d+' },
        { field: 'label:env', op: '=', value: 'staging' },
      ]),
    ).toBe(true);
    expect(matchesAll(alert, [{ field: 'asset', op: '=~', value: 'db' }])).toBe(false);
    expect(matchesAll(alert, [{ field: 'severity', op: '!=', value: 'critical' }])).toBe(true);
    expect(matchesAll(alert, [{ field: 'tool', op: '!~', value: 'Zab.*' }])).toBe(false);
  });

  it('refuses bad matchers with the field named', () => {
    const r = matchersSchema.safeParse([
      { field: 'host', op: '=', value: 'x' },
      { field: 'asset', op: '=~', value: '(' },
    ]);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['0.field', '1.value']);
    expect(matchersSchema.safeParse([]).success).toBe(false);
  });

  it('names the silence or window that mutes an alert, silences first', () => {
    const silences = [
      { id: 's1', matchers: [{ field: 'asset', op: '=' as const, value: 'db-7' }], startsAt: 0, endsAt: 1000 },
    ];
    expect(mutedBy(alert, 500, silences, [], 'UTC')).toEqual({ kind: 'silence', id: 's1' });
    expect(mutedBy(alert, 1000, silences, [], 'UTC')).toBeNull(); // expired
    const always: MaintenanceWindow = {
      name: 'All week',
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '00:00',
      end: '00:00',
    };
    expect(mutedBy(alert, 1000, silences, [always], 'UTC')).toEqual({ kind: 'maintenance', name: 'All week' });
  });
});
