// The correlation function the live path, the lab and the bench share: rules, explanations, and canonical names.
import { describe, expect, it } from 'vitest';
import {
  correlate,
  Correlator,
  DEFAULT_CORRELATION,
  type CorrelationAlert,
  type Group,
} from '../../domain/correlate.ts';
import { canonicalSignature, isHostFault } from '../../domain/signatures.ts';
import { generateCorpus } from '../bench/correlation-corpus.ts';
import { score, seedBaseline } from '../bench/correlation-score.ts';

const MIN = 60_000;
let n = 0;
const a = (minute: number, asset: string, signature: string, tool = 'Prometheus'): CorrelationAlert => ({
  id: `a${++n}`,
  at: minute * MIN,
  asset,
  signature,
  tool,
});

describe('canonical signatures', () => {
  it('names one fault the same across tools, and keeps different faults apart', () => {
    expect(['HighCPU', 'cpu_high', 'High CPU utilization', 'Load average is too high'].map(canonicalSignature)).toEqual(
      Array(4).fill('cpu_high'),
    );
    expect(
      ['NodeFilesystemAlmostOutOfSpace', 'disk_full', 'Free disk space is less than 10% on volume /'].map(
        canonicalSignature,
      ),
    ).toEqual(Array(3).fill('disk_full'));
    expect(['InstanceDown', 'host.unreachable', 'Unavailable by ICMP ping'].every(isHostFault)).toBe(true);
    expect(isHostFault('service_down:nginx')).toBe(false);
    expect(canonicalSignature('Load balancer unhealthy')).toBe('load_balancer_unhealthy');
    expect(canonicalSignature('service_down:nginx')).not.toBe(canonicalSignature('service_down:postgres'));
  });
});

describe('correlate', () => {
  it('groups a key within the window after its last alert, and opens a linked recurrence after a quiet period', () => {
    const alerts = [
      a(0, 'srv', 'disk_full'),
      a(14, 'srv', 'disk_full'),
      a(28, 'srv', 'disk_full'),
      a(50, 'srv', 'disk_full'),
    ];
    const { placements, groups } = correlate(alerts);
    expect(placements.map((p) => p.rule)).toEqual(['opened', 'same_key', 'same_key', 'recurrence']);
    expect(groups).toHaveLength(2);
    expect(groups[1]!.recurrenceOf).toBe(groups[0]!.id);
    expect(placements[3]!.recurrenceOf).toBe(groups[0]!.id);
  });

  it('joins one fault from two tools and says so', () => {
    const { placements, groups } = correlate([a(0, 'web', 'HighCPU'), a(1, 'web', 'cpu_high', 'Datadog')]);
    expect(groups).toHaveLength(1);
    expect(placements[1]).toMatchObject({ rule: 'same_key', matched: ['asset', 'signature', 'cross_tool'] });
  });

  it('lets a host fault take the asset’s symptoms, those seen up to a minute before it included', () => {
    const alerts = [
      a(9.5, 'node', 'http_5xx_rate'),
      a(10, 'node', 'InstanceDown'),
      a(11, 'node', 'service_down:nginx', 'Zabbix'),
      a(12, 'other', 'service_down:nginx'),
    ];
    const { placements, groups, groupOf } = correlate(alerts);
    expect(placements[1]!.merged).toHaveLength(1);
    expect(placements[2]).toMatchObject({ rule: 'host_fault', matched: ['asset', 'host_fault:host_down'] });
    expect(groups).toHaveLength(2);
    expect(new Set(alerts.slice(0, 3).map((x) => groupOf.get(x.id))).size).toBe(1);
  });

  it('keeps every alert alone with auto-correlation off, and opens only groups that reach the minimum', () => {
    const alerts = [a(0, 's', 'x'), a(1, 's', 'x'), a(2, 't', 'y')];
    expect(correlate(alerts, { ...DEFAULT_CORRELATION, autoCorrelate: false }).groups).toHaveLength(3);
    const min2 = correlate(alerts, { ...DEFAULT_CORRELATION, minAlerts: 2 }).groups;
    expect(min2.map((g) => g.opened)).toEqual([true, false]);
  });

  it('keys on the chosen fields, labels included', () => {
    const c = new Correlator({ ...DEFAULT_CORRELATION, keyFields: ['label:cluster', 'signature'] });
    const x = { ...a(0, 'n1', 'cpu_high'), labels: { cluster: 'eu' } };
    const y = { ...a(1, 'n2', 'HighCPU'), labels: { cluster: 'eu' } };
    expect(c.place(x).groupId).toBe(c.place(y).groupId);
  });

  it('beats the seed baseline on a generated corpus (the bench in miniature)', () => {
    const corpus = generateCorpus(7);
    const truth = corpus.map((x) => x.truth);
    const { groupOf } = correlate(corpus);
    const ours = score(
      truth,
      corpus.map((x) => groupOf.get(x.id)!),
    );
    const seed = score(truth, seedBaseline(corpus));
    expect(ours.precision).toBeGreaterThanOrEqual(0.99);
    expect(ours.f1).toBeGreaterThan(seed.f1);
  });
});

describe('Correlator.restore', () => {
  const stored = (over: Partial<Group>): Group => ({
    id: 'g-stored',
    key: 'srv-1|cpu_high',
    asset: 'srv-1',
    signature: 'cpu_high',
    firstAt: 0,
    lastAt: 10 * 60_000,
    alertIds: [],
    count: 4,
    tools: ['Prometheus'],
    hostFault: false,
    recurrenceOf: null,
    opened: true,
    mergedInto: null,
    ...over,
  });
  const alert = (at: number, signature = 'cpu_high') => ({
    id: `a${at}`,
    at,
    asset: 'srv-1',
    signature,
    tool: 'Prometheus',
  });

  it('sends the alerts of a group merged by hand to the group it was merged into', () => {
    const c = new Correlator(DEFAULT_CORRELATION);
    const target = stored({ id: 'g-target', key: 'srv-9|psp_timeout', asset: 'srv-9', signature: 'psp_timeout' });
    c.restore([stored({ closed: true, mergedInto: 'g-target' }), target]);
    expect(c.place(alert(12 * 60_000))).toMatchObject({ groupId: 'g-target', rule: 'same_key' });
    expect(target.count).toBe(5);
  });

  it('continues a stored group within its window and counts on from its stored count', () => {
    const c = new Correlator({ ...DEFAULT_CORRELATION, minAlerts: 5 });
    const g = stored({ opened: false });
    c.restore([g]);
    expect(c.place(alert(20 * 60_000))).toMatchObject({ groupId: 'g-stored', rule: 'same_key' });
    expect(g.count).toBe(5);
    expect(g.opened).toBe(true);
  });

  it('opens a recurrence after a closed group, even inside the window', () => {
    const c = new Correlator(DEFAULT_CORRELATION, { newId: () => 'g-new' });
    c.restore([stored({ closed: true })]);
    expect(c.place(alert(11 * 60_000))).toMatchObject({
      groupId: 'g-new',
      rule: 'recurrence',
      recurrenceOf: 'g-stored',
    });
  });

  it('attaches to a stored open host fault of the asset', () => {
    const c = new Correlator(DEFAULT_CORRELATION);
    c.restore([stored({ id: 'g-down', key: 'srv-1|host_down', signature: 'host_down', hostFault: true })]);
    expect(c.place(alert(12 * 60_000))).toMatchObject({ groupId: 'g-down', rule: 'host_fault' });
  });
});
