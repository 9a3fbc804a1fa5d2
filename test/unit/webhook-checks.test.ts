import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../api/hmac.ts';
import { RateLimiter } from '../../api/rate-limit.ts';
import { validateAlertPayload } from '../../api/webhook-validation.ts';

describe('alert payload validation', () => {
  it('accepts the seed payload and normalises severity case', () => {
    const r = validateAlertPayload({
      asset_name: 'srv-app-01',
      signature: 'cpu_high',
      severity: 'CRITICAL',
      message: 'CPU 95%',
      tool_source: 'Datadog',
    });
    expect(r).toMatchObject({ ok: true, value: { severity: 'critical' } });
  });
  it('names every bad field and the allowed severities', () => {
    const r = validateAlertPayload({ asset_name: '', severity: 'urgent', message: 5 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
    expect(Object.keys(fields).sort()).toEqual(['asset_name', 'message', 'severity', 'signature', 'tool_source']);
    expect(fields.severity).toBe('severity must be one of: critical, high, medium, low');
  });
  it('rejects a non-object body', () => {
    expect(validateAlertPayload([1, 2])).toEqual({
      ok: false,
      errors: [{ field: '(body)', message: 'body must be a JSON object' }],
    });
  });
});

describe('HMAC signatures', () => {
  const body = Buffer.from('{"a":1}');
  it('accepts a fresh, correct signature', () => {
    const ts = '1700000000';
    expect(
      verifyWebhookSignature('s3cret', { signature: signWebhook('s3cret', ts, body), timestamp: ts }, body, 1700000100),
    ).toEqual({ ok: true });
  });
  it('rejects a wrong signature, a stale timestamp and missing headers', () => {
    const ts = '1700000000';
    expect(
      verifyWebhookSignature('s3cret', { signature: signWebhook('other', ts, body), timestamp: ts }, body, 1700000000)
        .ok,
    ).toBe(false);
    expect(
      verifyWebhookSignature('s3cret', { signature: signWebhook('s3cret', ts, body), timestamp: ts }, body, 1700000301),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('replay') });
    expect(verifyWebhookSignature('s3cret', { signature: undefined, timestamp: undefined }, body).ok).toBe(false);
  });
});

describe('rate limiter', () => {
  it('allows a minute of burst, then asks to retry, then refills', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    expect([limiter.take('c'), limiter.take('c'), limiter.take('c')]).toEqual([0, 0, 0]);
    expect(limiter.take('c')).toBe(20);
    expect(limiter.take('other')).toBe(0);
    now += 20_000;
    expect(limiter.take('c')).toBe(0);
  });
});
