// Which URLs and ARNs may come from Amazon SNS. Pure checks, applied before anything is fetched: a message
// names the certificate that "proves" it, so an attacker-chosen URL must never be fetched or trusted.

/**
 * An AWS region code: us-east-1, eu-central-2, ap-southeast-7, us-gov-west-1, cn-north-1, ...
 * Deliberately narrower than "any label": a looser pattern such as sns.<anything>.amazonaws.com also
 * admits S3's legacy virtual-hosted endpoints (https://sns.s3-us-west-2.amazonaws.com/ is the bucket
 * named "sns", which someone else owns).
 */
const REGION = '[a-z]{2}(?:-gov)?-[a-z]+-\\d{1,2}';
const SNS_HOST = new RegExp(`^sns\\.(${REGION})\\.amazonaws\\.com(\\.cn)?$`);
/** SNS serves its signing certificates from the host root, e.g. /SimpleNotificationService-<hash>.pem. */
const CERT_PATH = /^\/[A-Za-z0-9._-]+\.pem$/;
/** arn:<partition>:sns:<region>:<12-digit account>:<topic name, optional .fifo>. */
const TOPIC_ARN = new RegExp(`^arn:aws(?:-cn|-us-gov)?:sns:(${REGION}):\\d{12}:[A-Za-z0-9_-]{1,256}(?:\\.fifo)?$`);

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The URL and region of an https SNS endpoint (no userinfo, default port), or why the URL is not one. */
function snsOrigin(raw: string): { url: URL; region: string } | { reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'is not a URL' };
  }
  if (url.protocol !== 'https:') return { reason: 'must use https' };
  if (url.username !== '' || url.password !== '') return { reason: 'must not contain credentials' };
  // WHATWG URL drops an explicit :443 for https, so any remaining port is a non-default one.
  if (url.port !== '') return { reason: 'must use the default port' };
  const m = SNS_HOST.exec(url.hostname);
  if (!m) return { reason: 'host is not sns.<region>.amazonaws.com' };
  const region = m[1] ?? '';
  // The .com.cn domain serves only the China partition.
  if ((m[2] !== undefined) !== region.startsWith('cn-')) return { reason: 'host does not match its partition' };
  return { url, region };
}

/** SigningCertURL: https://sns.<region>.amazonaws.com(.cn)/<name>.pem, no query, no fragment. */
export function checkSigningCertUrl(raw: string): UrlCheck {
  const o = snsOrigin(raw);
  if ('reason' in o) return { ok: false, reason: `SigningCertURL ${o.reason}` };
  if (!CERT_PATH.test(o.url.pathname) || o.url.search !== '' || o.url.hash !== '') {
    return { ok: false, reason: 'SigningCertURL must point to a .pem file at the host root' };
  }
  return { ok: true, url: o.url };
}

/**
 * SubscribeURL: https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription&TopicArn=<topic>&Token=...
 * The topic and region must be the message's own, so a confirmation can only confirm what it announces.
 */
export function checkSubscribeUrl(raw: string, topicArn: string): UrlCheck {
  const o = snsOrigin(raw);
  if ('reason' in o) return { ok: false, reason: `SubscribeURL ${o.reason}` };
  const q = o.url.searchParams;
  if (q.get('Action') !== 'ConfirmSubscription') {
    return { ok: false, reason: 'SubscribeURL is not a ConfirmSubscription' };
  }
  if (q.get('TopicArn') !== topicArn) return { ok: false, reason: 'SubscribeURL names another topic' };
  if (topicRegion(topicArn) !== o.region) return { ok: false, reason: "SubscribeURL is not in the topic's region" };
  return { ok: true, url: o.url };
}

/** The region of an SNS topic ARN, or null when the value does not look like one. */
export function topicRegion(topicArn: string): string | null {
  return TOPIC_ARN.exec(topicArn)?.[1] ?? null;
}
