// Prometheus Alertmanager webhook_config (payload version "4") and Grafana's webhook contact point, which
// sends the same shape (version "1") plus orgId, title, state, message and per-alert URLs and values.
// One notification carries a group of alerts; every entry of alerts[] becomes one NormalizedAlert.
import type { AlertStatus, NormalizedAlert, ReceiverMapping, ReceiverResult } from './types.ts';
import {
  Shape,
  UNKNOWN_ASSET,
  applyMapping,
  boundLabels,
  checkAlert,
  finishAlert,
  hostOf,
  joinPath,
  labelsHash,
  pickLabel,
} from './mapping.ts';

/** Labels naming the machine or workload an alert is about, most specific first. */
export const ALERTMANAGER_ASSET_LABELS = ['instance', 'host', 'hostname', 'node', 'pod', 'service', 'job'] as const;

interface Variant {
  toolSource: string;
}

const PROMETHEUS: Variant = { toolSource: 'Prometheus' };
const GRAFANA: Variant = { toolSource: 'Grafana' };

/** Prometheus Alertmanager `webhook_configs` → alerts. */
export function mapAlertmanager(body: unknown, mapping?: ReceiverMapping): ReceiverResult {
  return mapGroup(body, mapping, PROMETHEUS);
}

/** Grafana Alerting webhook contact point → alerts (same group shape as Alertmanager). */
export function mapGrafana(body: unknown, mapping?: ReceiverMapping): ReceiverResult {
  return mapGroup(body, mapping, GRAFANA);
}

function mapGroup(body: unknown, mapping: ReceiverMapping | undefined, variant: Variant): ReceiverResult {
  const shape = new Shape();
  const root = shape.object(body, '', true);
  if (!root) return { ok: false, errors: shape.errors };
  shape.string(root, 'version', '');
  const groupStatus = readStatus(shape, root, '');
  const entries = shape.array(root, 'alerts', '', true) ?? [];
  const alerts: NormalizedAlert[] = [];
  entries.forEach((entry, i) => {
    const alert = mapEntry(shape, entry, joinPath('alerts', i), groupStatus, mapping, variant);
    if (alert) alerts.push(alert);
  });
  return shape.errors.length ? { ok: false, errors: shape.errors } : { ok: true, alerts };
}

function readStatus(shape: Shape, obj: Record<string, unknown>, path: string): AlertStatus | undefined {
  const status = shape.string(obj, 'status', path)?.toLowerCase();
  if (status === undefined || status === 'firing' || status === 'resolved') return status;
  shape.fail(joinPath(path, 'status'), `${joinPath(path, 'status')} must be one of: firing, resolved`);
  return undefined;
}

/** Label values are strings in Alertmanager; anything else in a label map means the body is not one of its. */
function readStringMap(shape: Shape, obj: Record<string, unknown>, key: string, path: string, required: boolean) {
  const at = joinPath(path, key);
  const map = shape.object(obj[key], at, required);
  if (!map) return {};
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') shape.fail(joinPath(at, k), `${joinPath(at, k)} must be a string`);
  }
  return map;
}

function mapEntry(
  shape: Shape,
  entry: unknown,
  path: string,
  groupStatus: AlertStatus | undefined,
  mapping: ReceiverMapping | undefined,
  variant: Variant,
): NormalizedAlert | undefined {
  const before = shape.errors.length;
  const obj = shape.object(entry, path, true);
  if (!obj) return undefined;
  const labels = boundLabels(readStringMap(shape, obj, 'labels', path, true));
  const annotations = readStringMap(shape, obj, 'annotations', path, false);
  // Every alert carries its own status; the group's is only a fallback for hand-made bodies.
  const errorsBeforeStatus = shape.errors.length;
  const status = readStatus(shape, obj, path) ?? groupStatus;
  if (!status && shape.errors.length === errorsBeforeStatus) {
    shape.fail(joinPath(path, 'status'), `${joinPath(path, 'status')} is required (firing or resolved)`);
  }
  const startsAt = shape.string(obj, 'startsAt', path);
  const fingerprint = shape.string(obj, 'fingerprint', path);
  if (shape.errors.length > before || !status) return undefined;

  const alertname = pickLabel(labels, ['alertname'])?.value;
  const asset = pickLabel(labels, ALERTMANAGER_ASSET_LABELS);
  const mapped = applyMapping(labels, mapping, {
    asset: asset ? (asset.key === 'instance' ? hostOf(asset.value) : asset.value) : UNKNOWN_ASSET,
    signature: alertname ?? 'alert',
    severityCandidates: [labels.severity],
    severity: 'medium',
  });
  const summary = pickLabel(boundLabels(annotations), ['summary', 'description']);
  // The fingerprint is Alertmanager's hash of the label set: the same from firing to resolved.
  const sourceKey = fingerprint ?? `labels:${labelsHash(labels)}`;
  const alert = finishAlert({
    ...mapped,
    message: summary?.value ?? alertname ?? mapped.signature,
    toolSource: variant.toolSource,
    status,
    sourceKey,
    // Repeat notifications of one firing episode share startsAt, so they stay one delivery.
    sourceDeliveryId: `${sourceKey}:${startsAt ?? ''}:${status}`,
    labels,
  });
  const errors = checkAlert(alert, path);
  errors.forEach((e) => shape.fail(e.field, e.message));
  return errors.length ? undefined : alert;
}
