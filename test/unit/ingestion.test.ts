// Pure pieces of the ingest and routing path: body checks, idempotency keys, lane planning, workflow IDs.
import { describe, expect, it } from 'vitest';
import { deliveryIdFor, headerDeliveryId } from '../../api/webhooks/delivery-ids.ts';
import { parseJsonBody } from '../../api/ingest/json-body.ts';
import { redactedExcerpt } from '../../api/ingest/rejections.ts';
import { classifyRouteError, retryDelayMs } from '../../router/routing/failures.ts';
import { planLane, MAX_CHANGES_PER_SIGNAL } from '../../domain/coalescing.ts';
import { incidentWorkflowId, MAX_READABLE_WORKFLOW_ID_BYTES } from '../../domain/correlation.ts';
import type { NormalizedAlert } from '../../api/receivers/types.ts';

const json = (s: string) => Buffer.from(s, 'utf8');

describe('parseJsonBody', () => {
  it('accepts JSON, and text/plain only where allowed (SNS)', () => {
    expect(parseJsonBody(json('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody(json('{"a":1}'), undefined).ok).toBe(true);
    expect(parseJsonBody(json('{"a":1}'), 'text/plain')).toMatchObject({ ok: false, status: 415 });
    expect(parseJsonBody(json('{"a":1}'), 'text/plain; charset=UTF-8', { allowText: true }).ok).toBe(true);
    expect(parseJsonBody(json('a=1'), 'application/x-www-form-urlencoded')).toMatchObject({ ok: false, status: 415 });
  });

  it('refuses NUL, unpaired surrogates, invalid UTF-8 and deep nesting, naming where', () => {
    expect(parseJsonBody(json('{"message":"a\\u0000b"}'), 'application/json')).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining('"message"'),
    });
    expect(parseJsonBody(json('{"x":["ok","\\ud800"]}'), 'application/json')).toMatchObject({
      ok: false,
      message: expect.stringContaining('"x[1]"'),
    });
    expect(parseJsonBody(json('{"x":"\\udc00z"}'), 'application/json').ok).toBe(false);
    expect(parseJsonBody(json('{"x":"\\ud83d\\ude00"}'), 'application/json').ok).toBe(true); // a real pair: 😀
    expect(parseJsonBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json')).toMatchObject({
      ok: false,
      error: 'invalid_encoding',
    });
    expect(parseJsonBody(json(`${'['.repeat(40)}${']'.repeat(40)}`), 'application/json')).toMatchObject({
      ok: false,
      message: expect.stringContaining('nested'),
    });
    expect(parseJsonBody(json(''), 'application/json')).toMatchObject({ ok: false, status: 400 });
    expect(parseJsonBody(json('{"a":'), 'application/json')).toMatchObject({ ok: false, error: 'invalid_json' });
  });
});

const alert = (over: Partial<NormalizedAlert> = {}): NormalizedAlert => ({
  assetName: 'srv-1',
  signature: 'disk_full',
  severity: 'high',
  message: 'm',
  toolSource: 'Prometheus',
  status: 'firing',
  sourceKey: null,
  sourceDeliveryId: null,
  labels: {},
  ...over,
});

describe('deliveryIdFor', () => {
  const base = { receiver: 'alertmanager', itemDeliveryId: null, header: null, index: 0, count: 1, now: 120_000 };

  it('prefers the caller, then the source identity, then a content hash within the minute', () => {
    expect(deliveryIdFor({ ...base, alert: alert(), itemDeliveryId: 'd-1', header: 'h' })).toBe('d-1');
    expect(deliveryIdFor({ ...base, alert: alert(), header: 'h' })).toBe('h');
    expect(deliveryIdFor({ ...base, alert: alert(), header: 'h', index: 2, count: 3 })).toBe('h#2');
    expect(deliveryIdFor({ ...base, alert: alert({ sourceDeliveryId: 'fp:t:firing' }) })).toBe(
      'alertmanager:fp:t:firing',
    );
    const a = deliveryIdFor({ ...base, alert: alert() });
    expect(a).toMatch(/^content:[0-9a-f]{40}:2$/);
    expect(deliveryIdFor({ ...base, alert: alert(), now: 179_999 })).toBe(a);
    expect(deliveryIdFor({ ...base, alert: alert(), now: 180_000 })).not.toBe(a);
    expect(deliveryIdFor({ ...base, alert: alert({ message: 'other' }) })).not.toBe(a);
  });

  it('keeps source ids within the column bound by hashing long ones', () => {
    const id = deliveryIdFor({ ...base, alert: alert({ sourceDeliveryId: 'x'.repeat(500) }) });
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('treats a blank header as absent', () => {
    expect(headerDeliveryId((n) => (n === 'x-delivery-id' ? '  ' : undefined))).toBeNull();
    expect(headerDeliveryId((n) => (n === 'idempotency-key' ? ' k ' : undefined))).toBe('k');
  });
});

describe('planLane', () => {
  const a = (id: string, severity: NormalizedAlert['severity'] = 'high', toolSource = 'Prometheus') => ({
    id,
    severity,
    toolSource,
  });

  it('sends the first alert and changes, and carries repeats by id while no incident row exists', () => {
    const plan = planLane([a('1'), a('2'), a('3', 'critical'), a('4'), a('5', 'high', 'Datadog')], null);
    expect(plan.changes.map((x) => x.id)).toEqual(['1', '3', '5']);
    expect(plan.repeatIds).toEqual(['2', '4']);
    expect(plan.repeatsOfOpen).toEqual([]);
  });

  it('keeps repeats of an open incident out of Temporal', () => {
    const open = { id: 'inc', severity: 'critical' as const, toolSources: ['Prometheus'], sourceResolved: false };
    const plan = planLane([a('1'), a('2', 'low'), a('3', 'critical', 'Zabbix'), a('4', 'high', 'Zabbix')], open);
    expect(plan.changes.map((x) => x.id)).toEqual(['3']);
    expect(plan.repeatsOfOpen.map((x) => x.id)).toEqual(['1', '2', '4']);
  });

  it('tells the workflow when an incident that had recovered at source fires again', () => {
    const open = { id: 'inc', severity: 'high' as const, toolSources: ['Prometheus'], sourceResolved: true };
    expect(planLane([a('1'), a('2')], open).changes.map((x) => x.id)).toEqual(['1']);
  });

  it('bounds what one signal carries in full', () => {
    const many = Array.from({ length: 300 }, (_, i) => a(String(i), 'high', `tool-${i}`));
    const plan = planLane(many, null);
    expect(plan.changes).toHaveLength(MAX_CHANGES_PER_SIGNAL);
    expect(plan.repeatIds).toHaveLength(200);
  });
});

describe('incidentWorkflowId', () => {
  it('keeps short keys readable and hashes long ones within Temporal and SQL limits', () => {
    expect(incidentWorkflowId('comp-acme', 'srv-1|disk_full')).toBe('incident:comp-acme:srv-1|disk_full');
    const long = incidentWorkflowId('comp-acme', `${'あ'.repeat(255)}|${'あ'.repeat(255)}`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_READABLE_WORKFLOW_ID_BYTES);
    expect(long).toMatch(/^incident:comp-acme:sha256:[0-9a-f]{64}$/);
    expect(incidentWorkflowId('comp-acme', `${'a'.repeat(250)}|x`)).not.toBe(
      incidentWorkflowId('comp-acme', `${'a'.repeat(250)}|y`),
    );
    expect(incidentWorkflowId('comp-a', `${'a'.repeat(250)}|x`)).not.toBe(
      incidentWorkflowId('comp-b', `${'a'.repeat(250)}|x`),
    );
  });
});

describe('routing failures', () => {
  it('tells an outage from an alert of its own', () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), {
      code: 14,
      details: 'x',
      metadata: {},
    });
    expect(classifyRouteError(unavailable).outage).toBe(true);
    const invalid = Object.assign(new Error('3 INVALID_ARGUMENT: WorkflowId length exceeds limit.'), {
      code: 3,
      details: 'x',
      metadata: {},
    });
    expect(classifyRouteError(new Error('Failed to signalWithStart Workflow', { cause: invalid })).outage).toBe(false);
  });

  it('backs off per attempt with jitter, up to five minutes', () => {
    expect(retryDelayMs(1, 2000, () => 0.5)).toBe(2000);
    expect(retryDelayMs(3, 2000, () => 0.5)).toBe(8000);
    expect(retryDelayMs(30, 2000, () => 1)).toBe(360_000);
    expect(retryDelayMs(30, 2000, () => 0)).toBe(240_000);
  });
});

describe('redactedExcerpt', () => {
  it('blanks secrets, the key used and characters PostgreSQL would refuse', () => {
    const body = Buffer.from(
      '{"routing_key":"R0UT1NGKEY","password":"hunter2","note":"ak_live_123456 and \\u0000","x":"\u0000"}',
    );
    const text = redactedExcerpt(body, ['ak_live_123456']);
    expect(text).not.toContain('R0UT1NGKEY');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('ak_live_123456');
    expect(text).not.toContain('\u0000');
    expect(redactedExcerpt(Buffer.from('x'.repeat(5000)))).toContain('5000 bytes in all');
  });
});

describe('createErrorHandler', () => {
  const fakeRes = () => {
    const r = { statusCode: 0, headers: {} as Record<string, string>, body: null as unknown, headersSent: false };
    const res = {
      ...r,
      set(k: string, v: string) {
        r.headers[k] = v;
        return res;
      },
      status(c: number) {
        r.statusCode = c;
        return res;
      },
      json(b: unknown) {
        r.body = b;
        return res;
      },
    };
    return { res, r };
  };

  it('answers a database outage with 503 + Retry-After and logs it once, anything else with a one-line 500', async () => {
    const { createErrorHandler } = await import('../../api/errors.ts');
    const lines: string[] = [];
    const handle = createErrorHandler((l) => lines.push(l));
    for (let i = 0; i < 3; i++) {
      const { res, r } = fakeRes();
      handle(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        {} as never,
        res as never,
        () => {},
      );
      expect(r.statusCode).toBe(503);
      expect(r.headers['Retry-After']).toBe('5');
    }
    expect(lines).toHaveLength(1);
    const { res, r } = fakeRes();
    handle(new Error('boom with detail'), {} as never, res as never, () => {});
    expect(r.statusCode).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('boom');
    expect(lines[1]).toContain('boom with detail');
  });
});
