// Events API v2 events sent by a real Prometheus Alertmanager v0.28.1 through its pagerduty_configs
// (test/fixtures/receivers/alertmanager-pagerduty-*.json, captured as SOURCES-receivers.md says): mapped by the
// alerts' own labels, exactly as the Alertmanager webhook receiver maps the same alerts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapAlertmanager } from '../../api/receivers/alertmanager.ts';
import { assignDedupKey, mapPagerDuty } from '../../api/receivers/pagerduty.ts';
import {
  alertmanagerFingerprint,
  isAlertmanagerEvent,
  parseAlertList,
  stripStatusPrefix,
} from '../../api/receivers/pagerduty-alertmanager.ts';
import type { NormalizedAlert, ReceiverMapping } from '../../api/receivers/types.ts';

type Event = {
  dedup_key?: string;
  payload: { summary: string; severity: string; custom_details: Record<string, string> };
} & Record<string, unknown>;
const fixture = (name: string): Event =>
  JSON.parse(readFileSync(new URL(`../fixtures/receivers/${name}`, import.meta.url), 'utf8')) as Event;
const GROUP_KEY = '3b79310eee3bf400dba568d5811aabdce8caba835436a256df2204785f4d7d4a';
const FP = { web01: 'a7ce8f8d7d17f7e5', web02: '9dda9d0844f0d588', db01: '2197a24ee19c27e3' };

function alertsOf(body: unknown, mapping?: ReceiverMapping): NormalizedAlert[] {
  const r = mapPagerDuty(body, mapping);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.alerts;
}
const keyed = (alerts: NormalizedAlert[]) =>
  alerts
    .map((a) => [a.sourceKey, a.status, a.assetName, a.signature])
    .sort((x, y) => String(x[0]).localeCompare(String(y[0])));

describe('Alertmanager pagerduty_configs, default templates (one alert per listed alert)', () => {
  it('maps each firing alert of the group from its own labels, never from source "Alertmanager"', () => {
    const r = mapPagerDuty(fixture('alertmanager-pagerduty-trigger.json'));
    expect(r).toMatchObject({ ok: true, action: 'trigger', dedupKey: GROUP_KEY });
    const alerts = alertsOf(fixture('alertmanager-pagerduty-trigger.json'));
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toEqual({
      assetName: 'srv-web-01.example.com',
      signature: 'ServiceDown',
      severity: 'critical',
      message: 'srv-web-01.example.com is down',
      toolSource: 'Alertmanager',
      status: 'firing',
      sourceKey: FP.web01,
      sourceDeliveryId: null,
      labels: {
        alertname: 'ServiceDown',
        instance: 'srv-web-01.example.com:9100',
        job: 'node',
        severity: 'critical',
        team: 'infra',
      },
    });
    expect(alerts[1]).toMatchObject({ assetName: 'srv-web-02.example.com', sourceKey: FP.web02 });
    for (const a of alerts) {
      expect(a.assetName).not.toBe('Alertmanager');
      expect(a.message).not.toMatch(/FIRING/);
    }
  });

  it('gives the third alert joining the group the same signature, and the first two the same identity', () => {
    const first = alertsOf(fixture('alertmanager-pagerduty-trigger.json'));
    const joined = fixture('alertmanager-pagerduty-trigger-joined.json');
    expect(joined.payload.summary).toBe('[FIRING:3] ServiceDown node (critical infra)');
    const alerts = alertsOf(joined);
    expect(keyed(alerts)).toEqual([
      [FP.db01, 'firing', 'srv-db-01.example.com', 'ServiceDown'],
      [FP.web02, 'firing', 'srv-web-02.example.com', 'ServiceDown'],
      [FP.web01, 'firing', 'srv-web-01.example.com', 'ServiceDown'],
    ]);
    expect(new Set(alerts.map((a) => a.signature))).toEqual(new Set([first[0]!.signature]));
  });

  it('gives the same asset, signature, severity, message and sourceKey as the webhook receiver', () => {
    // Both bodies come from one Alertmanager run whose receiver had a pagerduty_config and a webhook_config.
    const pick = (a: NormalizedAlert) => [a.sourceKey, a.assetName, a.signature, a.severity, a.message, a.labels];
    const viaWebhook = mapAlertmanager(fixture('alertmanager-pagerduty-joined-webhook.json'));
    if (!viaWebhook.ok) throw new Error('webhook fixture rejected');
    const viaEventsV2 = alertsOf(fixture('alertmanager-pagerduty-trigger-joined.json'));
    expect(viaEventsV2.map(pick)).toEqual(viaWebhook.alerts.map(pick));
    expect(viaWebhook.alerts.map((a) => alertmanagerFingerprint(a.labels))).toEqual([FP.db01, FP.web01, FP.web02]);
  });

  it('resolves each alert by its own identity: a member listed as resolved, then the group resolve', () => {
    const partly = alertsOf(fixture('alertmanager-pagerduty-trigger-partly-resolved.json'));
    expect(keyed(partly.filter((a) => a.status === 'resolved'))).toEqual([
      [FP.db01, 'resolved', 'srv-db-01.example.com', 'ServiceDown'],
    ]);
    expect(partly.filter((a) => a.status === 'firing').map((a) => a.sourceKey)).toEqual([FP.web01, FP.web02]);
    const r = mapPagerDuty(fixture('alertmanager-pagerduty-resolve.json'));
    expect(r).toMatchObject({ ok: true, action: 'resolve', dedupKey: GROUP_KEY });
    const resolved = alertsOf(fixture('alertmanager-pagerduty-resolve.json'));
    expect(keyed(resolved)).toEqual([
      [FP.web02, 'resolved', 'srv-web-02.example.com', 'ServiceDown'],
      [FP.web01, 'resolved', 'srv-web-01.example.com', 'ServiceDown'],
    ]);
    expect(resolved[0]).toMatchObject({ severity: 'critical', message: 'srv-web-01.example.com is down' });
    // Every alert the triggers opened is resolved by one of the two notifications.
    const opened = alertsOf(fixture('alertmanager-pagerduty-trigger-joined.json')).map((a) => a.sourceKey);
    const closed = [...partly, ...resolved].filter((a) => a.status === 'resolved').map((a) => a.sourceKey);
    expect(new Set(closed)).toEqual(new Set(opened));
  });

  it("takes severity from the alert's severity label, else from the event's severity", () => {
    const body = fixture('alertmanager-pagerduty-trigger.json');
    body.payload.custom_details.firing = body.payload.custom_details.firing!.replace(/ - severity = critical\n/g, '');
    const alerts = alertsOf(body);
    expect(alerts.map((a) => a.severity)).toEqual(['high', 'high']); // Alertmanager's default "error"
    body.payload.severity = 'warning';
    expect(alertsOf(body)[0]!.severity).toBe('medium');
  });

  it("applies a company's mapping to the alerts' labels", () => {
    const mapping: ReceiverMapping = { assetFrom: ['job'], severityMap: { critical: 'high' } };
    const [a] = alertsOf(fixture('alertmanager-pagerduty-trigger.json'), mapping);
    expect(a).toMatchObject({ assetName: 'node', severity: 'high', signature: 'ServiceDown' });
  });

  it('keeps each alert its fingerprint when the trigger came without a dedup_key', () => {
    const body = fixture('alertmanager-pagerduty-trigger.json');
    delete body.dedup_key;
    const r = mapPagerDuty(body);
    if (!r.ok) throw new Error('rejected');
    expect(r.dedupKey).toBeNull();
    expect(r.alerts.map((a) => assignDedupKey(a, 'gen-1').sourceKey)).toEqual([FP.web01, FP.web02]);
  });
});

describe('Alertmanager pagerduty_configs, templated details (one alert for the group)', () => {
  it('maps the group from custom_details labels, keyed by dedup_key, and resolves it with the same key', () => {
    const trigger = fixture('alertmanager-pagerduty-details-trigger.json');
    const [alert] = alertsOf(trigger);
    expect(alert).toMatchObject({
      assetName: 'srv-db-02.example.com',
      signature: 'ServiceDown',
      severity: 'critical',
      status: 'firing',
      toolSource: 'Alertmanager',
      sourceKey: trigger.dedup_key,
      sourceDeliveryId: null,
    });
    expect(alert!.message).toBe(
      'ServiceDown srv-db-02.example.com:9100 (node critical infra)\n\nsrv-db-02.example.com is down; ',
    );
    expect(alert!.labels).toEqual({
      alertname: 'ServiceDown',
      instance: 'srv-db-02.example.com:9100',
      severity: 'critical',
    });
    const resolved = alertsOf(fixture('alertmanager-pagerduty-details-resolve.json'));
    expect(resolved.map((a) => [a.status, a.sourceKey, a.assetName, a.signature])).toEqual([
      ['resolved', trigger.dedup_key, 'srv-db-02.example.com', 'ServiceDown'],
    ]);
  });

  it('never takes "Alertmanager" as the asset, and keeps the signature when the [FIRING:n] count changes', () => {
    const body = fixture('alertmanager-pagerduty-details-trigger.json');
    const details = body.payload.custom_details;
    delete details.alertname;
    delete details.instance;
    const one = alertsOf(body)[0]!;
    body.payload.summary = '[FIRING:2] ServiceDown srv-db-02.example.com:9100 (node infra)';
    details.num_firing = '2';
    const two = alertsOf(body)[0]!;
    expect(one.assetName).toBe('unknown');
    expect(two.signature).toBe(one.signature);
    expect(one.signature).toBe('servicedown_srv_db_02_example_com_9100');
    expect(one.message).not.toMatch(/FIRING/);
  });
});

describe('reading what Alertmanager sends', () => {
  it('tells Alertmanager events from others', () => {
    expect(isAlertmanagerEvent(fixture('alertmanager-pagerduty-trigger.json'))).toBe(true);
    const other = fixture('pagerduty-trigger.json');
    expect(isAlertmanagerEvent(other)).toBe(false);
    const renamed = { ...fixture('alertmanager-pagerduty-trigger.json'), client: 'Prometheus EU' };
    expect(isAlertmanagerEvent(renamed)).toBe(true); // client_url and num_firing still say so
  });

  it('parses the default alert list, values over several lines included, and refuses other texts', () => {
    const list = 'Labels:\n - alertname = A\nAnnotations:\n - description = line 1\nline 2\nSource: \n';
    expect(parseAlertList(list)).toEqual([
      { labels: { alertname: 'A' }, annotations: { description: 'line 1\nline 2' } },
    ]);
    expect(parseAlertList('')).toEqual([]);
    expect(parseAlertList('srv-db-02.example.com is down; ')).toBeUndefined();
    expect(parseAlertList('Labels:\n - alertname = A\n')).toBeUndefined();
    expect(stripStatusPrefix('[FIRING:12] ServiceDown node')).toBe('ServiceDown node');
    expect(stripStatusPrefix('[RESOLVED] ServiceDown node')).toBe('ServiceDown node');
  });

  it('computes the fingerprint Alertmanager gives a label set', () => {
    const webhook = fixture('alertmanager-pagerduty-joined-webhook.json') as unknown as {
      alerts: Array<{ labels: Record<string, string>; fingerprint: string }>;
    };
    for (const a of webhook.alerts) expect(alertmanagerFingerprint(a.labels)).toBe(a.fingerprint);
  });
});
