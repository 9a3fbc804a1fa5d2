// Cursor paging and text search input, checked before any query runs. A cursor is opaque to clients (base64url of
// the order key of the last row seen) so the order key can change without breaking links; a page is bounded; a text
// query is matched literally, never as a pattern the tenant writes (no regex, and `%` `_` `\` lose their meaning).

/** How many rows one page returns: `first` defaults to 50 and is at most 200. */
export const PAGE_SIZE = { default: 50, max: 200 } as const;

/** The longest text query: a trigram search of a longer one is slow and no person types it. */
export const SEARCH_TEXT_MAX = 200;

/** Where a page ended: the order key (a timestamp as PostgreSQL prints it, or a number) and the row's id. */
export interface CursorKey {
  at: string;
  id: string;
}

export class PagingInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): CursorKey {
  const bad = () => new PagingInputError(field, `${field} is not a cursor this list returned`);
  if (cursor.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !at || !id) throw bad();
  return { at, id };
}

/** `first` clamped to the page bounds; below 1 is refused (a negative page has no meaning). */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return PAGE_SIZE.default;
  if (!Number.isInteger(first) || first < 1) throw new PagingInputError('first', 'first must be at least 1');
  return Math.min(first, PAGE_SIZE.max);
}

/**
 * The ILIKE pattern matching `text` anywhere, literally; null for blank text (no text filter). Backslash is
 * PostgreSQL's default LIKE escape, so `\`, `%` and `_` are escaped with it.
 */
export function containsPattern(text: string | null | undefined, field = 'text'): string | null {
  const t = (text ?? '').trim();
  if (!t) return null;
  if (t.length > SEARCH_TEXT_MAX) {
    throw new PagingInputError(field, `${field} is longer than ${SEARCH_TEXT_MAX} characters`);
  }
  return `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The time range [from, to), refused when it ends before it starts. */
export function timeRange(from: string | null | undefined, to: string | null | undefined, field = 'filter') {
  if (from && to && Date.parse(to) < Date.parse(from)) {
    throw new PagingInputError(`${field}.to`, `${field}.to is before ${field}.from`);
  }
  return { from: from ?? null, to: to ?? null };
}

/**
 * A page from the keys of `size + 1` rows fetched (the extra one only says there is a next page). A key whose row is
 * gone by the time it is read (a deleted incident) drops its edge but still ends the page, so the next page
 * neither repeats nor skips anything.
 */
export function toPage<T>(keys: CursorKey[], size: number, nodeOf: (key: CursorKey) => T | undefined): Page<T> {
  const kept = keys.slice(0, size);
  const edges = kept.flatMap((key) => {
    const node = nodeOf(key);
    return node === undefined ? [] : [{ node, cursor: encodeCursor(key) }];
  });
  const last = kept.at(-1);
  return { edges, pageInfo: { hasNextPage: keys.length > size, endCursor: last ? encodeCursor(last) : null } };
}

export interface Page<T> {
  edges: Array<{ node: T; cursor: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
