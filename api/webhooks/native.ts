// Alertmanager, Grafana, Datadog and Zabbix: one JSON payload → alerts, answered with what was stored.
// These tools retry on non-2xx; a malformed payload gets a 422 naming the fields, never a retry loop of 5xx.
import type { Request, Response } from 'express';
import { mapAlertmanager, mapGrafana } from '../receivers/alertmanager.ts';
import { mapDatadog } from '../receivers/datadog.ts';
import type { ReceiverMapping, ReceiverName, ReceiverResult } from '../receivers/types.ts';
import { mapZabbix } from '../receivers/zabbix.ts';
import { Delivery, type WebhookDeps } from './delivery.ts';

type Mapper = (body: unknown, mapping?: ReceiverMapping) => ReceiverResult;

function jsonReceiver(deps: WebhookDeps, receiver: ReceiverName, map: Mapper) {
  return async (req: Request, res: Response): Promise<void> => {
    const d = new Delivery(req, res, receiver, deps);
    if (!(await d.authenticate())) return;
    const body = d.parse();
    if (body === undefined) return;
    const mapped = map(body, d.mapping);
    if (!mapped.ok) {
      d.rejectFields(mapped.errors);
      return;
    }
    if (mapped.alerts.length === 0) {
      // Understood, and deliberately nothing to store (a Zabbix update operation, say).
      res.status(200).json({ accepted: 0, duplicates: 0, alerts: [] });
      return;
    }
    const stored = await d.store(mapped.alerts.map((alert) => ({ alert })));
    if (!stored) return;
    const accepted = stored.filter((s) => !s.duplicate).length;
    res.status(accepted > 0 ? 202 : 200).json({
      accepted,
      duplicates: stored.length - accepted,
      alerts: stored.map((s, i) => ({
        alert_id: s.alertId,
        delivery_id: s.deliveryId,
        status: s.duplicate ? 'duplicate' : 'accepted',
        alert_status: mapped.alerts[i]!.status,
      })),
    });
  };
}

export function nativeRoutes(deps: WebhookDeps) {
  return [
    { paths: ['/api/webhooks/alertmanager'], handler: jsonReceiver(deps, 'alertmanager', mapAlertmanager) },
    { paths: ['/api/webhooks/grafana'], handler: jsonReceiver(deps, 'grafana', mapGrafana) },
    { paths: ['/api/webhooks/datadog'], handler: jsonReceiver(deps, 'datadog', mapDatadog) },
    { paths: ['/api/webhooks/zabbix'], handler: jsonReceiver(deps, 'zabbix', mapZabbix) },
  ];
}
