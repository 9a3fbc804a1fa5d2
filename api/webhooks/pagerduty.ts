// POST /api/webhooks/events/v2 (also …/events/v2/enqueue and …/v2/enqueue): the PagerDuty Events API v2,
// answered as PagerDuty answers (202 {status:"success",dedup_key}, 400 {status:"invalid event",errors},
// 429 throttled), so any tool that can page PagerDuty can send to us unchanged. routing_key = integration key.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { assignDedupKey, inEpisode, mapPagerDuty, pagerDutySuccessBody } from '../receivers/pagerduty.ts';
import { isRecord } from '../receivers/mapping.ts';
import { Delivery, type ProblemFormat, type WebhookDeps } from './delivery.ts';

const pagerDutyFormat: ProblemFormat = (status, _error, message, extra) => {
  if (status === 429)
    return {
      status: 'throttle event',
      message: 'Requests for this service are arriving too quickly. Please retry later.',
    };
  const fields = Array.isArray(extra.fields)
    ? (extra.fields as Array<{ message: string }>).map((f) => f.message)
    : [message];
  return { status: 'invalid event', message: 'Event object is invalid', errors: fields };
};

export function pagerDutyHandler(deps: WebhookDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const d = new Delivery(req, res, 'events_v2', deps, pagerDutyFormat);
    // The key travels in the body, so the body is read first (it is bounded by the route's size limit).
    const body = d.parse();
    if (body === undefined) return;
    const inBody = isRecord(body) && typeof body.routing_key === 'string' ? body.routing_key : null;
    if (!(await d.authenticate(req.get('x-routing-key') || inBody))) return;
    const mapped = mapPagerDuty(body, d.mapping);
    if (!mapped.ok) {
      d.rejectFields(mapped.errors, 400, 'invalid_event');
      return;
    }
    // PagerDuty makes up a dedup_key for a trigger that has none, and tells the caller.
    const dedupKey = mapped.dedupKey ?? randomUUID().replace(/-/g, '');
    let alerts = mapped.dedupKey ? mapped.alerts : mapped.alerts.map((a) => assignDedupKey(a, dedupKey));
    if (mapped.dedupKey && mapped.action !== 'acknowledge') {
      // A sender may use its key again once resolved: the key's episode tells that trigger from a retry.
      const episode = await deps.episodes.advance(d.company!.id, mapped.dedupKey, mapped.action);
      alerts = inEpisode(alerts, mapped.dedupKey, mapped.action, episode);
    }
    if (alerts.length > 0 && !(await d.store(alerts.map((alert) => ({ alert }))))) return;
    res.status(202).json(pagerDutySuccessBody(dedupKey));
  };
}
