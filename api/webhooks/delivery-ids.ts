// The idempotency key of each stored alert: the caller's X-Delivery-ID / Idempotency-Key (or a generic
// alert's delivery_id), else the source's own identity of the notification, else a hash of the content
// within the current minute, so a tool that retries a request without any id does not store it twice.
import { createHash } from 'node:crypto';
import { MAX_DELIVERY_ID } from '../receivers/mapping.ts';
import type { NormalizedAlert } from '../receivers/types.ts';

export { MAX_DELIVERY_ID };
export const CONTENT_WINDOW_MS = 60_000;

export interface DeliveryIdInput {
  receiver: string;
  alert: NormalizedAlert;
  /** delivery_id given inside a generic alert. */
  itemDeliveryId: string | null;
  /** The request's header value, blank treated as absent. */
  header: string | null;
  index: number;
  count: number;
  now: number;
}

export function deliveryIdFor(i: DeliveryIdInput): string {
  if (i.itemDeliveryId) return i.itemDeliveryId;
  if (i.header) return bounded(i.count === 1 ? i.header : `${i.header}#${i.index}`);
  if (i.alert.sourceDeliveryId) return bounded(`${i.receiver}:${i.alert.sourceDeliveryId}`);
  const a = i.alert;
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        i.receiver,
        a.assetName,
        a.signature,
        a.severity,
        a.status,
        a.message,
        a.toolSource,
        a.sourceKey,
      ]),
    )
    .digest('hex')
    .slice(0, 40);
  return `content:${digest}:${Math.floor(i.now / CONTENT_WINDOW_MS)}`;
}

/** Ids derived from a source may be long; past the column's bound they are hashed, still unique. */
function bounded(id: string): string {
  if (id.length <= MAX_DELIVERY_ID) return id;
  return `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** The request's own delivery id: a header, trimmed; a blank one is no key at all. */
export function headerDeliveryId(get: (name: string) => string | undefined): string | null {
  return (get('x-delivery-id') || get('idempotency-key') || '').trim() || null;
}
