// POST /api/webhooks/cloudwatch: Amazon SNS HTTP(S) delivery of CloudWatch alarms. Every message's SNS
// signature is verified (SignatureVersion 1 and 2, certificate only from sns.<region>.amazonaws.com);
// a SubscriptionConfirmation is confirmed only after that. SNS posts JSON as text/plain and treats a 4xx
// as final, so checks that could not complete (certificate unreachable) answer 503 and SNS retries.
import type { Request, Response } from 'express';
import { mapCloudWatchMessage } from '../receivers/cloudwatch.ts';
import { confirmSubscription, createSnsVerifier, parseSnsMessage, type SnsVerifierOptions } from '../receivers/sns.ts';
import { Delivery, type WebhookDeps } from './delivery.ts';

export interface CloudWatchOptions {
  /** Certificate cache and fetcher; tests pass a fetcher that returns the PEM they signed with. */
  sns?: SnsVerifierOptions;
  /** How the SubscribeURL is visited; tests pass a fetch that records the call. */
  confirmFetch?: typeof fetch;
}

export function cloudWatchHandler(deps: WebhookDeps, opts: CloudWatchOptions = {}) {
  const verifier = createSnsVerifier(opts.sns);
  return async (req: Request, res: Response): Promise<void> => {
    const d = new Delivery(req, res, 'cloudwatch', deps);
    if (!(await d.authenticate())) return;
    const body = d.parse({ allowText: true });
    if (body === undefined) return;
    const parsed = parseSnsMessage(body);
    if (!parsed.ok) {
      d.rejectFields(parsed.errors);
      return;
    }
    const msg = parsed.message;
    const check = await verifier.verify(msg);
    if (!check.ok) {
      if (check.transient)
        d.reject(503, 'verification_unavailable', `Could not verify the SNS signature yet: ${check.reason}`);
      else d.reject(403, 'invalid_sns_signature', `SNS signature check failed: ${check.reason}`);
      return;
    }
    if (msg.Type === 'SubscriptionConfirmation') {
      const confirmed = await confirmSubscription(msg, opts.confirmFetch);
      if (!confirmed.ok) {
        d.reject(
          confirmed.transient ? 503 : 422,
          'subscription_not_confirmed',
          `Could not confirm the subscription: ${confirmed.reason}`,
        );
        return;
      }
      res.status(200).json({ status: 'subscription_confirmed', topic_arn: msg.TopicArn });
      return;
    }
    if (msg.Type === 'UnsubscribeConfirmation') {
      // Visiting its SubscribeURL would subscribe again; acknowledging it is all there is to do.
      res.status(200).json({ status: 'unsubscribed', topic_arn: msg.TopicArn });
      return;
    }
    const mapped = mapCloudWatchMessage(msg.Message, { deliveryId: msg.MessageId, mapping: d.mapping });
    if (!mapped.ok) {
      d.rejectFields(mapped.errors);
      return;
    }
    if ('ignored' in mapped) {
      res.status(200).json({ status: 'ignored', reason: mapped.ignored });
      return;
    }
    const stored = await d.store(mapped.alerts.map((alert) => ({ alert })));
    if (!stored) return;
    res.status(stored.some((s) => !s.duplicate) ? 202 : 200).json({
      alerts: stored.map((s) => ({
        alert_id: s.alertId,
        delivery_id: s.deliveryId,
        status: s.duplicate ? 'duplicate' : 'accepted',
      })),
    });
  };
}
