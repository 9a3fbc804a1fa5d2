// Which alerts are muted: ad-hoc silences (Alertmanager-style matchers with an expiry) and recurring maintenance
// windows in the company's time zone. A muted alert is stored and counted but opens no incident and pages nobody.
// Pure: the router passes the alert, the active silences and the company's windows. Regular expressions run on RE2
// (domain/matchers.ts), so muting takes time linear in the alert's values whatever a tenant wrote.
import { z } from 'zod';
import { compilePattern, MAX_PATTERN_LENGTH, PatternCache } from './matchers.ts';
import { DAYS, wallClock, type Day } from './wall-clock.ts';

export { DAYS, wallClock, type Day };

/** Active or pending silences a company may hold (MAX_ACTIVE_SILENCES); the router reads at most this many a pass. */
export const DEFAULT_MAX_ACTIVE_SILENCES = 1_000;

export const MATCHER_FIELD = /^(asset|signature|tool|severity|label:[A-Za-z_][A-Za-z0-9_.-]{0,63})$/;

const OPS = ['=', '!=', '=~', '!~'] as const;

/** A matcher's shape, without judging its pattern: what a stored row must have before it is compiled. */
const matcherShape = z
  .object({
    field: z.string().regex(MATCHER_FIELD, 'must be asset, signature, tool, severity or label:<name>'),
    /** = equals, != differs, =~ matches the regular expression (whole value), !~ does not. */
    op: z.enum(OPS),
    value: z.string().max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`),
  })
  .strict();

/** What a tenant may save: a regular expression must be one RE2 runs, within its cost bound. */
export const matcherSchema = matcherShape.superRefine((m, ctx) => {
  // A value over the length limit is already refused for that.
  if (!m.op.includes('~') || m.value.length > MAX_PATTERN_LENGTH) return;
  const c = compilePattern(m.value);
  if (!c.ok) ctx.addIssue({ code: 'custom', message: c.problem, path: ['value'] });
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

function valueOf(a: MutableAlert, field: string): string {
  if (field === 'asset') return a.asset;
  if (field === 'signature') return a.signature;
  if (field === 'tool') return a.tool;
  if (field === 'severity') return a.severity;
  return a.labels?.[field.slice('label:'.length)] ?? '';
}

type Check = (a: MutableAlert) => boolean;

/** Matchers ready to run, or why they mute nothing (a row saved before RE2 judged it, or not a matcher list). */
export type CompiledMatchers = { ok: true; checks: Check[] } | { ok: false; problem: string };

const storedMatchers = z.array(matcherShape).max(20);

/**
 * Compiles stored matchers with the pass's cache. Never throws: a row the engine refuses (a lookahead saved before
 * this check, a hand-edited row) comes back with its problem, named like a GraphQL field ("matchers.0.value ..."),
 * and mutes nothing, so a bad row costs an alert its muting, never its routing.
 */
export function compileMatchers(stored: unknown, cache: PatternCache, minimum = 0): CompiledMatchers {
  const shape = storedMatchers.min(minimum).safeParse(stored);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    return { ok: false, problem: `${['matchers', ...issue.path].join('.')}: ${issue.message}` };
  }
  const checks: Check[] = [];
  const patterns: Check[] = [];
  for (const [i, m] of shape.data.entries()) {
    if (m.op === '=') checks.push((a) => valueOf(a, m.field) === m.value);
    else if (m.op === '!=') checks.push((a) => valueOf(a, m.field) !== m.value);
    else {
      const c = cache.get(m.value);
      if (!c.ok) return { ok: false, problem: `matchers.${i}.value: ${c.problem}` };
      const want = m.op === '=~';
      patterns.push((a) => c.test(valueOf(a, m.field)) === want);
    }
  }
  // Equality first: it is cheaper and usually decides.
  return { ok: true, checks: [...checks, ...patterns] };
}

/** Every matcher must hold (Alertmanager semantics); a regular expression matches the whole value. */
export function matchesAll(a: MutableAlert, matchers: Matcher[], cache = new PatternCache()): boolean {
  const c = compileMatchers(matchers, cache);
  return c.ok && c.checks.every((check) => check(a));
}

/** Why a silence's stored matchers mute nothing, or null: what GraphQL and the dashboard show. */
export function silenceProblem(matchers: unknown, cache = new PatternCache()): string | null {
  const c = compileMatchers(matchers, cache, 1);
  return c.ok ? null : c.problem;
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

function inWindowAt(clock: { day: number; minutes: number }, w: MaintenanceWindow): boolean {
  const { day, minutes } = clock;
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  const startsOn = (d: number) => w.days.includes(DAYS[(d + 7) % 7]!);
  if (end > start) return startsOn(day) && minutes >= start && minutes < end;
  // Past midnight: the evening part on a start day, or the morning part on the day after one.
  return (startsOn(day) && minutes >= start) || (startsOn(day - 1) && minutes < end);
}

/**
 * Whether `at` falls in the window, on the wall clock: "Sat 22:00–02:00" covers Saturday from 22:00 and Sunday
 * until 02:00 local time, however long that is in real time on a night the clocks change.
 */
export function inWindow(at: number, w: MaintenanceWindow, timeZone: string): boolean {
  return inWindowAt(wallClock(at, timeZone), w);
}

export interface SilenceRule {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
}

export type Muting = { kind: 'silence'; id: string } | { kind: 'maintenance'; name: string };

/** A rule that mutes nothing because the engine refuses its matchers. */
export type InvalidRule = Muting & { problem: string };

/**
 * One company's silences and windows, compiled once (per router pass, through the pass's cache) and then asked
 * about each alert. prepare() and judge() are generators that yield after every rule they compile or check, so the
 * router can hand the event loop back in the middle of a long list; mutedBy() runs judge() to the end (compiling
 * what prepare() did not).
 */
export class MutingRules {
  private readonly silences: Array<{ rule: SilenceRule; compiled?: CompiledMatchers }>;
  private readonly windows: Array<{ rule: MaintenanceWindow; compiled?: CompiledMatchers }>;

  constructor(
    silences: SilenceRule[],
    windows: MaintenanceWindow[],
    private readonly timeZone: string,
    private readonly cache = new PatternCache(),
  ) {
    this.silences = silences.map((rule) => ({ rule }));
    this.windows = windows.map((rule) => ({ rule }));
  }

  get empty(): boolean {
    return this.silences.length === 0 && this.windows.length === 0;
  }

  private silence(s: (typeof this.silences)[number]): CompiledMatchers {
    return (s.compiled ??= compileMatchers(s.rule.matchers, this.cache, 1));
  }

  private window(w: (typeof this.windows)[number]): CompiledMatchers {
    return (w.compiled ??= compileMatchers(w.rule.matchers ?? [], this.cache));
  }

  /** Compiles every rule, yielding after each. */
  *prepare(): Generator<void, void> {
    for (const s of this.silences) {
      this.silence(s);
      yield;
    }
    for (const w of this.windows) {
      this.window(w);
      yield;
    }
  }

  /** Rules that mute nothing, with why. */
  invalid(): InvalidRule[] {
    const out: InvalidRule[] = [];
    for (const s of this.silences) {
      const c = this.silence(s);
      if (!c.ok) out.push({ kind: 'silence', id: s.rule.id, problem: c.problem });
    }
    for (const w of this.windows) {
      const c = this.window(w);
      if (!c.ok) out.push({ kind: 'maintenance', name: w.rule.name, problem: c.problem });
    }
    return out;
  }

  /** The first silence or maintenance window that mutes the alert at `at`, or null; yields after each rule. */
  *judge(a: MutableAlert, at: number): Generator<void, Muting | null> {
    for (const s of this.silences) {
      if (at >= s.rule.startsAt && at < s.rule.endsAt) {
        const c = this.silence(s);
        if (c.ok && c.checks.every((check) => check(a))) return { kind: 'silence', id: s.rule.id };
      }
      yield;
    }
    if (this.windows.length === 0) return null;
    const clock = wallClock(at, this.timeZone);
    for (const w of this.windows) {
      if (inWindowAt(clock, w.rule)) {
        const c = this.window(w);
        if (c.ok && c.checks.every((check) => check(a))) return { kind: 'maintenance', name: w.rule.name };
      }
      yield;
    }
    return null;
  }

  mutedBy(a: MutableAlert, at: number): Muting | null {
    const steps = this.judge(a, at);
    for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
  }
}

/** The first silence or maintenance window that mutes the alert at `at`, or null. */
export function mutedBy(
  a: MutableAlert,
  at: number,
  silences: SilenceRule[],
  windows: MaintenanceWindow[],
  timeZone: string,
): Muting | null {
  return new MutingRules(silences, windows, timeZone).mutedBy(a, at);
}
