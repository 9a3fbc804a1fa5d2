// Host-fault folding bounded by the fault's own alerts, and a storm across the fleet left to its own grouping
// (domain/host-fault-scope.ts, used by domain/correlate.ts): the three false merges of issue 16 item 5.
import { describe, expect, it } from 'vitest';
import { correlate, Correlator, DEFAULT_CORRELATION, type CorrelationAlert } from '../../domain/correlate.ts';
import { faultCovers, FLEET_WIDE_ASSETS, FleetSightings } from '../../domain/host-fault-scope.ts';
import { generateCorpus } from '../bench/correlation-corpus.ts';
import { score } from '../bench/correlation-score.ts';

const MIN = 60_000;
let n = 0;
const a = (minute: number, asset: string, signature: string): CorrelationAlert => ({
  id: `a${++n}`,
  at: minute * MIN,
  asset,
  signature,
  tool: 'Prometheus',
});
const together = (groupOf: Map<string, string>, ...alerts: CorrelationAlert[]) =>
  new Set(alerts.map((x) => groupOf.get(x.id))).size === 1;

describe('faultCovers', () => {
  it('covers within the window after the fault’s own last alert, or while it still fires', () => {
    expect(faultCovers({ lastAt: 0 }, 15 * MIN, 15 * MIN)).toBe(true);
    expect(faultCovers({ lastAt: 0 }, 15 * MIN + 1, 15 * MIN)).toBe(false);
    expect(faultCovers({ lastAt: 0, firing: true }, 90 * MIN, 15 * MIN)).toBe(true);
  });
});

describe('FleetSightings', () => {
  it(`calls a signature fleet-wide once ${FLEET_WIDE_ASSETS} other healthy assets fired it within the window`, () => {
    const f = new FleetSightings();
    for (let i = 1; i < FLEET_WIDE_ASSETS; i++) f.note('ntp_drift', `fleet-${i}`, i * 1000);
    expect(f.isFleetWide('ntp_drift', 'node-1', 10_000)).toBe(false);
    f.note('ntp_drift', `fleet-${FLEET_WIDE_ASSETS}`, 10_000);
    expect(f.isFleetWide('ntp_drift', 'node-1', 11_000)).toBe(true);
    // The asset itself does not count, and another signature is another storm.
    expect(f.isFleetWide('ntp_drift', 'fleet-1', 11_000)).toBe(false);
    expect(f.isFleetWide('backup_failed', 'node-1', 11_000)).toBe(false);
    // Long after, the storm is over.
    expect(f.isFleetWide('ntp_drift', 'node-1', 60 * MIN)).toBe(false);
  });

  it('does not count assets that are down themselves: an outage of many hosts is many hosts’ symptoms', () => {
    const f = new FleetSightings();
    for (let i = 1; i <= FLEET_WIDE_ASSETS; i++) {
      f.noteDown(`node-${i}`, 0);
      f.note('service_down:nginx', `node-${i}`, 1000);
    }
    expect(f.isFleetWide('service_down:nginx', 'node-0', 2000)).toBe(false);
  });
});

describe('host-fault folding', () => {
  it('leaves a problem recurring 20 minutes after the host came back to its own incident, though symptoms kept the fault busy', () => {
    const down = [a(0, 'node-1', 'InstanceDown'), a(2, 'node-1', 'InstanceDown')];
    const symptoms = [
      a(1, 'node-1', 'service_down:nginx'),
      a(8, 'node-1', 'replication_lag'),
      a(13, 'node-1', 'replication_lag'),
    ];
    const recurrence = [
      a(22, 'node-1', 'backup_failed'),
      a(27, 'node-1', 'backup_failed'),
      a(33, 'node-1', 'backup_failed'),
    ];
    const { groupOf, groups } = correlate([...down, ...symptoms, ...recurrence]);
    expect(together(groupOf, ...down, ...symptoms)).toBe(true);
    expect(together(groupOf, ...recurrence)).toBe(true);
    expect(together(groupOf, down[0]!, recurrence[0]!)).toBe(false);
    // The fault's span is its own alerts': the symptom 11 minutes after it did not move it.
    expect(groups.find((g) => g.hostFault)!.lastAt).toBe(2 * MIN);
  });

  it('leaves an unrelated alert after the fault’s own window to itself, even inside a symptom’s window', () => {
    const down = a(0, 'node-2', 'host.unreachable');
    const lag = a(10, 'node-2', 'queue_depth_high');
    const single = a(17, 'node-2', 'ssl_cert_expiring');
    const { groupOf } = correlate([down, lag, single]);
    expect(together(groupOf, down, lag)).toBe(true);
    expect(together(groupOf, down, single)).toBe(false);
  });

  it('keeps taking symptoms while the fault still fires, however long ago it last notified', () => {
    const c = new Correlator(DEFAULT_CORRELATION);
    const fault = c.place(a(0, 'node-3', 'InstanceDown'));
    c.groups().find((g) => g.id === fault.groupId)!.firing = true;
    expect(c.place(a(45, 'node-3', 'service_down:postgres'))).toMatchObject({
      groupId: fault.groupId,
      rule: 'host_fault',
    });
  });

  it('keeps the window rule for a company keying on the asset alone: its alerts are the fault’s own key', () => {
    const config = { ...DEFAULT_CORRELATION, keyFields: ['asset' as const] };
    const alerts = [a(0, 'node-k', 'InstanceDown'), a(12, 'node-k', 'backup_failed'), a(25, 'node-k', 'ntp_drift')];
    const { groupOf } = correlate(alerts, config);
    expect(together(groupOf, ...alerts)).toBe(true);
  });

  it('leaves a storm across the fleet that also hit the down host to its own grouping', () => {
    const down = a(0, 'node-4', 'InstanceDown');
    const storm = Array.from({ length: FLEET_WIDE_ASSETS + 2 }, (_x, i) => a(1 + i / 10, `fleet-${i}`, 'ntp_drift'));
    const onHost = [a(2, 'node-4', 'ntp_drift'), a(3, 'node-4', 'ntp_drift')];
    const symptom = a(2.5, 'node-4', 'service_down:nginx');
    const { groupOf, placements } = correlate([down, ...storm, ...onHost, symptom]);
    expect(together(groupOf, down, symptom)).toBe(true);
    expect(together(groupOf, ...onHost)).toBe(true);
    expect(together(groupOf, down, onHost[0]!)).toBe(false);
    expect(placements.find((p) => p.alertId === onHost[0]!.id)!.rule).toBe('opened');
  });

  it('does not take a storm’s group seen just before the fault as its symptom', () => {
    const storm = Array.from({ length: FLEET_WIDE_ASSETS + 1 }, (_x, i) => a(i / 10, `fleet-s${i}`, 'login_failures'));
    const onHost = a(0.8, 'node-5', 'login_failures');
    const down = a(1, 'node-5', 'InstanceDown');
    const { groupOf, placements } = correlate([...storm, onHost, down]);
    expect(together(groupOf, down, onHost)).toBe(false);
    expect(placements.find((p) => p.alertId === down.id)!.merged).toBeUndefined();
  });

  it('scores at least 0.99 precision on the bench corpus with the host fault’s non-symptoms in it', () => {
    const corpus = generateCorpus(11);
    const { groupOf } = correlate(corpus);
    const s = score(
      corpus.map((x) => x.truth),
      corpus.map((x) => groupOf.get(x.id)!),
    );
    expect(s.precision).toBeGreaterThanOrEqual(0.99);
    expect(s.recall).toBeGreaterThanOrEqual(0.97);
  });
});
