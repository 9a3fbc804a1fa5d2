// Signature globs and the runbook choice they drive: exact first, then the most specific glob.
import { describe, expect, it } from 'vitest';
import { compareSpecificity, globMatch } from '../../domain/glob.ts';
import { matchRunbook } from '../../domain/rules.ts';
import type { Runbook } from '../../domain/types.ts';

describe('globMatch', () => {
  it.each([
    ['disk_*', 'disk_full', true],
    ['disk_*', 'disk_', true],
    ['disk_*', 'disk', false],
    ['service_down:*', 'service_down:nginx', true],
    ['service_down:*', 'service_up:nginx', false],
    ['*:nginx', 'service_down:nginx', true],
    ['*_down:*', 'host_down:web-1', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['*abab*', 'xxabaabab', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['.*', 'anything', false],
    ['disk_[a]*', 'disk_a1', false],
  ])('%s ~ %s is %s', (pattern, text, want) => {
    expect(globMatch(pattern, text)).toBe(want);
  });

  it('stays linear on a pattern built to make a backtracking matcher explode', () => {
    const pattern = `${'a*'.repeat(100)}b`;
    const text = 'a'.repeat(200_000);
    // A backtracking matcher needs ~n^100 steps here and would never return within the test's timeout.
    expect(globMatch(pattern, text)).toBe(false);
    expect(globMatch(pattern, `${text}b`)).toBe(true);
  });

  it('ranks longer literal text first, then fewer stars', () => {
    expect(['disk_*', 'disk_full*', '*'].sort(compareSpecificity)).toEqual(['disk_full*', 'disk_*', '*']);
    expect(compareSpecificity('a*b', 'a**b')).toBeLessThan(0);
  });
});

const rb = (id: string, signatures: string[]): Runbook => ({
  id,
  name: id,
  signature: signatures[0]!,
  signatures,
  riskLevel: 'low',
  documentName: 'AWS-RunShellScript',
  actions: ['true'],
});

describe('matchRunbook', () => {
  const book = [rb('any-service', ['service_down:*']), rb('nginx', ['service_down:nginx']), rb('disk', ['disk_*'])];

  it('prefers the exact signature over a glob that also matches', () => {
    expect(matchRunbook('service_down:nginx', book)?.id).toBe('nginx');
  });

  it('takes the glob when no runbook names the signature exactly', () => {
    expect(matchRunbook('service_down:redis', book)?.id).toBe('any-service');
    expect(matchRunbook('disk_inodes', book)?.id).toBe('disk');
    expect(matchRunbook('cpu_high', book)).toBeNull();
  });

  it('takes the most specific of several matching globs, whatever their order', () => {
    const globs = [rb('wide', ['*_down:*']), rb('narrow', ['service_down:ng*']), rb('mid', ['service_down:*'])];
    expect(matchRunbook('service_down:nginx', globs)?.id).toBe('narrow');
    expect(matchRunbook('service_down:nginx', [...globs].reverse())?.id).toBe('narrow');
    expect(matchRunbook('host_down:a', globs)?.id).toBe('wide');
  });

  it('still matches runbooks recorded before versions (signature only)', () => {
    const old = { ...rb('old', ['disk_full']), signatures: undefined };
    expect(matchRunbook('disk_full', [old])?.id).toBe('old');
  });
});
