// POST /api/webhooks/alerts: our own JSON (seed 000, Flow 1). One alert keeps its original answers
// (202 accepted / 200 duplicate / 422 naming each bad field); an array or { "alerts": [...] } of up to
// 1,000 is answered per alert, storing the valid ones.
import type { Request, Response } from 'express';
import { mapGeneric } from '../receivers/generic.ts';
import type { FieldError } from '../receivers/types.ts';
import { Delivery, describeFields, type WebhookDeps } from './delivery.ts';

export function genericHandler(deps: WebhookDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const d = new Delivery(req, res, 'alerts', deps);
    // authenticate() also verifies the signature: this route needs one whenever the company has a secret.
    if (!(await d.authenticate())) return;
    const body = d.parse();
    if (body === undefined) return;
    const parsed = mapGeneric(body, d.mapping);
    if (!parsed.ok) return d.rejectFields(parsed.errors);
    const valid = parsed.items.flatMap((it) => (it.ok ? [it] : []));
    const invalidItems = parsed.items.flatMap((it) => (it.ok ? [] : [it]));
    if (!parsed.batch) {
      const stored = await d.store(valid.map((it) => ({ alert: it.alert, itemDeliveryId: it.deliveryId })));
      if (!stored) return;
      const [a] = stored;
      if (a!.duplicate)
        res
          .status(200)
          .json({ alert_id: a!.alertId, delivery_id: a!.deliveryId, status: 'duplicate', duplicate: true });
      else res.status(202).json({ alert_id: a!.alertId, delivery_id: a!.deliveryId, status: 'accepted' });
      return;
    }
    const rejected = invalidItems.map((it) => ({ index: it.index, status: 'rejected', fields: it.errors }));
    if (valid.length === 0) {
      d.reject(422, 'validation_failed', `No alert in the batch is valid (${invalidItems.length} rejected)`, {
        results: rejected,
      });
      return;
    }
    const stored = await d.store(valid.map((it) => ({ alert: it.alert, itemDeliveryId: it.deliveryId })));
    if (!stored) return;
    // The valid ones are stored; the record says which were not and why.
    if (invalidItems.length > 0) d.record(422, 'validation_failed', summary(invalidItems));
    const results = [
      ...valid.map((it, i) => ({
        index: it.index,
        status: stored[i]!.duplicate ? 'duplicate' : 'accepted',
        alert_id: stored[i]!.alertId,
        delivery_id: stored[i]!.deliveryId,
      })),
      ...rejected,
    ].sort((x, y) => x.index - y.index);
    const accepted = results.filter((r) => r.status === 'accepted').length;
    const duplicates = results.filter((r) => r.status === 'duplicate').length;
    res.status(accepted > 0 ? 202 : 200).json({ accepted, duplicates, rejected: rejected.length, results });
  };
}

function summary(items: Array<{ index: number; errors: FieldError[] }>): string {
  return items
    .slice(0, 20)
    .map((it) => `[${it.index}] ${describeFields(it.errors)}`)
    .join(' | ');
}
