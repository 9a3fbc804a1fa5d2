// Text people type (comments, names, notes) on its way in. PostgreSQL refuses a NUL in text and jsonb, and an
// unpaired surrogate is not Unicode at all (it is half of a character such as an emoji, and turns into an encoding
// error or U+FFFD further on), so either one is refused where it arrives, by name, instead of failing a save later.
// And a cut to a length never splits a character in two, which would make such a half itself.

export interface TextProblem {
  kind: 'nul' | 'unpaired_surrogate';
  /** Where it is, in UTF-16 code units (JavaScript's string index). */
  index: number;
  /** The offending code unit, e.g. "U+D83D". */
  codeUnit: string;
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const hex = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first thing in `s` that cannot be stored as text, or null when it is well-formed and holds no NUL. */
export function textProblem(s: string): TextProblem | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return { kind: 'nul', index: i, codeUnit: hex(c) };
    if (isHigh(c) && isLow(s.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (isHigh(c) || isLow(c)) return { kind: 'unpaired_surrogate', index: i, codeUnit: hex(c) };
  }
  return null;
}

/** What is wrong, as the end of a sentence naming the text ("The comment …"). */
export function describeTextProblem(p: TextProblem): string {
  return p.kind === 'nul'
    ? `holds a NUL character (U+0000) at position ${p.index}; remove it`
    : `holds an unpaired surrogate (${p.codeUnit}) at position ${p.index}, half of a character that was cut in two`;
}

/**
 * `s` cut to at most `maxChars` UTF-16 code units (JavaScript's `length`, so it can replace `s.slice(0, max)`),
 * dropping the high half of a surrogate pair the cut would split rather than keeping half a character.
 */
export function cutText(s: string, maxChars: number): string {
  const max = Math.max(0, Math.floor(maxChars));
  if (s.length <= max) return s;
  const end = max > 0 && isHigh(s.charCodeAt(max - 1)) && isLow(s.charCodeAt(max)) ? max - 1 : max;
  return s.slice(0, end);
}
