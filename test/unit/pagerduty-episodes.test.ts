// Events API v2 delivery ids name the dedup_key's episode: a retry is the same delivery, the key's next trigger
// after its resolve is a new one (db/event-episodes.ts keeps the episodes; test/api/events-v2-dedup.test.ts).
import { describe, expect, it } from 'vitest';
import { assignDedupKey, inEpisode, mapPagerDuty, pagerDutyDeliveryId } from '../../api/receivers/pagerduty.ts';
import type { NormalizedAlert } from '../../api/receivers/types.ts';

const trigger = {
  routing_key: 'rk',
  event_action: 'trigger',
  dedup_key: 'db-01/disk',
  payload: { summary: 'Disk 97% full on db-01', source: 'db-01', severity: 'critical', class: 'disk_full' },
};
const alertsOf = (body: unknown): NormalizedAlert[] => {
  const r = mapPagerDuty(body);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.alerts;
};

describe('pagerDutyDeliveryId', () => {
  it('keeps the ids stored before episodes were counted for the first episode', () => {
    expect(pagerDutyDeliveryId('db-01/disk', 'trigger', 1)).toBe('db-01/disk:trigger');
    expect(pagerDutyDeliveryId('db-01/disk', 'resolve', 1)).toBe('db-01/disk:resolve');
  });

  it('names later episodes, so no two episodes or actions of a key share an id', () => {
    const ids = [1, 2, 3].flatMap((n) => [
      pagerDutyDeliveryId('k', 'trigger', n),
      pagerDutyDeliveryId('k', 'resolve', n),
    ]);
    expect(ids).toEqual(['k:trigger', 'k:resolve', 'k:trigger:2', 'k:resolve:2', 'k:trigger:3', 'k:resolve:3']);
    // A key that itself ends like an episode's id still differs from that episode's id.
    expect(pagerDutyDeliveryId('k:trigger:2', 'trigger', 1)).not.toBe(pagerDutyDeliveryId('k', 'trigger', 2));
  });
});

describe('inEpisode', () => {
  it("stamps a trigger's and a resolve's delivery id with the key's episode", () => {
    const [fired] = inEpisode(alertsOf(trigger), 'db-01/disk', 'trigger', 2);
    expect(fired).toMatchObject({ sourceKey: 'db-01/disk', sourceDeliveryId: 'db-01/disk:trigger:2' });
    const resolve = { routing_key: 'rk', event_action: 'resolve', dedup_key: 'db-01/disk' };
    const [resolved] = inEpisode(alertsOf(resolve), 'db-01/disk', 'resolve', 2);
    expect(resolved).toMatchObject({ status: 'resolved', sourceDeliveryId: 'db-01/disk:resolve:2' });
  });

  it('is the same delivery for the same event in the same episode (a retry stays one alert)', () => {
    const first = inEpisode(alertsOf(trigger), 'db-01/disk', 'trigger', 3);
    const again = inEpisode(alertsOf(structuredClone(trigger)), 'db-01/disk', 'trigger', 3);
    expect(again).toEqual(first);
  });

  it("leaves alerts without a delivery id of their own (Alertmanager's listed alerts) to the content hash", () => {
    const listed = { ...alertsOf(trigger)[0]!, sourceKey: 'f1a2', sourceDeliveryId: null };
    expect(inEpisode([listed], 'group', 'trigger', 4)).toEqual([listed]);
  });

  it('first episode of a generated key is the id assignDedupKey gives', () => {
    const [noKey] = alertsOf({ ...trigger, dedup_key: undefined });
    expect(assignDedupKey(noKey!, 'gen-1').sourceDeliveryId).toBe(pagerDutyDeliveryId('gen-1', 'trigger', 1));
  });
});
