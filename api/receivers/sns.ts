// Amazon SNS HTTP(S) deliveries: verify that a message was signed by SNS, and confirm subscriptions.
// Verification cannot be switched off; the only seam is where certificates come from (tests inject a
// fetcher that returns a PEM they generated, for a real sns.<region>.amazonaws.com URL).
//
// Signature valid means "SNS sent this", not "this company's AWS account sent this": anyone can create a
// topic and subscribe our URL. The company is authenticated by the api_key in the subscription URL; a
// caller that wants more can compare msg.TopicArn with the topics a company has registered.
import { verify as verifySignature } from 'node:crypto';
import { CertificateCache, CertificateError, type CertificateCacheOptions } from './sns-cert-cache.ts';
import { snsStringToSign, type SnsMessage } from './sns-message.ts';
import { checkSigningCertUrl, checkSubscribeUrl, topicRegion } from './sns-urls.ts';

export { parseSnsMessage, snsStringToSign } from './sns-message.ts';
export type { SnsConfirmation, SnsMessage, SnsNotification, SnsParseResult } from './sns-message.ts';
export type { CertificateFetcher } from './sns-cert-cache.ts';

/**
 * transient: the check could not be completed (certificate or SNS unreachable) rather than failed; answer
 * 5xx so SNS redelivers. Otherwise answer 4xx: SNS treats 4xx as permanent and does not retry.
 */
export type SnsCheck = { ok: true } | { ok: false; reason: string; transient?: true };

/**
 * How old a message may be. SNS keeps an undelivered HTTP(S) message for at most one hour, retrying with
 * the original Timestamp (and signature), so anything older is not a retry but a replay. Five minutes of
 * clock skew on top; the same skew is allowed into the future.
 */
export const SNS_MAX_AGE_MS = 60 * 60_000;
export const SNS_CLOCK_SKEW_MS = 5 * 60_000;
export const SNS_CONFIRM_TIMEOUT_MS = 5_000;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Subscription confirmations that passed verify(), with the SubscribeURL and topic that were verified.
 * confirmSubscription() reads these, never the (possibly since-altered) object, so only a URL that SNS
 * signed is ever visited. A WeakMap, so verified messages are not kept alive.
 */
const verifiedConfirmations = new WeakMap<object, { subscribeUrl: string; topicArn: string }>();

export type SnsVerifierOptions = CertificateCacheOptions;

export interface SnsVerifier {
  verify(msg: SnsMessage): Promise<SnsCheck>;
}

export function createSnsVerifier(opts: SnsVerifierOptions = {}): SnsVerifier {
  const certificates = new CertificateCache(opts);
  const now = opts.now ?? Date.now;

  return {
    async verify(msg) {
      // Everything checked below is read now, once; the await must not let a changed field through.
      const snapshot: SnsMessage = { ...msg };
      const toSign = snsStringToSign(snapshot);

      if (topicRegion(snapshot.TopicArn) === null) return refuse('TopicArn is not an SNS topic ARN');
      const stale = checkTimestamp(snapshot.Timestamp, now());
      if (stale) return refuse(stale);
      const certUrl = checkSigningCertUrl(snapshot.SigningCertURL);
      if (!certUrl.ok) return refuse(certUrl.reason);
      if (!BASE64.test(snapshot.Signature)) return refuse('Signature is not base64');

      let cert;
      try {
        cert = await certificates.get(certUrl.url);
      } catch (err) {
        // CertificateError messages are our own (sns-cert-cache.ts): they name no secret.
        if (err instanceof CertificateError) return refuse(err.message, err.transient);
        return refuse('the signing certificate could not be fetched', true);
      }
      const t = now();
      const from = Date.parse(cert.validFrom);
      const to = Date.parse(cert.validTo);
      if (!(t >= from && t <= to)) return refuse('the signing certificate is expired or not yet valid');
      if (cert.publicKey.asymmetricKeyType !== 'rsa') return refuse('the signing certificate does not hold an RSA key');

      const algorithm = snapshot.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
      const signature = Buffer.from(snapshot.Signature, 'base64');
      let good = false;
      try {
        good = verifySignature(algorithm, Buffer.from(toSign, 'utf8'), cert.publicKey, signature);
      } catch {
        good = false;
      }
      if (!good) return refuse('the signature does not match the message');

      if (snapshot.Type === 'SubscriptionConfirmation') {
        verifiedConfirmations.set(msg, { subscribeUrl: snapshot.SubscribeURL, topicArn: snapshot.TopicArn });
      }
      return { ok: true };
    },
  };
}

/** Null when the Timestamp is well-formed and within [now - 1 h - skew, now + skew]; else why not. */
export function checkTimestamp(timestamp: string, now: number): string | null {
  const t = ISO_UTC.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(t)) return 'Timestamp is not an ISO 8601 UTC time';
  if (t < now - SNS_MAX_AGE_MS - SNS_CLOCK_SKEW_MS) return 'Timestamp is more than an hour old (a replay, not a retry)';
  if (t > now + SNS_CLOCK_SKEW_MS) return 'Timestamp is in the future';
  return null;
}

/**
 * Confirms a subscription by GETting its SubscribeURL, as SNS asks. Only for a SubscriptionConfirmation that
 * verify() accepted (an UnsubscribeConfirmation's SubscribeURL would re-subscribe, so it is refused too),
 * only to an https sns.<region>.amazonaws.com ConfirmSubscription URL for the message's own topic, with a
 * deadline and no redirects. ok when SNS answered 2xx. Reasons never include the URL (it holds the token).
 */
export async function confirmSubscription(msg: SnsMessage, fetchImpl: typeof fetch = fetch): Promise<SnsCheck> {
  const verified = verifiedConfirmations.get(msg);
  if (!verified) return refuse('only a verified SubscriptionConfirmation can be confirmed');
  const url = checkSubscribeUrl(verified.subscribeUrl, verified.topicArn);
  if (!url.ok) return refuse(url.reason);
  let res: Response;
  try {
    res = await fetchImpl(url.url, { redirect: 'error', signal: AbortSignal.timeout(SNS_CONFIRM_TIMEOUT_MS) });
  } catch {
    return refuse('SNS could not be reached to confirm the subscription', true);
  }
  // The body (a small XML document) is not needed; release the connection.
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return { ok: true };
  return refuse(`SNS answered HTTP ${res.status} to the confirmation`, res.status >= 500 || res.status === 429);
}

function refuse(reason: string, transient = false): SnsCheck {
  return transient ? { ok: false, reason, transient } : { ok: false, reason };
}
