// An integration key's policy: may receivers that cannot sign use it while the company has a signing secret,
// and is it limited to one receiver. Decided once per delivery, where the key is resolved for a route, before
// the payload is mapped or anything stored.

/** Every receiver route, by the name rejected deliveries and the GraphQL schema use. */
export const KEY_RECEIVERS = [
  'alerts',
  'alertmanager',
  'grafana',
  'events_v2',
  'datadog',
  'zabbix',
  'cloudwatch',
] as const;
export type KeyReceiver = (typeof KEY_RECEIVERS)[number];

/**
 * signed_only: every request with the key carries a valid X-Timestamp/X-Signature (CloudWatch: SNS's own).
 * unsigned_allowed: only the generic route needs the signature; the tools that cannot sign may use the key.
 */
export const KEY_SIGNING = ['signed_only', 'unsigned_allowed'] as const;
export type KeySigning = (typeof KEY_SIGNING)[number];

export interface KeyPolicy {
  signing: KeySigning;
  /** The one receiver the key works on; null = every receiver. */
  receiver: KeyReceiver | null;
}

export const RECEIVER_LABELS: Record<KeyReceiver, string> = {
  alerts: 'generic JSON (/api/webhooks/alerts)',
  alertmanager: 'Alertmanager (/api/webhooks/alertmanager)',
  grafana: 'Grafana (/api/webhooks/grafana)',
  events_v2: 'PagerDuty Events v2 (/api/webhooks/events/v2)',
  datadog: 'Datadog (/api/webhooks/datadog)',
  zabbix: 'Zabbix (/api/webhooks/zabbix)',
  cloudwatch: 'CloudWatch (/api/webhooks/cloudwatch)',
};

export type KeyCheck =
  | { kind: 'accept' }
  /** Verify X-Timestamp/X-Signature; `unsignedReason` is the refusal when the request carries neither. */
  | { kind: 'signature'; unsignedReason: string }
  | { kind: 'refuse'; status: number; error: string; reason: string };

/**
 * What a delivery on `receiver` with a key of this policy must show. `hasSecret`: the company has a signing
 * secret; without one there is nothing to verify against, so the signing choice has no effect (a company that
 * removes its secret has said deliveries need no signature).
 */
export function checkKey(policy: KeyPolicy, receiver: KeyReceiver, hasSecret: boolean): KeyCheck {
  if (policy.receiver !== null && policy.receiver !== receiver) {
    return {
      kind: 'refuse',
      status: 403,
      error: 'key_not_for_receiver',
      reason:
        `This API key is limited to the ${RECEIVER_LABELS[policy.receiver]} receiver; ` +
        `use a key issued for ${RECEIVER_LABELS[receiver]}`,
    };
  }
  if (!hasSecret) return { kind: 'accept' };
  // SNS signs every CloudWatch delivery itself and that signature is always verified; SNS cannot add ours.
  if (receiver === 'cloudwatch') return { kind: 'accept' };
  if (receiver === 'alerts') {
    return {
      kind: 'signature',
      unsignedReason: 'This company requires signed webhooks: send X-Signature and X-Timestamp',
    };
  }
  if (policy.signing === 'unsigned_allowed') return { kind: 'accept' };
  return {
    kind: 'signature',
    unsignedReason:
      `This API key accepts signed requests only, and ${RECEIVER_LABELS[receiver]} deliveries are not signed: ` +
      'send X-Timestamp and X-Signature (through a signing proxy), or have a company admin allow unsigned ' +
      'receivers for this key',
  };
}
