// GitHub-style webhook signatures with a replay window (seed 002): X-Signature: sha256=<hex of
// HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>, X-Timestamp within five minutes of now.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_SECONDS = 300;

export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export type HmacResult = { ok: true } | { ok: false; reason: string };

/** `secrets`: the current one first, then a rotated one still inside its overlap. */
export function verifyWebhookSignature(
  secrets: string | readonly string[],
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: Buffer,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): HmacResult {
  if (!headers.signature || !headers.timestamp) {
    return { ok: false, reason: 'This company requires signed webhooks: send X-Signature and X-Timestamp' };
  }
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts)) return { ok: false, reason: 'X-Timestamp must be Unix seconds' };
  if (Math.abs(nowSeconds - ts) > REPLAY_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `X-Timestamp is more than ${REPLAY_WINDOW_SECONDS} seconds from the server clock (replay protection)`,
    };
  }
  const given = Buffer.from(headers.signature.trim());
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = Buffer.from(signWebhook(secret, headers.timestamp, body));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true };
  }
  return { ok: false, reason: 'X-Signature does not match the body' };
}
