// The patch-compliance summary: compliant share of scanned instances, missing critical and security patches, the
// age of the oldest scan and when it is stale, and no instances giving no percentage rather than 0 %.
import { describe, expect, it } from 'vitest';
import {
  chunkInstanceIds,
  isCompliant,
  PATCH_ALERT_SIGNATURE,
  patchAlerts,
  STALE_SCAN_HOURS,
  summarisePatchStates,
  type InstancePatchState,
} from '../../domain/patch-compliance.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const state = (instanceId: string, o: Partial<InstancePatchState> = {}): InstancePatchState => ({
  instanceId,
  missingCount: 0,
  criticalNonCompliantCount: 0,
  securityNonCompliantCount: 0,
  failedCount: 0,
  installedPendingRebootCount: 0,
  operation: 'Scan',
  operationEndTime: hoursAgo(2),
  ...o,
});

describe('summarisePatchStates', () => {
  it('counts the compliant share of scanned instances and the critical and security patches missing', () => {
    const s = summarisePatchStates(
      ['i-a', 'i-b', 'i-c', 'i-d'],
      [
        state('i-a'),
        state('i-b', { missingCount: 5, criticalNonCompliantCount: 2, securityNonCompliantCount: 3 }),
        state('i-c', { installedPendingRebootCount: 1 }),
      ],
      NOW,
    );
    expect(s).toMatchObject({
      instanceCount: 4,
      scannedCount: 3,
      compliantCount: 1,
      compliantPercent: 33.3,
      criticalMissing: 2,
      securityMissing: 3,
      unscanned: ['i-d'],
      stale: false,
      oldestScanAgeHours: 2,
    });
    // Non-compliant first, the most critical patches missing first among them.
    expect(s.instances.map((i) => [i.instanceId, i.compliant])).toEqual([
      ['i-b', false],
      ['i-c', false],
      ['i-a', true],
    ]);
  });

  it('says 100 % when every scanned instance is compliant, and ignores states of instances not asked for', () => {
    const s = summarisePatchStates(['i-a'], [state('i-a'), state('i-other', { missingCount: 9 })], NOW);
    expect(s.compliantPercent).toBe(100);
    expect(s.instances.map((i) => i.instanceId)).toEqual(['i-a']);
  });

  it('gives null, not 0 %, when there are no instances or none was ever scanned', () => {
    expect(summarisePatchStates([], [], NOW)).toMatchObject({
      instanceCount: 0,
      compliantPercent: null,
      oldestScanAt: null,
      oldestScanAgeHours: null,
      stale: false,
    });
    expect(summarisePatchStates(['i-a'], [], NOW)).toMatchObject({ compliantPercent: null, unscanned: ['i-a'] });
  });

  it('marks a scan older than the stale threshold, and the summary is as old as its oldest scan', () => {
    const s = summarisePatchStates(
      ['i-a', 'i-b'],
      [state('i-a', { operationEndTime: hoursAgo(STALE_SCAN_HOURS + 1) }), state('i-b')],
      NOW,
    );
    expect(s.stale).toBe(true);
    expect(s.oldestScanAgeHours).toBe(STALE_SCAN_HOURS + 1);
    expect(s.instances.find((i) => i.instanceId === 'i-a')!.stale).toBe(true);
    expect(s.instances.find((i) => i.instanceId === 'i-b')!.stale).toBe(false);
    expect(summarisePatchStates(['i-a'], [state('i-a', { operationEndTime: 'garbage' })], NOW).stale).toBe(true);
  });

  it('counts failed installs and pending reboots as not compliant, as Patch Manager does', () => {
    expect(isCompliant(state('i', { failedCount: 1 }))).toBe(false);
    expect(isCompliant(state('i', { installedPendingRebootCount: 1 }))).toBe(false);
    expect(isCompliant(state('i'))).toBe(true);
  });
});

describe('chunkInstanceIds', () => {
  it('splits ids into calls of at most 50', () => {
    const ids = Array.from({ length: 120 }, (_, i) => `i-${i}`);
    expect(chunkInstanceIds(ids).map((c) => c.length)).toEqual([50, 50, 20]);
    expect(chunkInstanceIds([])).toEqual([]);
  });
});

describe('patchAlerts', () => {
  it('raises one alert per instance and scan missing critical patches, named after its asset', () => {
    const names = new Map([
      ['i-a', 'web-1'],
      ['i-b', 'db-1'],
    ]);
    const alerts = patchAlerts(
      [
        state('i-a', { criticalNonCompliantCount: 1, securityNonCompliantCount: 2, missingCount: 3 }),
        state('i-b', { missingCount: 4, securityNonCompliantCount: 4 }),
        state('i-unregistered', { criticalNonCompliantCount: 9 }),
      ],
      names,
    );
    expect(alerts).toEqual([
      {
        instanceId: 'i-a',
        assetName: 'web-1',
        deliveryId: `patch:i-a:${hoursAgo(2)}`,
        signature: PATCH_ALERT_SIGNATURE,
        severity: 'high',
        message: `1 critical patch missing on web-1 (i-a), 2 security, as of the Patch Manager scan that ended ${hoursAgo(2)}`,
      },
    ]);
  });
});
