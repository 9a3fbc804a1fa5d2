// One row per (page, channel, target): an activity claims a delivery before sending and settles it after, so a
// retried page sends only what did not go out (escalations, approvals alike).
import type { Sql } from './sql.ts';

/** Claims a delivery; false when an earlier attempt already sent it. */
export async function claimDelivery(
  sql: Sql,
  key: string,
  channel: 'email' | 'webhook',
  target: string,
): Promise<boolean> {
  const rows = await sql`
    INSERT INTO notification_deliveries (event_key, channel, target, status)
    VALUES (${key}, ${channel}, ${target}, 'sending')
    ON CONFLICT (event_key, channel, target) DO UPDATE
      SET status = 'sending', attempts = notification_deliveries.attempts + 1, error = NULL
      WHERE notification_deliveries.status <> 'sent'
    RETURNING 1`;
  return rows.length > 0;
}

/** Records how a claimed delivery ended: sent, or failed with the error (Temporal retries the page). */
export async function settleDelivery(
  sql: Sql,
  key: string,
  channel: string,
  target: string,
  error: string | null,
): Promise<void> {
  await sql`
    UPDATE notification_deliveries
    SET status = ${error ? 'failed' : 'sent'}, error = ${error}, sent_at = ${error ? null : sql`now()`}
    WHERE event_key = ${key} AND channel = ${channel} AND target = ${target}`;
}
