// SNS delivery verification and the CloudWatch alarm mapper. Keys and certificates are generated here with
// the openssl CLI; messages are signed the way SNS signs them (string to sign rebuilt independently of
// api/receivers/sns-message.ts, from the AWS documentation), then serialised and parsed like a real body.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mapCloudWatchMessage } from '../../api/receivers/cloudwatch.ts';
import { CERT_MAX_BYTES, fetchPemCertificate } from '../../api/receivers/sns-cert-cache.ts';
import { checkSigningCertUrl } from '../../api/receivers/sns-urls.ts';
import {
  confirmSubscription,
  createSnsVerifier,
  parseSnsMessage,
  type SnsMessage,
  type SnsVerifierOptions,
} from '../../api/receivers/sns.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/receivers/', import.meta.url));
const CERT_URL = 'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem';
const OTHER_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xxx.pem';
const HOUR = 60 * 60_000;

type Body = Record<string, unknown>;
interface Pair {
  key: KeyObject;
  pem: string;
}

let dir = '';
let good: Pair;
let other: Pair;
let NOW = 0;

function makeCert(name: string): Pair {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=sns.amazonaws.com',
    ],
    { stdio: 'pipe' },
  );
  return { key: createPrivateKey(readFileSync(keyFile)), pem: readFileSync(certFile, 'utf8') };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'aw-sns-'));
  good = makeCert('good');
  other = makeCert('other');
  // openssl's notBefore is "now" (second precision): stay safely inside the validity period.
  NOW = Date.now() + 5_000;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string): Body {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Body;
}

/** Signs like SNS: "Name\nvalue\n" pairs in byte order; Subject only when present. */
function snsSign(body: Body, opts: { version?: '1' | '2'; key?: KeyObject; at?: number; certUrl?: string } = {}): Body {
  const version = opts.version ?? '2';
  const m: Body = {
    ...body,
    SignatureVersion: version,
    SigningCertURL: opts.certUrl ?? CERT_URL,
    Timestamp: new Date(opts.at ?? NOW).toISOString(),
  };
  const names =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const toSign = names
    .filter((n) => m[n] !== undefined)
    .map((n) => `${n}\n${String(m[n])}\n`)
    .join('');
  m.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(toSign, 'utf8'), opts.key ?? good.key).toString(
    'base64',
  );
  return m;
}

/** The body as SNS posts it (text/plain JSON), parsed the way the route will. */
function parse(body: Body): SnsMessage {
  const r = parseSnsMessage(Buffer.from(JSON.stringify(body), 'utf8'));
  if (!r.ok) throw new Error(`fixture did not parse: ${JSON.stringify(r.errors)}`);
  return r.message;
}

function verifier(opts: SnsVerifierOptions = {}) {
  const fetchCertificate = vi.fn(async (_url: URL) => good.pem);
  return { fetchCertificate, v: createSnsVerifier({ fetchCertificate, now: () => NOW, ...opts }) };
}

describe('SNS signature verification', () => {
  const cases = [
    ['Notification with Subject', 'sns-notification.json'],
    ['SubscriptionConfirmation', 'sns-subscription-confirmation.json'],
    ['UnsubscribeConfirmation', 'sns-unsubscribe-confirmation.json'],
  ] as const;
  for (const [label, file] of cases) {
    for (const version of ['1', '2'] as const) {
      it(`accepts a ${label} signed with SignatureVersion ${version}`, async () => {
        const { v, fetchCertificate } = verifier();
        await expect(v.verify(parse(snsSign(fixture(file), { version })))).resolves.toEqual({ ok: true });
        expect(fetchCertificate).toHaveBeenCalledWith(new URL(CERT_URL));
      });
    }
  }

  it('accepts a Notification without Subject, and one with newlines and non-ASCII text', async () => {
    const { v } = verifier();
    const { Subject: _omit, ...noSubject } = fixture('sns-notification.json');
    await expect(v.verify(parse(snsSign(noSubject, { version: '1' })))).resolves.toEqual({ ok: true });
    const unicode = { ...fixture('sns-notification.json'), Subject: 'Störung ✓', Message: 'line 1\nline "2"\t€' };
    await expect(v.verify(parse(snsSign(unicode)))).resolves.toEqual({ ok: true });
  });

  it('rejects a tampered Message, Subject, Type or a dropped Subject', async () => {
    const { v } = verifier();
    const signed = snsSign(fixture('sns-notification.json'));
    for (const change of [{ Message: 'Hello world?' }, { Subject: 'Other' }, { Subject: undefined }]) {
      const r = await v.verify(parse({ ...signed, ...change }));
      expect(r).toEqual({ ok: false, reason: 'the signature does not match the message' });
    }
    const added = snsSign({ ...fixture('sns-notification.json'), Subject: undefined });
    expect((await v.verify(parse({ ...added, Subject: 'injected' }))).ok).toBe(false);
    const confirmation = snsSign(fixture('sns-unsubscribe-confirmation.json'));
    expect((await v.verify(parse({ ...confirmation, Type: 'SubscriptionConfirmation' }))).ok).toBe(false);
  });

  it('binds the algorithm to SignatureVersion', async () => {
    const { v } = verifier();
    const sha256 = snsSign(fixture('sns-notification.json'), { version: '2' });
    expect((await v.verify(parse({ ...sha256, SignatureVersion: '1' }))).ok).toBe(false);
  });

  it('refuses certificate URLs that are not SNS, without fetching anything', async () => {
    const { v, fetchCertificate } = verifier();
    const bad = [
      'https://evil.example.com/x.pem',
      'http://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
      'https://user:pass@sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com@evil.com/x.pem',
      'https://sns.us-east-1.amazonaws.com:8443/x.pem',
      'https://sns.us-east-1.amazonaws.com/x.txt',
      'https://sns.us-east-1.amazonaws.com/x.pem?a=1',
      'https://sns.us-east-1.amazonaws.com/dir/x.pem',
      'https://sns.s3-us-west-2.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.cn/x.pem',
      'https://sns.cn-north-1.amazonaws.com/x.pem',
      'not a url',
    ];
    for (const certUrl of bad) {
      const r = await v.verify(parse(snsSign(fixture('sns-notification.json'), { certUrl })));
      expect(r, certUrl).toMatchObject({ ok: false, reason: expect.stringContaining('SigningCertURL') });
    }
    expect(fetchCertificate).not.toHaveBeenCalled();
  });

  it('accepts the SNS certificate hosts of every partition', () => {
    for (const url of [
      OTHER_CERT_URL,
      'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
      'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
      'https://SNS.AP-SOUTHEAST-2.AMAZONAWS.COM:443/SimpleNotificationService-abc.pem',
    ]) {
      expect(checkSigningCertUrl(url).ok, url).toBe(true);
    }
  });

  it("rejects a signature made with another key than the certificate's", async () => {
    const { v } = verifier();
    const r = await v.verify(parse(snsSign(fixture('sns-notification.json'), { key: other.key })));
    expect(r).toEqual({ ok: false, reason: 'the signature does not match the message' });
  });

  it('rejects an expired certificate, a non-certificate and a failed download (not cached)', async () => {
    const later = NOW + 3 * 24 * HOUR;
    const expired = createSnsVerifier({ fetchCertificate: async () => good.pem, now: () => later });
    const msg = parse(snsSign(fixture('sns-notification.json'), { at: later }));
    await expect(expired.verify(msg)).resolves.toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });

    const junk = verifier({ fetchCertificate: async () => 'not a certificate' }).v;
    const signed = parse(snsSign(fixture('sns-notification.json')));
    await expect(junk.verify(signed)).resolves.toEqual({ ok: false, reason: expect.stringMatching(/X\.509/) });

    const flaky = vi.fn<(url: URL) => Promise<string>>().mockRejectedValueOnce(new Error('boom'));
    flaky.mockResolvedValue(good.pem);
    const { v } = verifier({ fetchCertificate: flaky });
    // A download that failed is worth a retry: the route answers 5xx and SNS redelivers.
    expect(await v.verify(signed)).toEqual({ ok: false, reason: expect.any(String), transient: true });
    expect(await v.verify(signed)).toEqual({ ok: true });
    expect(flaky).toHaveBeenCalledTimes(2);
  });

  it('checks the topic ARN and that the Timestamp is within the hour SNS keeps a message', async () => {
    const { v } = verifier();
    const badTopic = { ...fixture('sns-notification.json'), TopicArn: 'arn:aws:sqs:us-west-2:123456789012:MyQueue' };
    const reason = (pattern: RegExp) => ({ ok: false, reason: expect.stringMatching(pattern) });
    expect(await v.verify(parse(snsSign(badTopic)))).toMatchObject(reason(/TopicArn/));
    const n = fixture('sns-notification.json');
    expect((await v.verify(parse(snsSign(n, { at: NOW - 50 * 60_000 })))).ok).toBe(true);
    expect(await v.verify(parse(snsSign(n, { at: NOW - 2 * HOUR })))).toMatchObject(reason(/old/));
    expect(await v.verify(parse(snsSign(n, { at: NOW + HOUR })))).toMatchObject(reason(/future/));
  });

  it('fetches a certificate once for many messages, concurrent ones included', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const fetchCertificate = vi.fn(async () => {
      await gate;
      return good.pem;
    });
    const { v } = verifier({ fetchCertificate });
    const msgs = Array.from({ length: 10 }, (_, i) =>
      parse(snsSign({ ...fixture('sns-notification.json'), MessageId: `m-${i}` })),
    );
    const pending = Promise.all(msgs.map((m) => v.verify(m)));
    release();
    expect((await pending).every((r) => r.ok)).toBe(true);
    for (const m of msgs) expect((await v.verify(m)).ok).toBe(true);
    expect(fetchCertificate).toHaveBeenCalledTimes(1);
  });

  it('expires cached certificates after the TTL and evicts the least recently used', async () => {
    let now = NOW;
    const fetchCertificate = vi.fn(async (_url: URL) => good.pem);
    const v = createSnsVerifier({ fetchCertificate, now: () => now, cacheTtlMs: 60_000, cacheSize: 1 });
    const a = parse(snsSign(fixture('sns-notification.json')));
    const b = parse(snsSign(fixture('sns-notification.json'), { certUrl: OTHER_CERT_URL }));
    await v.verify(a);
    await v.verify(a);
    expect(fetchCertificate).toHaveBeenCalledTimes(1);
    now += 61_000;
    await v.verify(a);
    expect(fetchCertificate).toHaveBeenCalledTimes(2);
    await v.verify(b);
    await v.verify(a);
    expect(fetchCertificate).toHaveBeenCalledTimes(4);
  });
});

describe('the default certificate fetcher', () => {
  const url = new URL(CERT_URL);
  it('follows no redirects, has a deadline, and returns the PEM', async () => {
    const fetchImpl = vi.fn(async (_u: string | URL | Request, _i?: RequestInit) => new Response(good.pem));
    await expect(fetchPemCertificate(url, fetchImpl)).resolves.toBe(good.pem);
    const init = fetchImpl.mock.calls[0]?.[1];
    expect(init).toMatchObject({ redirect: 'error' });
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });
  it('refuses bodies over 64 KiB, non-200 answers and network errors', async () => {
    const big = 'x'.repeat(CERT_MAX_BYTES + 1);
    const stream = () => new Response(new Blob([big]).stream());
    await expect(fetchPemCertificate(url, async () => stream())).rejects.toThrow(/too large/);
    const declared = new Response('x', { headers: { 'content-length': String(CERT_MAX_BYTES + 1) } });
    await expect(fetchPemCertificate(url, async () => declared)).rejects.toThrow(/too large/);
    const status = (code: number) => fetchPemCertificate(url, async () => new Response('no', { status: code }));
    await expect(status(302)).rejects.toMatchObject({ message: expect.stringMatching(/HTTP 302/), transient: false });
    await expect(status(503)).rejects.toMatchObject({ transient: true });
    await expect(
      fetchPemCertificate(url, async () => Promise.reject(new TypeError('fetch failed'))),
    ).rejects.toMatchObject({ message: 'the signing certificate could not be fetched', transient: true });
  });
});

describe('subscription confirmation', () => {
  const ok = () => vi.fn(async (_u: string | URL | Request, _i?: RequestInit) => new Response('<xml/>'));

  it('GETs the SubscribeURL of a verified SubscriptionConfirmation, without redirects', async () => {
    const { v } = verifier();
    const msg = parse(snsSign(fixture('sns-subscription-confirmation.json')));
    expect(await v.verify(msg)).toEqual({ ok: true });
    const fetchImpl = ok();
    await expect(confirmSubscription(msg, fetchImpl)).resolves.toEqual({ ok: true });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(String(fetchImpl.mock.calls[0]?.[0])).toBe(fixture('sns-subscription-confirmation.json').SubscribeURL);
    expect(fetchImpl.mock.calls[0]?.[1]).toMatchObject({ redirect: 'error' });

    const denied = vi.fn(async () => new Response('denied', { status: 403 }));
    await expect(confirmSubscription(msg, denied)).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/403/),
    });
    const down = vi.fn(async () => Promise.reject(new Error('ECONNRESET')));
    expect(await confirmSubscription(msg, down)).toMatchObject({ ok: false, transient: true });
  });

  it('refuses unverified, failed, unsubscribe and notification messages without any request', async () => {
    const { v } = verifier();
    const fetchImpl = ok();
    const unverified = parse(snsSign(fixture('sns-subscription-confirmation.json')));
    const tampered = parse({ ...snsSign(fixture('sns-subscription-confirmation.json')), Token: 'x' });
    expect((await v.verify(tampered)).ok).toBe(false);
    const unsubscribe = parse(snsSign(fixture('sns-unsubscribe-confirmation.json')));
    const notification = parse(snsSign(fixture('sns-notification.json')));
    expect((await v.verify(unsubscribe)).ok && (await v.verify(notification)).ok).toBe(true);
    for (const m of [unverified, tampered, unsubscribe, notification, { ...unverified }]) {
      const r = await confirmSubscription(m, fetchImpl);
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/verified/) });
    }
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('refuses a signed SubscribeURL that is not an SNS ConfirmSubscription for this topic', async () => {
    const { v } = verifier();
    const fetchImpl = ok();
    const base = fixture('sns-subscription-confirmation.json');
    const topic = 'arn:aws:sns:us-west-2:123456789012:MyTopic';
    for (const SubscribeURL of [
      `https://evil.example.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=t`,
      `http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=t`,
      `https://sns.us-west-2.amazonaws.com.evil.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=t`,
      `https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&TopicArn=${topic}&Token=t`,
      `https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}-other&Token=t`,
      `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=t`,
    ]) {
      const msg = parse(snsSign({ ...base, SubscribeURL }));
      expect(await v.verify(msg)).toEqual({ ok: true });
      const r = await confirmSubscription(msg, fetchImpl);
      expect(r, SubscribeURL).toMatchObject({ ok: false, reason: expect.stringContaining('SubscribeURL') });
      expect(r.ok === false && r.reason).not.toContain('Token');
    }
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('SNS envelope parsing', () => {
  const fields = (r: ReturnType<typeof parseSnsMessage>) => (r.ok ? [] : r.errors.map((e) => e.field).sort());

  it('rejects bodies that are not a JSON object', () => {
    expect(parseSnsMessage(Buffer.from('{oops'))).toEqual({
      ok: false,
      errors: [{ field: '(body)', message: expect.any(String) }],
    });
    expect(fields(parseSnsMessage('[1]'))).toEqual(['(body)']);
    expect(fields(parseSnsMessage(null))).toEqual(['(body)']);
  });
  it('names every missing or malformed field', () => {
    expect(fields(parseSnsMessage({ Type: 'Notification' }))).toEqual([
      'Message',
      'MessageId',
      'Signature',
      'SignatureVersion',
      'SigningCertURL',
      'Timestamp',
      'TopicArn',
    ]);
    const n = fixture('sns-notification.json');
    expect(fields(parseSnsMessage({ ...n, Type: 'Bogus', SignatureVersion: 1, Subject: 5 }))).toEqual([
      'SignatureVersion',
      'Type',
    ]);
    expect(fields(parseSnsMessage({ ...n, Subject: 5 }))).toEqual(['Subject']);
    const { SubscribeURL: _s, Token: _t, ...bare } = fixture('sns-subscription-confirmation.json');
    expect(fields(parseSnsMessage(bare))).toEqual(['SubscribeURL', 'Token']);
  });
  it('keeps only the envelope fields, frozen, and treats Subject: null as absent', () => {
    const r = parseSnsMessage({ ...fixture('sns-notification.json'), Subject: null, Extra: 'x' });
    expect(r.ok && Object.isFrozen(r.message)).toBe(true);
    expect(r.ok && 'Subject' in r.message).toBe(false);
    expect(r.ok && 'Extra' in r.message).toBe(false);
  });
});

describe('CloudWatch alarm mapping', () => {
  const map = (file: string, mapping?: Parameters<typeof mapCloudWatchMessage>[1]['mapping']) =>
    mapCloudWatchMessage(JSON.stringify(fixture(file)), { deliveryId: 'msg-1', mapping });

  it('maps ALARM to a firing alert', () => {
    expect(map('cloudwatch-alarm.json')).toEqual({
      ok: true,
      alerts: [
        {
          assetName: 'i-0abcd1234ef567890',
          signature: 'prod-web-high-cpu',
          severity: 'high',
          message:
            'CPU above 80% on the production web server\nThreshold Crossed: 1 out of the last 1 datapoints ' +
            '[93.4 (02/05/24 09:05:00)] was greater than the threshold (80.0) ' +
            '(minimum 1 datapoint for OK -> ALARM transition).',
          toolSource: 'CloudWatch',
          status: 'firing',
          sourceKey: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-web-high-cpu',
          sourceDeliveryId: 'msg-1',
          labels: {
            InstanceId: 'i-0abcd1234ef567890',
            AlarmName: 'prod-web-high-cpu',
            Region: 'US East (N. Virginia)',
            AWSAccountId: '123456789012',
            Namespace: 'AWS/EC2',
            MetricName: 'CPUUtilization',
          },
        },
      ],
    });
  });

  it('maps OK to a resolved alert with the same identity, and ignores INSUFFICIENT_DATA', () => {
    const firing = map('cloudwatch-alarm.json');
    const resolved = map('cloudwatch-ok.json');
    expect(resolved).toMatchObject({ ok: true, alerts: [{ status: 'resolved' }] });
    const pick = (r: typeof firing) => (r.ok ? r.alerts.map((a) => [a.assetName, a.signature, a.sourceKey]) : []);
    expect(pick(resolved)).toEqual(pick(firing));
    expect(map('cloudwatch-insufficient-data.json')).toEqual({
      ok: true,
      alerts: [],
      ignored: expect.stringContaining('INSUFFICIENT_DATA'),
    });
  });

  it('maps metric-math, composite and EventBridge alarm shapes', () => {
    expect(map('cloudwatch-metric-math.json')).toMatchObject({
      ok: true,
      alerts: [
        {
          assetName: 'TestInstance',
          signature: 'EXAMPLE',
          labels: { InstanceId: 'TestInstance', MetricName: 'NetworkOut', Namespace: 'AWS/EC2' },
        },
      ],
    });
    const composite = map('cloudwatch-composite.json');
    expect(composite).toMatchObject({ ok: true, alerts: [{ assetName: 'checkout-unhealthy', status: 'firing' }] });
    expect(composite.ok && composite.alerts[0]?.labels).not.toHaveProperty('MetricName');
    expect(map('cloudwatch-eventbridge-alarm.json')).toMatchObject({
      ok: true,
      alerts: [
        {
          assetName: 'i-12345678901234567',
          signature: 'ServerCpuTooHigh',
          status: 'firing',
          sourceKey: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
          labels: { Region: 'us-east-1', AWSAccountId: '123456789012', MetricName: 'CPUUtilization' },
        },
      ],
    });
  });

  it('picks the asset by dimension priority, then the first dimension', () => {
    const withDims = (Dimensions: { name: string; value: string }[]) => {
      const a = fixture('cloudwatch-alarm.json');
      const r = mapCloudWatchMessage(JSON.stringify({ ...a, Trigger: { ...(a.Trigger as Body), Dimensions } }), {
        deliveryId: null,
      });
      return r.ok ? r.alerts[0]?.assetName : undefined;
    };
    const az = { name: 'AvailabilityZone', value: 'us-east-1a' };
    expect(withDims([az, { name: 'AutoScalingGroupName', value: 'web' }])).toBe('web');
    expect(withDims([az])).toBe('us-east-1a');
    expect(withDims([{ name: 'QueueName', value: 'jobs|dlq' }])).toBe('jobs/dlq');
    expect(withDims([])).toBe('prod-web-high-cpu');
  });

  it('bounds labels to 64, keeping the pseudo-labels', () => {
    const a = fixture('cloudwatch-alarm.json');
    const Dimensions = Array.from({ length: 70 }, (_, i) => ({ name: `D${i}`, value: 'x'.repeat(2000) }));
    const r = mapCloudWatchMessage(JSON.stringify({ ...a, Trigger: { ...(a.Trigger as Body), Dimensions } }), {
      deliveryId: null,
    });
    const labels = r.ok ? (r.alerts[0]?.labels ?? {}) : {};
    expect(Object.keys(labels)).toHaveLength(64);
    expect(labels).toMatchObject({ AlarmName: 'prod-web-high-cpu', MetricName: 'CPUUtilization' });
    expect(labels.D0).toHaveLength(1024);
  });

  it("applies the company's mapping: pseudo-labels and a severityMap keyed by lower-cased alarm name", () => {
    expect(map('cloudwatch-alarm.json', { severityMap: { 'prod-web-high-cpu': 'critical' } })).toMatchObject({
      alerts: [{ severity: 'critical' }],
    });
    expect(
      map('cloudwatch-alarm.json', {
        assetFrom: ['Missing', 'AWSAccountId'],
        signatureFrom: ['MetricName'],
        severityFrom: ['Namespace'],
        severityMap: { 'aws/ec2': 'low' },
      }),
    ).toMatchObject({ alerts: [{ assetName: '123456789012', signature: 'CPUUtilization', severity: 'low' }] });
  });

  it('names Message when it is not JSON or not an alarm', () => {
    expect(mapCloudWatchMessage('Hello world!', { deliveryId: null })).toEqual({
      ok: false,
      errors: [{ field: 'Message', message: expect.any(String) }],
    });
    const r = mapCloudWatchMessage('{"foo":1}', { deliveryId: null });
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['Message.AlarmName', 'Message.NewStateValue']);
    const event = { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' };
    const e = mapCloudWatchMessage(JSON.stringify(event), { deliveryId: null });
    expect(e.ok ? [] : e.errors.map((x) => x.field)).toEqual([
      'Message.detail.alarmName',
      'Message.detail.state.value',
    ]);
  });

  it('maps a signed SNS delivery end to end', async () => {
    const { v } = verifier();
    const msg = parse(
      snsSign(fixture('sns-cloudwatch-alarm.json'), {
        certUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem',
      }),
    );
    expect(await v.verify(msg)).toEqual({ ok: true });
    expect(mapCloudWatchMessage(msg.Message, { deliveryId: msg.MessageId })).toMatchObject({
      ok: true,
      alerts: [{ assetName: 'i-0abcd1234ef567890', status: 'firing', sourceDeliveryId: msg.MessageId }],
    });
  });
});
