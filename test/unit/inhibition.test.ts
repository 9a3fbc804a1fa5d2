import { describe, expect, it } from 'vitest';
import { PatternCache } from '../../domain/matchers.ts';
import {
  inhibitionRuleProblem,
  inhibitionRuleSchema,
  Inhibitor,
  type InhibitableAlert,
  type InhibitionRule,
} from '../../domain/inhibition.ts';

let seq = 0;
function alert(over: Partial<InhibitableAlert> & { labels?: Record<string, string> } = {}): InhibitableAlert {
  seq += 1;
  return {
    id: `a${seq}`,
    at: seq,
    asset: 'web-1',
    signature: 'http_5xx',
    tool: 'Prometheus',
    severity: 'high',
    ...over,
  };
}

const nodeDown: InhibitionRule = {
  id: 'r1',
  name: 'Node down hides its services',
  sourceMatchers: [{ field: 'signature', op: '=', value: 'node_down' }],
  targetMatchers: [{ field: 'severity', op: '!=', value: 'critical' }],
  equal: ['asset', 'label:cluster'],
};

describe('inhibition rules', () => {
  it('inhibits a target while a source with equal fields fires, and not when a field differs', () => {
    const inhibitor = new Inhibitor([nodeDown]);
    const source = alert({ signature: 'node_down', severity: 'critical', labels: { cluster: 'eu' } });
    const target = alert({ labels: { cluster: 'eu' } });
    expect(inhibitor.inhibitedBy(target, [source])).toEqual({ ruleId: 'r1', sourceAlertId: source.id });
    expect(inhibitor.inhibitedBy(alert({ labels: { cluster: 'us' } }), [source])).toBeNull();
    expect(inhibitor.inhibitedBy(alert({ asset: 'web-2', labels: { cluster: 'eu' } }), [source])).toBeNull();
    // No source firing: nothing is inhibited; a target the target matchers do not take is never inhibited.
    expect(inhibitor.inhibitedBy(target, [])).toBeNull();
    expect(inhibitor.inhibitedBy(alert({ severity: 'critical', labels: { cluster: 'eu' } }), [source])).toBeNull();
  });

  it('counts a field missing on both alerts as equal (an empty label reads as missing), as Alertmanager does', () => {
    const inhibitor = new Inhibitor([nodeDown]);
    const source = alert({ signature: 'node_down', severity: 'critical' });
    expect(inhibitor.inhibitedBy(alert(), [source])?.sourceAlertId).toBe(source.id);
    expect(inhibitor.inhibitedBy(alert({ labels: { cluster: '' } }), [source])?.sourceAlertId).toBe(source.id);
    // Missing on one side only: not equal.
    expect(inhibitor.inhibitedBy(alert({ labels: { cluster: 'eu' } }), [source])).toBeNull();
  });

  it('never lets an alert inhibit itself, nor one matching both sides inhibit another matching both', () => {
    const both: InhibitionRule = {
      id: 'r2',
      name: 'Severity ladder',
      sourceMatchers: [{ field: 'severity', op: '=~', value: 'high|critical' }],
      targetMatchers: [{ field: 'severity', op: '=~', value: 'medium|high' }],
      equal: ['asset'],
    };
    const inhibitor = new Inhibitor([both]);
    const high1 = alert({ severity: 'high' });
    const high2 = alert({ severity: 'high' });
    // Each matches both sides: neither inhibits the other (or both would be hidden), nor itself.
    expect(inhibitor.inhibitedBy(high2, [high1, high2])).toBeNull();
    expect(inhibitor.inhibitedBy(high1, [high1])).toBeNull();
    // A critical source (source side only) inhibits the high one; a medium target (target side only) is inhibited
    // by a high source.
    const critical = alert({ severity: 'critical' });
    expect(inhibitor.inhibitedBy(high2, [high1, critical])?.sourceAlertId).toBe(critical.id);
    expect(inhibitor.inhibitedBy(alert({ severity: 'medium' }), [high1])?.sourceAlertId).toBe(high1.id);
  });

  it('matches regular expressions over the whole value and picks the oldest source whatever the order', () => {
    const rule: InhibitionRule = {
      id: 'r3',
      name: 'Database down',
      sourceMatchers: [{ field: 'label:alertname', op: '=~', value: 'Postgres(Down|Unreachable)' }],
      targetMatchers: [{ field: 'asset', op: '=~', value: 'db-\\d+' }],
      equal: ['label:cluster'],
    };
    const inhibitor = new Inhibitor([rule]);
    const newer = alert({ at: 200, labels: { alertname: 'PostgresDown', cluster: 'eu' } });
    const older = alert({ at: 100, labels: { alertname: 'PostgresUnreachable', cluster: 'eu' } });
    const prefix = alert({ at: 50, labels: { alertname: 'PostgresDownstream', cluster: 'eu' } });
    const target = alert({ asset: 'db-7', labels: { cluster: 'eu' } });
    expect(inhibitor.inhibitedBy(target, [newer, prefix, older])).toEqual({ ruleId: 'r3', sourceAlertId: older.id });
    expect(inhibitor.inhibitedBy(target, [older, newer])?.sourceAlertId).toBe(older.id);
    // `db-\d+` is anchored: db-7-replica is not a target.
    expect(inhibitor.inhibitedBy(alert({ asset: 'db-7-replica', labels: { cluster: 'eu' } }), [older])).toBeNull();
    expect(inhibitor.isSource(prefix)).toBe(false);
    expect(inhibitor.isSource(newer)).toBe(true);
  });

  it('skips sources the caller leaves out, taking the next oldest, and tells targets from sources', () => {
    const inhibitor = new Inhibitor([nodeDown]);
    const first = alert({ signature: 'node_down', severity: 'critical' });
    const second = alert({ signature: 'node_down', severity: 'critical' });
    const sources = [second, first];
    const target = alert();
    expect(inhibitor.inhibitedBy(target, sources)?.sourceAlertId).toBe(first.id);
    expect(inhibitor.inhibitedBy(target, sources, (s) => s.id !== first.id)?.sourceAlertId).toBe(second.id);
    expect(inhibitor.inhibitedBy(target, sources, () => false)).toBeNull();
    expect(inhibitor.isTarget(target)).toBe(true);
    expect(inhibitor.isTarget(first)).toBe(false);
  });

  it('leaves a stored rule RE2 refuses inhibiting nothing, with the reason named by field', () => {
    const bad: InhibitionRule = {
      ...nodeDown,
      id: 'bad',
      sourceMatchers: [{ field: 'signature', op: '=~', value: '(a)\\1' }],
    };
    const badEqual: InhibitionRule = { ...nodeDown, id: 'bad2', name: 'Twice', equal: ['asset', 'asset'] };
    const inhibitor = new Inhibitor([bad, badEqual], new PatternCache());
    expect(inhibitor.empty).toBe(true);
    const invalid = inhibitor.invalid();
    expect(invalid.map((r) => r.ruleId)).toEqual(['bad', 'bad2']);
    expect(invalid[0]!.problem).toMatch(/^sourceMatchers\.0\.value: uses a backreference/);
    expect(invalid[1]!.problem).toBe('equal.1: names asset twice');
    const source = alert({ signature: '(a)\\1', severity: 'critical' });
    expect(inhibitor.inhibitedBy(alert(), [source])).toBeNull();
    expect(inhibitionRuleProblem(bad)).toMatch(/backreference/);
    expect(inhibitionRuleProblem(nodeDown)).toBeNull();
  });

  it('validates input with errors naming the field', () => {
    const ok = inhibitionRuleSchema.safeParse({
      name: ' Node down ',
      sourceMatchers: nodeDown.sourceMatchers,
      targetMatchers: nodeDown.targetMatchers,
      equal: ['asset', 'label:cluster'],
    });
    expect(ok.success && ok.data.name).toBe('Node down');
    const paths = (input: unknown) =>
      inhibitionRuleSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    const base = { name: 'x', sourceMatchers: nodeDown.sourceMatchers, targetMatchers: nodeDown.targetMatchers };
    expect(paths({ ...base, equal: ['host'] })).toEqual([
      'equal.0: must be asset, signature, tool, severity or label:<name>',
    ]);
    expect(paths({ ...base, equal: Array.from({ length: 11 }, (_, i) => `label:l${i}`) })).toEqual([
      'equal: must name at most 10 fields',
    ]);
    expect(paths({ ...base, equal: [], targetMatchers: [] })).toEqual(['targetMatchers: needs at least one matcher']);
    expect(paths({ ...base, equal: [], name: '' })).toEqual(['name: must not be empty']);
    expect(paths({ ...base, equal: [], comment: 'c'.repeat(501) })).toEqual([
      'comment: must be at most 500 characters',
    ]);
    expect(paths({ ...base, equal: [], sourceMatchers: [{ field: 'asset', op: '=~', value: '(?=x)' }] })[0]).toMatch(
      /^sourceMatchers\.0\.value: uses a lookahead/,
    );
  });
});
