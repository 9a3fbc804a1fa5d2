// The receivers' mappers on payloads in each tool's real format (test/fixtures/receivers/SOURCES-receivers.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapAlertmanager, mapGrafana } from '../../api/receivers/alertmanager.ts';
import { mapDatadog, parseDatadogTitle } from '../../api/receivers/datadog.ts';
import { MAX_BATCH, parseGenericAlerts } from '../../api/receivers/generic.ts';
import {
  boundLabels,
  checkAlert,
  hostOf,
  normalizeSeverity,
  truncateMessage,
  type ReceiverDefaults,
  applyMapping,
} from '../../api/receivers/mapping.ts';
import { assignDedupKey, mapPagerDuty, pagerDutyErrorBody, summarySlug } from '../../api/receivers/pagerduty.ts';
import type { FieldError, NormalizedAlert, ReceiverMapping, ReceiverResult } from '../../api/receivers/types.ts';
import { mapZabbix } from '../../api/receivers/zabbix.ts';
import { runZabbixScript, ZABBIX_SCRIPT } from '../helpers/zabbix.ts';
import { validateAlertPayload } from '../../api/webhook-validation.ts';

const ROUTING_KEY = 'e93facc04764012d7bfb002500d5d1a6';
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/receivers/${name}`, import.meta.url), 'utf8'));

function alertsOf(r: ReceiverResult): NormalizedAlert[] {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.alerts;
}

function errorsOf(r: { ok: boolean; errors?: FieldError[] }): Record<string, string> {
  expect(r.ok).toBe(false);
  return Object.fromEntries((r.errors ?? []).map((e) => [e.field, e.message]));
}

describe('Alertmanager', () => {
  it('maps every alert of a firing group', () => {
    const alerts = alertsOf(mapAlertmanager(fixture('alertmanager-firing.json')));
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toEqual({
      assetName: '10.0.1.15',
      signature: 'NodeFilesystemAlmostOutOfSpace',
      severity: 'medium',
      message: 'Filesystem has less than 5% space left.',
      toolSource: 'Prometheus',
      status: 'firing',
      sourceKey: '5c1e1a2f9d0b7e44',
      sourceDeliveryId: '5c1e1a2f9d0b7e44:2024-03-11T09:14:27.912Z:firing',
      labels: {
        alertname: 'NodeFilesystemAlmostOutOfSpace',
        device: '/dev/sda1',
        fstype: 'ext4',
        instance: '10.0.1.15:9100',
        job: 'node',
        mountpoint: '/',
        severity: 'warning',
      },
    });
    expect(alerts[1]).toMatchObject({ assetName: '10.0.1.16', sourceKey: 'a7f02c93b8d41e60' });
  });

  it('resolves with the same sourceKey as the firing alert', () => {
    const firing = alertsOf(mapAlertmanager(fixture('alertmanager-firing.json')));
    const resolved = alertsOf(mapAlertmanager(fixture('alertmanager-resolved.json')));
    expect(resolved.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(resolved.map((a) => a.sourceKey)).toEqual(firing.map((a) => a.sourceKey));
    expect(resolved[0]!.sourceDeliveryId).not.toBe(firing[0]!.sourceDeliveryId);
  });

  it('takes the host of a blackbox URL instance and maps severity critical', () => {
    const [alert] = alertsOf(mapAlertmanager(fixture('alertmanager-probe-failure.json')));
    expect(alert).toMatchObject({
      assetName: 'server.example.org',
      signature: 'ProbeFailure',
      severity: 'critical',
      message: 'BlackBox Probe Failure: https://server.example.org',
    });
  });

  it('is lenient with missing labels: job, then "unknown"; no severity is medium; no fingerprint hashes labels', () => {
    const body = (labels: Record<string, string>) => ({
      version: '4',
      status: 'firing',
      alerts: [{ status: 'firing', labels }],
    });
    const [byJob] = alertsOf(mapAlertmanager(body({ alertname: 'Down', job: 'api' })));
    expect(byJob).toMatchObject({ assetName: 'api', severity: 'medium', message: 'Down' });
    const [bare] = alertsOf(mapAlertmanager(body({})));
    expect(bare).toMatchObject({ assetName: 'unknown', signature: 'alert' });
    expect(bare!.sourceKey).toMatch(/^labels:[0-9a-f]{32}$/);
    const [again] = alertsOf(mapAlertmanager(body({})));
    expect(again!.sourceKey).toBe(bare!.sourceKey);
    const [paged] = alertsOf(mapAlertmanager(body({ alertname: 'X', severity: 'page', host: 'a|b' })));
    expect(paged).toMatchObject({ severity: 'high', assetName: 'a/b' });
  });

  it('applies a company mapping, falling back to the defaults when its labels are absent', () => {
    const mapping = {
      assetFrom: ['mountpoint_host', 'job'],
      signatureFrom: ['device'],
      severityMap: { warning: 'high' as const },
    };
    const [alert] = alertsOf(mapAlertmanager(fixture('alertmanager-firing.json'), mapping));
    expect(alert).toMatchObject({ assetName: 'node', signature: '/dev/sda1', severity: 'high' });
    const [fallback] = alertsOf(mapAlertmanager(fixture('alertmanager-firing.json'), { assetFrom: ['nope'] }));
    expect(fallback!.assetName).toBe('10.0.1.15');
    const [bySeverityLabel] = alertsOf(
      mapAlertmanager(fixture('alertmanager-firing.json'), {
        severityFrom: ['fstype'],
        severityMap: { ext4: 'critical' },
      }),
    );
    expect(bySeverityLabel!.severity).toBe('critical');
  });

  it('names the path of every structural error', () => {
    expect(errorsOf(mapAlertmanager('nope'))).toEqual({ '(body)': 'body must be a JSON object' });
    expect(errorsOf(mapAlertmanager({ version: '4' }))).toEqual({ alerts: 'alerts is required and must be an array' });
    const broken = {
      version: '4',
      alerts: [
        { status: 'firing', labels: { instance: 9100 } },
        { status: 'broken', labels: {} },
        'x',
        { status: 'firing' },
        { labels: {} },
      ],
    };
    expect(errorsOf(mapAlertmanager(broken))).toEqual({
      'alerts[0].labels.instance': 'alerts[0].labels.instance must be a string',
      'alerts[1].status': 'alerts[1].status must be one of: firing, resolved',
      'alerts[2]': 'alerts[2] must be a JSON object',
      'alerts[3].labels': 'alerts[3].labels is required and must be a JSON object',
      'alerts[4].status': 'alerts[4].status is required (firing or resolved)',
    });
  });
});

describe('Grafana', () => {
  it('maps the contact point payload, with "unknown" asset when no host label is present', () => {
    const alerts = alertsOf(mapGrafana(fixture('grafana-firing.json')));
    expect(alerts.map((a) => [a.assetName, a.signature, a.severity, a.toolSource, a.status])).toEqual([
      ['unknown', 'High memory usage', 'medium', 'Grafana', 'firing'],
      ['web-02.eu-1.example.com', 'High CPU usage', 'medium', 'Grafana', 'firing'],
    ]);
    expect(alerts[0]).toMatchObject({
      message: 'This alert was triggered for zone us-1',
      sourceKey: 'c6eadffa33fcdf37',
    });
    expect(alerts[0]!.labels.grafana_folder).toBe('Infrastructure');
  });

  it('resolves with the same sourceKeys', () => {
    const firing = alertsOf(mapGrafana(fixture('grafana-firing.json')));
    const resolved = alertsOf(mapGrafana(fixture('grafana-resolved.json')));
    expect(resolved.map((a) => [a.status, a.sourceKey])).toEqual(firing.map((a) => ['resolved', a.sourceKey]));
  });

  it('lets a company take the asset from another label', () => {
    const alerts = alertsOf(mapGrafana(fixture('grafana-firing.json'), { assetFrom: ['zone'] }));
    expect(alerts.map((a) => a.assetName)).toEqual(['us-1', 'eu-1']);
  });
});

describe('PagerDuty Events API v2', () => {
  it('maps a trigger', () => {
    const r = mapPagerDuty(fixture('pagerduty-trigger.json'));
    expect(r).toMatchObject({ ok: true, action: 'trigger', routingKey: ROUTING_KEY, dedupKey: 'srv01/mysql' });
    if (!r.ok) return;
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({
      assetName: 'prod-datapipe03.example.com',
      signature: 'disk',
      severity: 'critical',
      toolSource: 'Sample Monitoring Service',
      status: 'firing',
      sourceKey: 'srv01/mysql',
      sourceDeliveryId: 'srv01/mysql:trigger',
      labels: {
        source: 'prod-datapipe03.example.com',
        component: 'mysql',
        group: 'prod-datapipe',
        class: 'disk',
        'load avg': '0.75',
      },
    });
    expect(r.alerts[0]!.message).toBe(
      'DISK at 99% on machine prod-datapipe03.example.com\n\nfree space: 1%\nping time: 1500ms\nload avg: 0.75',
    );
  });

  it("answers acknowledge with no alert, and resolve with placeholders and the trigger's sourceKey", () => {
    expect(mapPagerDuty(fixture('pagerduty-acknowledge.json'))).toEqual({
      ok: true,
      action: 'acknowledge',
      routingKey: ROUTING_KEY,
      dedupKey: 'srv01/mysql',
      alerts: [],
    });
    const r = mapPagerDuty(fixture('pagerduty-resolve.json'));
    if (!r.ok) throw new Error('resolve rejected');
    expect(r.alerts[0]).toMatchObject({
      assetName: '-',
      signature: '-',
      status: 'resolved',
      sourceKey: 'srv01/mysql',
      sourceDeliveryId: 'srv01/mysql:resolve',
      toolSource: 'PagerDuty Events API',
    });
  });

  it('leaves the dedup key to the route when a trigger has none', () => {
    const r = mapPagerDuty(fixture('pagerduty-trigger-no-dedup-key.json'));
    if (!r.ok) throw new Error('rejected');
    expect(r.dedupKey).toBeNull();
    expect(r.alerts[0]).toMatchObject({
      signature: 'example_alert_on',
      severity: 'medium',
      sourceKey: null,
      sourceDeliveryId: null,
    });
    expect(assignDedupKey(r.alerts[0]!, 'gen-1')).toMatchObject({
      sourceKey: 'gen-1',
      sourceDeliveryId: 'gen-1:trigger',
    });
    expect(summarySlug('Disk 97% full on db-01', 'db-01')).toBe(summarySlug('Disk 98% full on db-01', 'db-01'));
  });

  it('applies a company mapping (asset from component, error → critical)', () => {
    const body = fixture('pagerduty-trigger.json') as { payload: Record<string, unknown> };
    body.payload.severity = 'error';
    const r = mapPagerDuty(body, { assetFrom: ['component'], severityMap: { error: 'critical' } });
    expect(r.ok && r.alerts[0]).toMatchObject({ assetName: 'mysql', severity: 'critical' });
    const plain = mapPagerDuty(body);
    expect(plain.ok && plain.alerts[0]).toMatchObject({ assetName: 'prod-datapipe03.example.com', severity: 'high' });
  });

  it('rejects invalid events like PagerDuty, with its error body', () => {
    const payload = { summary: '', severity: 'urgent' };
    const errors = errorsOf(mapPagerDuty({ routing_key: 5, event_action: 'trigger', payload }));
    expect(errors).toEqual({
      routing_key: 'routing_key must be a string',
      'payload.summary': 'payload.summary must not be empty',
      'payload.source': 'payload.source is required',
      'payload.severity': 'payload.severity must be one of: critical, error, warning, info',
    });
    expect(errorsOf(mapPagerDuty({ routing_key: 'k', event_action: 'resolve' }))).toEqual({
      dedup_key: 'dedup_key is required for resolve events',
    });
    expect(errorsOf(mapPagerDuty({ routing_key: 'k', event_action: 'snooze' }))).toEqual({
      event_action: 'event_action must be one of: trigger, acknowledge, resolve',
    });
    const long = mapPagerDuty({
      routing_key: 'k',
      event_action: 'trigger',
      payload: { summary: 'x'.repeat(1025), source: 's', severity: 'info' },
    });
    expect(errorsOf(long)['payload.summary']).toBe('payload.summary must be at most 1024 characters');
    expect(pagerDutyErrorBody([{ field: 'dedup_key', message: 'dedup_key is required for resolve events' }])).toEqual({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: ['dedup_key is required for resolve events'],
    });
  });
});

describe('Datadog', () => {
  it("reads transition, host and name from the default template's title", () => {
    const [alert] = alertsOf(mapDatadog(fixture('datadog-default-triggered.json')));
    expect(alert).toMatchObject({
      assetName: 'web-01',
      signature: 'CPU usage is high',
      severity: 'high',
      toolSource: 'Datadog',
      status: 'firing',
      sourceDeliveryId: 'datadog:event:7350193547283645421',
      labels: { host: 'web-01' },
    });
    expect(alert!.message).toMatch(/^@webhook-alert-whisperer CPU usage on web-01/);
    const [recovered] = alertsOf(mapDatadog(fixture('datadog-default-recovered.json')));
    expect(recovered).toMatchObject({ status: 'resolved', sourceKey: alert!.sourceKey, assetName: 'web-01' });
  });

  it('maps the recommended template: cycle key, priority, tags', () => {
    const [alert] = alertsOf(mapDatadog(fixture('datadog-recommended-triggered.json')));
    expect(alert).toMatchObject({
      assetName: 'web-01',
      signature: 'CPU usage is high',
      severity: 'high',
      status: 'firing',
      sourceKey: 'datadog:7350193547271054629',
      sourceDeliveryId: 'datadog:7350193547271054629:Triggered:1700000000000',
      labels: { env: 'prod', host: 'web-01', role: 'frontend', service: 'shop' },
    });
    const [recovered] = alertsOf(mapDatadog(fixture('datadog-recommended-recovered.json')));
    expect(recovered).toMatchObject({ status: 'resolved', sourceKey: alert!.sourceKey });
  });

  it('derives severity from priority, then a Warn transition, defaulting to high', () => {
    const base = fixture('datadog-recommended-triggered.json') as Record<string, unknown>;
    const sev = (patch: Record<string, unknown>) => alertsOf(mapDatadog({ ...base, ...patch }))[0]!.severity;
    expect(sev({ alert_priority: 'P1' })).toBe('critical');
    expect(sev({ alert_priority: 'P4' })).toBe('low');
    expect(sev({ alert_priority: '', alert_type: '', alert_transition: 'Warn', title: 'x' })).toBe('medium');
    // The event title's "[P2]" counts when $ALERT_PRIORITY is empty.
    expect(sev({ alert_priority: '', alert_type: '', alert_transition: 'Warn' })).toBe('high');
    const unexpanded = { alert_priority: '$ALERT_PRIORITY', alert_type: '', title: 'x', alert_title: '[Triggered] x' };
    expect(sev(unexpanded)).toBe('high');
  });

  it('applies a company mapping over tags', () => {
    const [alert] = alertsOf(
      mapDatadog(fixture('datadog-recommended-triggered.json'), {
        assetFrom: ['service'],
        severityFrom: ['env'],
        severityMap: { prod: 'critical' },
      }),
    );
    expect(alert).toMatchObject({ assetName: 'shop', severity: 'critical' });
  });

  it('parses Datadog titles', () => {
    expect(parseDatadogTitle('[P1] [Re-Triggered on {host:db-01,device:/dev/sda}] Disk full')).toEqual({
      priority: 'P1',
      transition: 'Re-Triggered',
      scope: [
        ['host', 'db-01'],
        ['device', '/dev/sda'],
      ],
      name: 'Disk full',
    });
    expect(parseDatadogTitle('[Triggered] [Memory Alert]')).toMatchObject({
      transition: 'Triggered',
      name: 'Memory Alert',
    });
    expect(parseDatadogTitle('[prod] CPU high')).toEqual({ scope: [], name: '[prod] CPU high' });
  });

  it('rejects a body without a title and wrongly typed fields', () => {
    expect(errorsOf(mapDatadog({ body: 'x' }))).toEqual({ title: 'title is required (Datadog $EVENT_TITLE)' });
    expect(errorsOf(mapDatadog({ title: 'x', tags: 5, org: 'acme' }))).toEqual({
      tags: 'tags must be a string ("key:value,key:value") or a list of strings',
      org: 'org must be a JSON object',
    });
    expect(errorsOf(mapDatadog([]))).toEqual({ '(body)': 'body must be a JSON object' });
  });
});

describe('Zabbix media type', () => {
  it('posts the problem with the API key header, and the body maps to a firing alert', () => {
    const run = runZabbixScript(fixture('zabbix-media-params-problem.json'));
    expect(run.thrown).toBeUndefined();
    expect(run.result).toBe('OK');
    expect(run.requests).toHaveLength(1);
    const [req] = run.requests;
    expect(req!.url).toBe('https://alerts.example.com/api/webhooks/zabbix');
    expect(req!.headers).toEqual(['Content-Type: application/json', 'X-API-Key: test-api-key-acme']);
    const body = JSON.parse(req!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ event_id: '1043017', event_value: '1', event_recovery_id: '', event_nseverity: '2' });
    const [alert] = alertsOf(mapZabbix(body));
    expect(alert).toMatchObject({
      assetName: 'srv-app-01',
      signature: 'Linux: High CPU utilization',
      severity: 'medium',
      toolSource: 'Zabbix',
      status: 'firing',
      sourceKey: 'zabbix:1043017',
      sourceDeliveryId: 'zabbix:1043017:1',
      labels: { class: 'os', component: 'cpu', scope: 'performance', target: 'linux' },
    });
    expect(alert!.message).toMatch(/^Problem started at 09:14:27/);
  });

  it("maps the recovery to resolved with the problem's sourceKey, and an update to no alert", () => {
    const posted = (name: string) => JSON.parse(runZabbixScript(fixture(name)).requests[0]!.body) as unknown;
    const firing = alertsOf(mapZabbix(posted('zabbix-media-params-problem.json')));
    const [resolved] = alertsOf(mapZabbix(posted('zabbix-media-params-recovery.json')));
    expect(resolved).toMatchObject({
      status: 'resolved',
      sourceKey: firing[0]!.sourceKey,
      sourceDeliveryId: 'zabbix:1043017:0',
    });
    expect(alertsOf(mapZabbix(posted('zabbix-media-params-update.json')))).toEqual([]);
  });

  it('fails the notification (so Zabbix retries or reports it) on an error answer or a missing key', () => {
    expect(String(runZabbixScript(fixture('zabbix-media-params-problem.json'), 503).thrown)).toMatch(/HTTP 503/);
    const noKey = {
      ...(fixture('zabbix-media-params-problem.json') as object),
      api_key: '<put your Alert Whisperer API key>',
    };
    const run = runZabbixScript(noKey);
    expect(String(run.thrown)).toMatch(/api_key/);
    expect(run.requests).toEqual([]);
  });

  it('maps Zabbix severities, and a company severityMap by their English names', () => {
    const body = (nseverity: string) => ({
      event_id: '1',
      event_value: '1',
      event_nseverity: nseverity,
      event_severity: 'x',
    });
    expect(['0', '1', '2', '3', '4', '5'].map((n) => alertsOf(mapZabbix(body(n)))[0]!.severity)).toEqual([
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'critical',
    ]);
    expect(alertsOf(mapZabbix(body('3'), { severityMap: { average: 'high' } }))[0]!.severity).toBe('high');
    expect(alertsOf(mapZabbix({ event_id: '2', event_value: '1', event_severity: 'Disaster' }))[0]).toMatchObject({
      severity: 'critical',
      assetName: 'unknown',
      signature: 'zabbix_problem',
    });
  });

  it("rejects bodies that are not the script's", () => {
    expect(errorsOf(mapZabbix({ event_id: 'abc', event_value: '2', event_tags: [{ tag: 1 }] }))).toEqual({
      event_id: 'event_id must be a number ({EVENT.ID})',
      event_value: 'event_value must be "0" or "1"',
      'event_tags[0]': 'event_tags[0] must be an object {"tag": string, "value": string}',
    });
    expect(errorsOf(mapZabbix({}))).toEqual({
      event_id: 'event_id is required',
      event_value: 'event_value is required',
    });
  });

  it('embeds exactly this script in the media type export', () => {
    const url = new URL('../../integrations/zabbix/media_type_alert_whisperer.yaml', import.meta.url);
    const yaml = readFileSync(url, 'utf8');
    const lines = yaml.split('\n');
    const start = lines.indexOf('      script: |') + 1;
    let end = start;
    while (end < lines.length && (lines[end] === '' || lines[end]!.startsWith('        '))) end++;
    expect(
      lines
        .slice(start, end)
        .map((l) => l.slice(8))
        .join('\n')
        .trimEnd(),
    ).toBe(ZABBIX_SCRIPT.trimEnd());
    const macros = ['{EVENT.ID}', '{EVENT.VALUE}', '{EVENT.NSEVERITY}', '{EVENT.TAGSJSON}', '{EVENT.UPDATE.STATUS}'];
    for (const macro of macros) {
      expect(yaml).toContain(`'${macro}'`);
    }
  });
});

describe('generic JSON', () => {
  it('maps a single alert as before, firing by default', () => {
    const r = parseGenericAlerts(fixture('generic-single.json'));
    expect(r).toEqual({
      ok: true,
      batch: false,
      items: [
        {
          index: 0,
          ok: true,
          deliveryId: null,
          alert: {
            assetName: 'srv-app-01',
            signature: 'disk_full',
            severity: 'high',
            message: 'Disk 97% full',
            toolSource: 'Datadog',
            status: 'firing',
            sourceKey: null,
            sourceDeliveryId: null,
            labels: {},
          },
        },
      ],
    });
  });

  it('maps a batch, with labels, source_key and delivery_id', () => {
    const r = parseGenericAlerts(fixture('generic-batch.json'));
    if (!r.ok) throw new Error('rejected');
    expect(r.batch).toBe(true);
    const rows = r.items.map((it) => (it.ok ? [it.index, it.alert.severity, it.alert.sourceKey, it.deliveryId] : it));
    expect(rows).toEqual([
      [0, 'high', 'nagios:srv-app-01:disk_var', 'nagios-000412'],
      [1, 'critical', 'nagios:srv-web-02:nginx', null],
    ]);
    expect(r.items[0]!.ok && r.items[0]!.alert.labels).toEqual({ mount: '/var', team: 'ops', threshold: '95' });
  });

  it("maps a resolved alert with the firing one's source_key", () => {
    const r = parseGenericAlerts(fixture('generic-resolved.json'));
    expect(r.ok && r.items[0]!.ok && r.items[0]!.alert).toMatchObject({
      status: 'resolved',
      sourceKey: 'nagios:srv-app-01:disk_var',
    });
  });

  it('answers a single invalid alert with exactly the messages of validateAlertPayload', () => {
    const body = { asset_name: '', severity: 'urgent', message: 5 };
    const r = parseGenericAlerts(body);
    const expected = validateAlertPayload(body);
    expect(r).toEqual({ ok: false, errors: expected.ok ? [] : expected.errors });
    expect(parseGenericAlerts('x')).toEqual({
      ok: false,
      errors: [{ field: '(body)', message: 'body must be a JSON object' }],
    });
  });

  it('answers invalid batch items one by one, naming their path', () => {
    const good = fixture('generic-single.json') as Record<string, unknown>;
    const r = parseGenericAlerts({ alerts: [good, { ...good, severity: 'urgent', status: 'gone' }, 7] });
    if (!r.ok) throw new Error('rejected');
    expect(r.items.map((it) => (it.ok ? 'ok' : it.errors))).toEqual([
      'ok',
      [
        { field: 'alerts[1].severity', message: 'severity must be one of: critical, high, medium, low' },
        { field: 'alerts[1].status', message: 'status must be one of: firing, resolved' },
      ],
      [{ field: 'alerts[2]', message: 'each alert must be a JSON object' }],
    ]);
    const bare = parseGenericAlerts([{ ...good, labels: { nested: { a: 1 } } }]);
    expect(bare.ok && bare.items[0]).toMatchObject({ ok: false, errors: [{ field: '[0].labels.nested' }] });
  });

  it('refuses more than 1000 alerts, an empty batch and a non-array alerts', () => {
    const good = fixture('generic-single.json');
    expect(errorsOf(parseGenericAlerts(Array.from({ length: MAX_BATCH + 1 }, () => good)))).toEqual({
      '(body)': 'at most 1000 alerts per request (got 1001)',
    });
    expect(parseGenericAlerts(Array.from({ length: MAX_BATCH }, () => good)).ok).toBe(true);
    expect(errorsOf(parseGenericAlerts({ alerts: [] }))).toEqual({ alerts: 'send at least one alert' });
    expect(errorsOf(parseGenericAlerts({ alerts: {} }))).toEqual({ alerts: 'alerts must be an array of alerts' });
  });

  it('applies a company mapping over labels', () => {
    const mapping = { assetFrom: ['team'], severityMap: { high: 'critical' as const } };
    const r = parseGenericAlerts(fixture('generic-batch.json'), mapping);
    expect(r.ok && r.items[0]!.ok && r.items[0]!.alert).toMatchObject({ assetName: 'ops', severity: 'critical' });
  });
});

describe('shared mapping helpers', () => {
  it('bounds labels: 64 entries, keys 128 and values 1024 characters, values as strings', () => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i]));
    const bounded = boundLabels(many);
    expect(Object.keys(bounded)).toHaveLength(64);
    expect(bounded.k0).toBe('0');
    const long = boundLabels({ ['k'.repeat(200)]: 'v'.repeat(2000), flag: true, obj: { a: 1 }, gone: null });
    expect(Object.keys(long)[0]).toHaveLength(128);
    expect(Object.values(long)[0]).toHaveLength(1024);
    expect(long).toMatchObject({ flag: 'true', obj: '{"a":1}' });
    expect('gone' in long).toBe(false);
    const proto = boundLabels(JSON.parse('{"__proto__":"x"}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
  });

  it('truncates messages to 10 000 characters', () => {
    expect(truncateMessage('m'.repeat(20_000))).toHaveLength(10_000);
    expect(truncateMessage('short')).toBe('short');
  });

  it('normalises severities with the default table and a company map', () => {
    const words = ['critical', 'ERROR', 'page', 'Warning', 'info', 'none', 'P3', 'Not classified', 'bogus', undefined];
    expect(words.map((s) => normalizeSeverity(s))).toEqual([
      'critical',
      'high',
      'high',
      'medium',
      'low',
      'low',
      'medium',
      'low',
      null,
      null,
    ]);
    expect(normalizeSeverity('warning', { warning: 'critical' })).toBe('critical');
  });

  it('strips ports and schemes from instances', () => {
    expect(['10.0.0.5:9100', '[::1]:9100', 'https://web-01.example.com/health', 'db-01'].map(hostOf)).toEqual([
      '10.0.0.5',
      '::1',
      'web-01.example.com',
      'db-01',
    ]);
  });

  it('checkAlert names every broken rule under the given path', () => {
    const alert: NormalizedAlert = {
      assetName: 'a|b',
      signature: '',
      severity: 'urgent' as never,
      message: 'm',
      toolSource: 't'.repeat(101),
      status: 'firing',
      sourceKey: null,
      sourceDeliveryId: null,
      labels: {},
    };
    expect(checkAlert(alert, 'alerts[1]').map((e) => e.field)).toEqual([
      'alerts[1].assetName',
      'alerts[1].signature',
      'alerts[1].toolSource',
      'alerts[1].severity',
    ]);
  });

  it('applyMapping tries the company list first, then the receiver defaults', () => {
    const d: ReceiverDefaults = {
      asset: 'dflt',
      signature: 'sig',
      severityCandidates: ['bogus', 'warning'],
      severity: 'low',
    };
    expect(applyMapping({ instance: 'h:1' }, { assetFrom: ['instance'] }, d)).toEqual({
      assetName: 'h',
      signature: 'sig',
      severity: 'medium',
    });
    // Settings JSON nothing validated: a malformed override is ignored, never a crash.
    const junk = { assetFrom: 'instance', signatureFrom: [5], severityMap: 'x' } as unknown as ReceiverMapping;
    expect(applyMapping({ instance: 'h:1' }, junk, d)).toEqual({
      assetName: 'dflt',
      signature: 'sig',
      severity: 'medium',
    });
    expect(applyMapping({}, { assetFrom: ['instance'] }, { ...d, severityCandidates: [] })).toEqual({
      assetName: 'dflt',
      signature: 'sig',
      severity: 'low',
    });
  });
});
