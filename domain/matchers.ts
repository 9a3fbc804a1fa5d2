// Tenant-written regular expressions (silence and maintenance-window matchers) run on RE2 (the re2js port), whose
// matching takes time linear in the value whatever the pattern: one technician's `(x+)+y` cannot stall the router
// that every company's alerts go through. What RE2 cannot run in linear time (backreferences, lookaround) is refused
// by name, and so is a pattern whose compiled program is too large to match cheaply. Pure: no I/O, never throws.
import { RE2JS } from 're2js';

/** Characters in a pattern: a silence is typed by a person. */
export const MAX_PATTERN_LENGTH = 256;

/**
 * RE2 instructions in a compiled pattern. When RE2 has to leave its DFA, a match costs up to (value length × program
 * size) steps; 1,000 keeps a 1,024-character label under about a million steps and still takes any pattern a person
 * writes by hand (a 256-character literal is about 260, `[a-z0-9-]{1,63}` 127). Counted repeats are what grows it:
 * `.{0,1000}` is 2,002, `(\w{30}){30}` 962.
 */
export const MAX_PROGRAM_SIZE = 1_000;

export type CompiledPattern = { ok: true; test: (value: string) => boolean } | { ok: false; problem: string };

const UNSUPPORTED = 'which linear-time matching (RE2) does not support';

/** RE2's parse error, said in terms of what the person wrote. */
function refusal(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const detail = raw.replace(/^error parsing regexp: /, '');
  if (/`\(\?[=!]/.test(detail)) return `uses a lookahead ((?= or (?!), ${UNSUPPORTED}`;
  if (/`\(\?<[=!]/.test(detail)) return `uses a lookbehind ((?<= or (?<!), ${UNSUPPORTED}`;
  if (/invalid escape sequence: `\\([1-9]|k|g)/.test(detail)) {
    return `uses a backreference (\\1 or \\k<name>), ${UNSUPPORTED}`;
  }
  if (/`\(\?>/.test(detail)) return `uses an atomic group ((?>…)), ${UNSUPPORTED}`;
  if (detail.startsWith('invalid nested repetition operator')) {
    return `repeats a repetition (such as a** or the possessive a++), ${UNSUPPORTED}; write a* or a+`;
  }
  if (detail.startsWith('invalid repeat count')) {
    return `repeats more than 1000 times (counts of nested repeats multiply): ${detail.slice(0, 120)}`;
  }
  return `is not a valid regular expression (RE2 syntax): ${detail.slice(0, 160)}`;
}

/**
 * The pattern compiled for whole-value matching, as Alertmanager anchors a regex matcher at both ends (`db` does not
 * match `db-7`), or why it is refused. The value is compiled on its own and matched with testExact, never spliced
 * into `^(?:…)$`, so a value such as `a)|(b` cannot unbalance the anchoring.
 */
export function compilePattern(pattern: string): CompiledPattern {
  if (typeof pattern !== 'string') return { ok: false, problem: 'must be a string' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, problem: `must be at most ${MAX_PATTERN_LENGTH} characters` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    return { ok: false, problem: refusal(err) };
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    return {
      ok: false,
      problem:
        `is too costly to match: it compiles to ${size} RE2 instructions, more than ${MAX_PROGRAM_SIZE} ` +
        '(shorten counted repeats such as {0,500})',
    };
  }
  return { ok: true, test: (value) => re.testExact(value) };
}

/** Compiles each distinct pattern once: one cache per router pass serves every alert, silence and company in it. */
export class PatternCache {
  private readonly compiled = new Map<string, CompiledPattern>();

  get(pattern: string): CompiledPattern {
    let c = this.compiled.get(pattern);
    if (!c) {
      c = compilePattern(pattern);
      this.compiled.set(pattern, c);
    }
    return c;
  }
}
