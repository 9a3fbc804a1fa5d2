// Which alerts are muted: ad-hoc silences (Alertmanager-style matchers with an expiry) and recurring maintenance
// windows in the company's time zone. A muted alert is stored and counted but opens no incident and pages nobody.
// Pure: the router passes the alert, the active silences and the company's windows.
import { z } from 'zod';
import { DAYS, wallClock, type Day } from './wall-clock.ts';

export { DAYS, wallClock, type Day };

export const MATCHER_FIELD = /^(asset|signature|tool|severity|label:[A-Za-z_][A-Za-z0-9_.-]{0,63})$/;

export const matcherSchema = z
  .object({
    field: z.string().regex(MATCHER_FIELD, 'must be asset, signature, tool, severity or label:<name>'),
    /** = equals, != differs, =~ matches the regular expression (whole value), !~ does not. */
    op: z.enum(['=', '!=', '=~', '!~']),
    value: z.string().max(256),
  })
  .strict()
  .refine((m) => !m.op.includes('~') || isRegex(m.value), {
    message: 'is not a valid regular expression',
    path: ['value'],
  });

export type Matcher = z.infer<typeof matcherSchema>;

export const matchersSchema = z.array(matcherSchema).min(1, 'needs at least one matcher').max(20);

export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const maintenanceWindowSchema = z
  .object({
    name: z.string().min(1).max(120),
    /** Days the window starts on, in the company's time zone. */
    days: z.array(z.enum(DAYS)).min(1).max(7),
    /** Wall-clock start and end; an end at or before the start runs past midnight (Sat 22:00–02:00). */
    start: z.string().regex(HHMM, 'must be HH:MM'),
    end: z.string().regex(HHMM, 'must be HH:MM'),
    /** Only alerts these match; none = every alert of the company. */
    matchers: z.array(matcherSchema).max(20).optional(),
  })
  .strict();

export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export interface MutableAlert {
  asset: string;
  signature: string;
  tool: string;
  severity: string;
  labels?: Record<string, string>;
}

function isRegex(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

function valueOf(a: MutableAlert, field: string): string {
  if (field === 'asset') return a.asset;
  if (field === 'signature') return a.signature;
  if (field === 'tool') return a.tool;
  if (field === 'severity') return a.severity;
  return a.labels?.[field.slice('label:'.length)] ?? '';
}

/** Every matcher must hold (Alertmanager semantics); a regular expression matches the whole value. */
export function matchesAll(a: MutableAlert, matchers: Matcher[]): boolean {
  return matchers.every((m) => {
    const v = valueOf(a, m.field);
    if (m.op === '=') return v === m.value;
    if (m.op === '!=') return v !== m.value;
    const hit = new RegExp(`^(?:${m.value})$`).test(v);
    return m.op === '=~' ? hit : !hit;
  });
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/**
 * Whether `at` falls in the window, on the wall clock: "Sat 22:00–02:00" covers Saturday from 22:00 and Sunday
 * until 02:00 local time, however long that is in real time on a night the clocks change.
 */
export function inWindow(at: number, w: MaintenanceWindow, timeZone: string): boolean {
  const { day, minutes } = wallClock(at, timeZone);
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  const startsOn = (d: number) => w.days.includes(DAYS[(d + 7) % 7]!);
  if (end > start) return startsOn(day) && minutes >= start && minutes < end;
  // Past midnight: the evening part on a start day, or the morning part on the day after one.
  return (startsOn(day) && minutes >= start) || (startsOn(day - 1) && minutes < end);
}

export interface SilenceRule {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
}

export type Muting = { kind: 'silence'; id: string } | { kind: 'maintenance'; name: string };

/** The first silence or maintenance window that mutes the alert at `at`, or null. */
export function mutedBy(
  a: MutableAlert,
  at: number,
  silences: SilenceRule[],
  windows: MaintenanceWindow[],
  timeZone: string,
): Muting | null {
  for (const s of silences) {
    if (at >= s.startsAt && at < s.endsAt && matchesAll(a, s.matchers)) return { kind: 'silence', id: s.id };
  }
  for (const w of windows) {
    if (inWindow(at, w, timeZone) && matchesAll(a, w.matchers ?? [])) return { kind: 'maintenance', name: w.name };
  }
  return null;
}
