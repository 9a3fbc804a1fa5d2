// Who is on call at an instant: rotation layers (primary, backup, ...) that hand off at a wall-clock time in the
// company's time zone, every N days, with overrides on top. Pure, for the notify and assignment activities and
// the dashboard's "on call now".
import { z } from 'zod';

const DAY_MS = 86_400_000;

export const onCallLayerSchema = z
  .object({
    /** People in rotation order; the first takes the shift that starts on `startDate`. */
    userIds: z.array(z.string().min(1).max(100)).min(1, 'needs at least one person').max(50, 'at most 50 people'),
    /** 1 = daily, 7 = weekly. */
    rotationDays: z.number().int('must be a whole number of days').min(1, 'at least 1 day').max(28, 'at most 28 days'),
    /** Wall-clock handoff in the company's time zone, "HH:MM". */
    handoffTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
    /** The date (YYYY-MM-DD, company time zone) the first person's first shift starts. */
    startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
  })
  .strict();
export type OnCallLayer = z.infer<typeof onCallLayerSchema>;

export interface OnCallOverride {
  userId: string;
  /** 0 = primary, 1 = backup. */
  layer: number;
  startsAt: string;
  endsAt: string;
}

/** Local calendar date and minutes since midnight of `at` in `timeZone`. */
function localDate(at: number, timeZone: string): { days: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return {
    days: Date.UTC(get('year'), get('month') - 1, get('day')) / DAY_MS,
    minutes: get('hour') * 60 + get('minute'),
  };
}

/** The person of one layer at `at`: shifts change at the handoff on the wall clock, so DST moves nobody's shift. */
export function layerOnCall(layer: OnCallLayer, at: number, timeZone: string): string {
  const { days, minutes } = localDate(at, timeZone);
  const handoff = Number(layer.handoffTime.slice(0, 2)) * 60 + Number(layer.handoffTime.slice(3));
  // Before today's handoff, yesterday's shift is still on.
  const shiftDay = days - (minutes < handoff ? 1 : 0);
  const start = Date.parse(`${layer.startDate}T00:00:00Z`) / DAY_MS;
  const shift = Math.floor((shiftDay - start) / layer.rotationDays);
  const n = layer.userIds.length;
  return layer.userIds[((shift % n) + n) % n]!;
}

/** Who is on call per layer at `at` (index 0 primary, 1 backup, ...), overrides applied. */
export function onCallAt(layers: OnCallLayer[], overrides: OnCallOverride[], at: number, timeZone: string): string[] {
  return layers.map((layer, i) => {
    const o = overrides.find((x) => x.layer === i && Date.parse(x.startsAt) <= at && at < Date.parse(x.endsAt));
    return o ? o.userId : layerOnCall(layer, at, timeZone);
  });
}

const CATEGORY_HINTS: Array<[RegExp, string]> = [
  [/replication|postgres|mysql|mongo|redis|database|db_|deadlock|query/i, 'database'],
  [/network|unreachable|packet|latency|dns|bgp|vpn|interface|ping/i, 'network'],
  [/ssl|cert|auth|login|firewall|intrusion|malware|security/i, 'security'],
  [/disk|cpu|memory|load|host_down|service_down|process|swap|inode/i, 'server'],
];

/**
 * The incident's category, which picks its rotation: the alert's own `category` label when it has one (seed 001
 * alerts carry it), else a guess from the signature.
 */
export function categoryOf(signature: string, labels: Record<string, string> | null | undefined): string | null {
  const label = labels?.category?.trim().toLowerCase();
  if (label) return label;
  for (const [re, category] of CATEGORY_HINTS) if (re.test(signature)) return category;
  return null;
}
