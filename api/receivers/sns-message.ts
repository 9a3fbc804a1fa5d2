// The Amazon SNS HTTP(S) envelope: what a delivery must contain, and the exact string SNS signed.
// Pure: no I/O. Verification (certificate, signature, freshness) lives in sns-verify.ts.
import type { FieldError } from './types.ts';

export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

interface SnsEnvelope {
  MessageId: string;
  TopicArn: string;
  Message: string;
  /** ISO 8601 UTC, e.g. "2012-05-02T00:54:06.655Z": when SNS published it (kept unchanged across retries). */
  Timestamp: string;
  /** "1" = SHA1withRSA, "2" = SHA256withRSA. */
  SignatureVersion: '1' | '2';
  /** Base64. */
  Signature: string;
  SigningCertURL: string;
}

export interface SnsNotification extends SnsEnvelope {
  Type: 'Notification';
  /** Absent when the publisher gave none; then it is not part of the string to sign either. */
  Subject?: string;
  UnsubscribeURL?: string;
}

export interface SnsConfirmation extends SnsEnvelope {
  Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  SubscribeURL: string;
  Token: string;
}

export type SnsMessage = SnsNotification | SnsConfirmation;

export type SnsParseResult = { ok: true; message: SnsMessage } | { ok: false; errors: FieldError[] };

/**
 * Validates an SNS envelope. Accepts the raw body (Buffer/string: SNS posts `text/plain; charset=UTF-8`)
 * or an already-parsed object. Returns a fresh, frozen object holding only the fields we use, so nothing
 * added to the body later can change what was verified.
 */
export function parseSnsMessage(body: unknown): SnsParseResult {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      return fail('(body)', 'body must be a JSON SNS message');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('(body)', 'body must be a JSON object (an SNS message)');
  }
  const o = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  const str = (k: string, allowEmpty = false): string => {
    const v = o[k];
    if (typeof v !== 'string') errors.push({ field: k, message: `${k} is required and must be a string` });
    else if (!allowEmpty && v.length === 0) errors.push({ field: k, message: `${k} must not be empty` });
    return typeof v === 'string' ? v : '';
  };

  const type = o.Type;
  const knownType = SNS_MESSAGE_TYPES.includes(type as SnsMessageType);
  if (!knownType) {
    errors.push({ field: 'Type', message: `Type must be one of: ${SNS_MESSAGE_TYPES.join(', ')}` });
  }
  const version = o.SignatureVersion;
  if (version !== '1' && version !== '2') {
    errors.push({ field: 'SignatureVersion', message: 'SignatureVersion must be "1" or "2"' });
  }
  const base = {
    MessageId: str('MessageId'),
    TopicArn: str('TopicArn'),
    // SNS never sends an empty Message, but an empty string is still well-formed and signable.
    Message: str('Message', true),
    Timestamp: str('Timestamp'),
    SignatureVersion: version === '2' ? ('2' as const) : ('1' as const),
    Signature: str('Signature'),
    SigningCertURL: str('SigningCertURL'),
  };

  // The type decides which other fields are required; without one, report only what is certain.
  if (!knownType) return { ok: false, errors };
  let message: SnsMessage;
  if (type === 'Notification') {
    // Lambda-style records carry Subject: null; HTTP deliveries omit it. Both mean "no subject".
    const subject = o.Subject;
    if (subject !== undefined && subject !== null && typeof subject !== 'string') {
      errors.push({ field: 'Subject', message: 'Subject must be a string when present' });
    }
    const n: SnsNotification = { ...base, Type: 'Notification' };
    if (typeof subject === 'string') n.Subject = subject;
    if (typeof o.UnsubscribeURL === 'string') n.UnsubscribeURL = o.UnsubscribeURL;
    message = n;
  } else {
    message = {
      ...base,
      Type: type === 'UnsubscribeConfirmation' ? 'UnsubscribeConfirmation' : 'SubscriptionConfirmation',
      SubscribeURL: str('SubscribeURL'),
      Token: str('Token'),
    };
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, message: Object.freeze(message) };
}

/**
 * The string SNS signed ("Verifying the signatures of Amazon SNS messages"): "Name\nvalue\n" for each
 * pair, in byte-sort order of the names, values as decoded from JSON (real newlines, not "\n" escapes).
 * Notification: Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type.
 * Subscription/UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 */
export function snsStringToSign(m: SnsMessage): string {
  const pairs: [string, string][] =
    m.Type === 'Notification'
      ? [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ...(m.Subject !== undefined ? [['Subject', m.Subject] as [string, string]] : []),
          ['Timestamp', m.Timestamp],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ]
      : [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ['SubscribeURL', m.SubscribeURL],
          ['Timestamp', m.Timestamp],
          ['Token', m.Token],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ];
  return pairs.map(([k, v]) => `${k}\n${v}\n`).join('');
}

function fail(field: string, message: string): SnsParseResult {
  return { ok: false, errors: [{ field, message }] };
}
