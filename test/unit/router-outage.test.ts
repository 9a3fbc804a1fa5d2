import { describe, expect, it } from 'vitest';
import { Outage } from '../../router/routing/outage.ts';

describe("the router's outage", () => {
  it('logs once when it starts and once when it ends, and backs off up to 16 polls or 30 s', () => {
    const lines: string[] = [];
    const outage = new Outage((l) => lines.push(l));
    expect(outage.pause(200)).toBe(200);
    for (let i = 0; i < 6; i++) outage.down('alert router: Temporal unavailable');
    expect(lines).toEqual(['alert router: Temporal unavailable; alerts are kept and routed once it is back']);
    expect(outage.ongoing).toBe(true);
    expect(outage.pause(200)).toBe(3200);
    expect(outage.pause(2000)).toBe(30_000);
    outage.up();
    outage.up();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('alert router: routing again');
    expect(outage.pause(200)).toBe(200);
    outage.down('alert router: x');
    expect(outage.pause(200)).toBe(400);
  });
});
