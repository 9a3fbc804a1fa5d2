import { describe, expect, it } from 'vitest';
import { groupWaitLeftMs } from '../../workflows/group-wait.ts';

describe('group wait from the first alert', () => {
  const first = Date.parse('2026-12-06T10:00:00Z');

  it('waits what is left of the group wait after routing and opening took their time', () => {
    expect(groupWaitLeftMs(5, first, first + 800)).toBe(4200);
  });

  it('waits nothing when routing took longer than the whole wait', () => {
    expect(groupWaitLeftMs(5, first, first + 7000)).toBe(0);
    expect(groupWaitLeftMs(0, first, first)).toBe(0);
  });

  it('never waits longer than the whole wait, whatever the clocks say', () => {
    // The database stamped the alert 3 s ahead of the workflow's clock.
    expect(groupWaitLeftMs(5, first + 3000, first)).toBe(5000);
    expect(groupWaitLeftMs(5, NaN, first)).toBe(5000);
  });
});
