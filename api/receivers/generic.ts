// Our own JSON (POST /api/webhooks/alerts): the README's contract plus optional status, source_key and
// labels. One alert object, an array of them, or {"alerts": [...]}, up to MAX_BATCH per request.
// A single object answers exactly as before (same field names and messages, see webhook-validation.ts);
// in a batch, valid items are stored and invalid ones are answered one by one.
import { validateAlertPayload, type AlertPayload } from '../webhook-validation.ts';
import type { FieldError, NormalizedAlert, ReceiverMapping } from './types.ts';
import { applyMapping, boundLabels, checkAlert, finishAlert, isRecord, joinPath } from './mapping.ts';

export const MAX_BATCH = 1000;

export type GenericItem =
  | { index: number; ok: true; alert: NormalizedAlert; deliveryId: string | null }
  | { index: number; ok: false; errors: FieldError[] };

/** batch: false for a single object (the route answers it like before: 202, or 422 with ok: false). */
export type GenericResult = { ok: true; batch: boolean; items: GenericItem[] } | { ok: false; errors: FieldError[] };

export function parseGenericAlerts(body: unknown, mapping?: ReceiverMapping): GenericResult {
  if (Array.isArray(body)) return mapBatch(body, '', mapping);
  if (isRecord(body) && Object.hasOwn(body, 'alerts') && !Object.hasOwn(body, 'asset_name')) {
    if (!Array.isArray(body.alerts)) {
      return { ok: false, errors: [{ field: 'alerts', message: 'alerts must be an array of alerts' }] };
    }
    return mapBatch(body.alerts, 'alerts', mapping);
  }
  const item = mapItem(body, 0, '', mapping);
  return item.ok ? { ok: true, batch: false, items: [item] } : { ok: false, errors: item.errors };
}

/** The same function under the receivers' naming (mapAlertmanager, mapDatadog, …). */
export const mapGeneric = parseGenericAlerts;

function mapBatch(list: unknown[], path: string, mapping: ReceiverMapping | undefined): GenericResult {
  const field = path || '(body)';
  if (list.length === 0) return { ok: false, errors: [{ field, message: 'send at least one alert' }] };
  if (list.length > MAX_BATCH) {
    return { ok: false, errors: [{ field, message: `at most ${MAX_BATCH} alerts per request (got ${list.length})` }] };
  }
  return { ok: true, batch: true, items: list.map((entry, i) => mapItem(entry, i, joinPath(path, i), mapping)) };
}

/** Field errors of one item, with its path in front: "asset_name" → "alerts[3].asset_name". */
function at(path: string, e: FieldError): FieldError {
  if (!path) return e;
  if (e.field === '(body)') return { field: path, message: 'each alert must be a JSON object' };
  return { field: joinPath(path, e.field), message: e.message };
}

function mapItem(entry: unknown, index: number, path: string, mapping: ReceiverMapping | undefined): GenericItem {
  const parsed = validateAlertPayload(entry);
  if (!parsed.ok) return { index, ok: false, errors: parsed.errors.map((e) => at(path, e)) };
  const alert = toAlert(parsed.value, mapping);
  const errors = checkAlert(alert, path);
  if (errors.length) return { index, ok: false, errors };
  return { index, ok: true, alert, deliveryId: alert.sourceDeliveryId };
}

function toAlert(p: AlertPayload, mapping: ReceiverMapping | undefined): NormalizedAlert {
  const labels = boundLabels(p.labels ?? {});
  const mapped = applyMapping(labels, mapping, {
    asset: p.asset_name,
    signature: p.signature,
    // Our own words, so a company's severityMap may still remap them (e.g. "high" → "critical").
    severityCandidates: [p.severity],
    severity: p.severity,
  });
  return finishAlert({
    ...mapped,
    message: p.message,
    toolSource: p.tool_source,
    status: p.status ?? 'firing',
    sourceKey: p.source_key ?? null,
    sourceDeliveryId: p.delivery_id ?? null,
    labels,
  });
}
