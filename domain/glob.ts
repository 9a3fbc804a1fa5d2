// Signature globs for runbooks: `*` stands for any run of characters (possibly none), every other character is
// itself. Tenant-written, so matching is linear in pattern + text: the pattern is cut at its stars, the first piece
// must be a prefix, the last a suffix, and the middle pieces are found left to right with KMP (taking the earliest
// occurrence of each piece is always safe when the only wildcard is `*`). No regular expression is ever built.

export const GLOB_STAR = '*';

export function isGlob(pattern: string): boolean {
  return pattern.includes(GLOB_STAR);
}

/** Does `text` match `pattern` as a whole? */
export function globMatch(pattern: string, text: string): boolean {
  if (!isGlob(pattern)) return pattern === text;
  const pieces = pattern.split(GLOB_STAR);
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (first.length + last.length > text.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let from = first.length;
  const end = text.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    if (!piece) continue;
    const at = indexOfKmp(text, piece, from, end);
    if (at < 0) return false;
    from = at + piece.length;
  }
  return true;
}

/**
 * How specific a glob is, higher first: more literal characters, then fewer stars. An exact signature is more
 * specific than any glob (matchRunbook checks those first).
 */
export function globSpecificity(pattern: string): [literal: number, stars: number] {
  let stars = 0;
  for (const ch of pattern) if (ch === GLOB_STAR) stars++;
  return [pattern.length - stars, stars];
}

/** Compares two globs for "more specific first". */
export function compareSpecificity(a: string, b: string): number {
  const [la, sa] = globSpecificity(a);
  const [lb, sb] = globSpecificity(b);
  return lb - la || sa - sb;
}

/** The first index >= from where `needle` lies wholly before `end` in `text`, or -1; O(text + needle). */
function indexOfKmp(text: string, needle: string, from: number, end: number): number {
  const fail = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = fail[k - 1]!;
    if (needle[i] === needle[k]) k++;
    fail[i] = k;
  }
  for (let i = from, k = 0; i < end; i++) {
    while (k > 0 && text[i] !== needle[k]) k = fail[k - 1]!;
    if (text[i] === needle[k]) k++;
    if (k === needle.length) return i - needle.length + 1;
  }
  return -1;
}
