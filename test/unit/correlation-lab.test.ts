// The correlation lab's replay honours the company's inhibition rules through the router's own Inhibitor: a target
// that arrives while its source fires is reported as inhibited (by which rule, waiting on which alert), forms no
// group of its own, and is counted; a source that recovered, or fired only later, inhibits nothing.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION } from '../../domain/correlate.ts';
import { replayInhibition, simulate, type LabAlert } from '../../domain/correlation-lab.ts';
import { Inhibitor, type InhibitionRule } from '../../domain/inhibition.ts';

const MIN = 60_000;
const WINDOW = { windowMs: 15 * MIN };
let n = 0;
function alert(minute: number, asset: string, signature: string, over: Partial<LabAlert> = {}): LabAlert {
  return { id: `a${++n}`, at: minute * MIN, asset, signature, tool: 'Prometheus', severity: 'high', ...over };
}

const nodeDown: InhibitionRule = {
  id: 'r1',
  name: 'Node down hides its services',
  sourceMatchers: [{ field: 'signature', op: '=', value: 'node_down' }],
  targetMatchers: [{ field: 'signature', op: '=~', value: 'http_.*|disk_.*' }],
  equal: ['asset'],
};

describe('correlation lab with inhibition rules', () => {
  it('holds targets that arrive while their source fires, out of any group, and counts them', () => {
    const down = alert(0, 'web-1', 'node_down', { severity: 'critical' });
    const held = [alert(1, 'web-1', 'http_5xx'), alert(2, 'web-1', 'disk_full')];
    const otherAsset = alert(3, 'web-2', 'http_5xx');
    const alerts = [...held, otherAsset, down];
    const inhibited = replayInhibition(alerts, new Inhibitor([nodeDown]), WINDOW);
    expect([...inhibited]).toEqual(held.map((h) => [h.id, { ruleId: 'r1', sourceAlertId: down.id }]));

    const run = simulate(alerts, DEFAULT_CORRELATION, inhibited);
    expect(run).toMatchObject({ alertCount: 4, inhibitedAlerts: 2, incidentCount: 2, noiseReduction: 0.5 });
    // No group holds an inhibited alert; the node (its signature canonical: host_down) and the other asset's alert
    // open their own.
    for (const h of held) expect(run.groupOf.has(h.id)).toBe(false);
    expect(run.groups.map((g) => g.key).sort()).toEqual(['web-1|host_down', 'web-2|http_5xx']);

    // Without the rules, and without host-fault folding, each of web-1's alerts would be an incident of its own.
    const plain = simulate(alerts, { ...DEFAULT_CORRELATION, hostFaults: false });
    expect(plain).toMatchObject({ inhibitedAlerts: 0, incidentCount: 4 });
  });

  it('judges a target against the sources firing when it arrived: not before, not after recovery', () => {
    const early = alert(0, 'db-1', 'disk_full');
    const down = alert(5, 'db-1', 'node_down', { keyed: true, resolvedAt: 10 * MIN });
    const during = alert(7, 'db-1', 'disk_full');
    const after = alert(12, 'db-1', 'disk_full');
    const inhibited = replayInhibition([after, during, down, early], new Inhibitor([nodeDown]), WINDOW);
    expect([...inhibited.keys()]).toEqual([during.id]);
  });

  it('counts a source without a source identity within the window only, a keyed one until it recovers', () => {
    const unkeyed = alert(0, 'app-1', 'node_down');
    const keyed = alert(0, 'app-2', 'node_down', { keyed: true });
    const targets = [5, 14, 16, 90].flatMap((m) => [alert(m, 'app-1', 'http_5xx'), alert(m, 'app-2', 'http_5xx')]);
    const inhibited = replayInhibition([unkeyed, keyed, ...targets], new Inhibitor([nodeDown]), WINDOW);
    const held = (asset: string) => targets.filter((t) => t.asset === asset && inhibited.has(t.id)).map((t) => t.at);
    expect(held('app-1')).toEqual([5 * MIN, 14 * MIN]);
    expect(held('app-2')).toEqual([5, 14, 16, 90].map((m) => m * MIN));
    // A wider window in a proposed setting holds the unkeyed source's targets longer.
    const wide = replayInhibition([unkeyed, ...targets], new Inhibitor([nodeDown]), { windowMs: 60 * MIN });
    expect(targets.filter((t) => wide.has(t.id)).map((t) => t.at / MIN)).toEqual([5, 14, 16]);
  });

  it('takes a source still firing from before the replayed alerts, and skips a rule RE2 refuses', () => {
    const since = alert(-600, 'app-1', 'node_down', { keyed: true });
    const target = alert(1, 'app-1', 'http_5xx');
    const broken: InhibitionRule = {
      ...nodeDown,
      id: 'r0',
      name: 'lookahead',
      sourceMatchers: [{ field: 'signature', op: '=~', value: '(?=node).*' }],
    };
    const inhibitor = new Inhibitor([broken, nodeDown]);
    expect(inhibitor.invalid().map((p) => p.ruleId)).toEqual(['r0']);
    expect(replayInhibition([target], inhibitor, WINDOW)).toEqual(new Map());
    expect(replayInhibition([target], inhibitor, { ...WINDOW, earlier: [since] }).get(target.id)).toEqual({
      ruleId: 'r1',
      sourceAlertId: since.id,
    });
  });
});
