import { describe, expect, it } from 'vitest';
import { withinLaneBudget } from '../../domain/lane-budget.ts';

const alert = (companyId: string, aggregationKey: string, n: number) => ({ companyId, aggregationKey, n });

describe('withinLaneBudget', () => {
  it('routes a storm on one key whole', () => {
    const claimed = Array.from({ length: 5000 }, (_, n) => alert('c1', 'web|cpu', n));
    expect(withinLaneBudget(claimed, 2, 3)).toEqual({ kept: claimed, left: 0 });
  });

  it("keeps a company's first lanes in claim order, with every alert of a lane it kept", () => {
    const claimed = [
      alert('c1', 'a', 1),
      alert('c1', 'b', 2),
      alert('c1', 'c', 3),
      alert('c1', 'a', 4),
      alert('c1', 'd', 5),
      alert('c1', 'b', 6),
    ];
    const { kept, left } = withinLaneBudget(claimed, 2, 10);
    expect(kept.map((a) => a.n)).toEqual([1, 2, 4, 6]);
    expect(left).toBe(2);
  });

  it('bounds the lanes of the whole pass, whichever company they belong to', () => {
    const claimed = [alert('c1', 'a', 1), alert('c2', 'a', 2), alert('c3', 'a', 3), alert('c1', 'a', 4)];
    const { kept, left } = withinLaneBudget(claimed, 5, 2);
    // The same key in two companies is two lanes.
    expect(kept.map((a) => a.n)).toEqual([1, 2, 4]);
    expect(left).toBe(1);
  });

  it('keeps nothing of an empty claim', () => {
    expect(withinLaneBudget([], 1, 1)).toEqual({ kept: [], left: 0 });
  });
});
