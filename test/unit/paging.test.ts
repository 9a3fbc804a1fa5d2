// The pure parts of cursor paging: cursors round-trip and refuse what they did not make, `first` is bounded, and
// search text becomes a literal ILIKE pattern.
import { describe, expect, it } from 'vitest';
import {
  containsPattern,
  decodeCursor,
  encodeCursor,
  PAGE_SIZE,
  pageSize,
  PagingInputError,
  SEARCH_TEXT_MAX,
  toPage,
} from '../../domain/paging.ts';

describe('cursors', () => {
  it('round-trip the order key, opaque and URL-safe', () => {
    const key = { at: '2026-01-05T00:00:00.000123Z', id: 'inc-1/+?' };
    const c = encodeCursor(key);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual(key);
  });

  it('refuse anything else, naming the argument', () => {
    for (const bad of ['', '!!', 'a'.repeat(1001), Buffer.from('[1,2]').toString('base64url'), 'e30']) {
      expect(() => decodeCursor(bad)).toThrow(PagingInputError);
    }
    expect(() => decodeCursor('x y')).toThrow('after is not a cursor this list returned');
  });
});

describe('pageSize', () => {
  it('defaults, clamps to the maximum and refuses less than one', () => {
    expect(pageSize(undefined)).toBe(PAGE_SIZE.default);
    expect(pageSize(10_000)).toBe(PAGE_SIZE.max);
    expect(() => pageSize(0)).toThrow(PagingInputError);
    expect(() => pageSize(-3)).toThrow('first must be at least 1');
  });
});

describe('containsPattern', () => {
  it('escapes %, _ and backslash so the text matches literally', () => {
    expect(containsPattern('100%')).toBe('%100\\%%');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
    expect(containsPattern('c\\d')).toBe('%c\\\\d%');
  });

  it('means no filter for blank text, and refuses text over the limit', () => {
    expect(containsPattern('  ')).toBeNull();
    expect(containsPattern(null)).toBeNull();
    expect(containsPattern('x'.repeat(SEARCH_TEXT_MAX))).not.toBeNull();
    expect(() => containsPattern('x'.repeat(SEARCH_TEXT_MAX + 1), 'filter.text')).toThrow(
      expect.objectContaining({ field: 'filter.text' }),
    );
  });
});

describe('toPage', () => {
  const keys = [1, 2, 3].map((n) => ({ at: `t${n}`, id: `r${n}` }));

  it('uses the extra key only to say there is a next page', () => {
    const page = toPage(keys, 2, (k) => k.id);
    expect(page.edges.map((e) => e.node)).toEqual(['r1', 'r2']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(keys[1]!) });
  });

  it('ends the page at its last key even when that row is gone', () => {
    const page = toPage(keys.slice(0, 2), 2, (k) => (k.id === 'r2' ? undefined : k.id));
    expect(page.edges.map((e) => e.node)).toEqual(['r1']);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor(keys[1]!) });
  });
});
