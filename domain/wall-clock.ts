// The wall clock of a named time zone, for maintenance windows and business hours. Pure and free of imports, so
// the workflow bundle can take it.

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

/** Weekday and minutes since midnight of `at` on the wall clock of `timeZone`. */
export function wallClock(at: number, timeZone: string): { day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  const day = DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as Day);
  return { day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}
