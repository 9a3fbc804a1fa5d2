// What every receiver turns a monitoring tool's payload into, and how a company may override the
// mapping. Receivers are pure: payload in, alerts (or field errors) out; storing is the ingest path's job.
import type { AlertStatus, Severity } from '../../domain/types.ts';

export type { AlertStatus };

export interface NormalizedAlert {
  /** The host/resource the alert is about. 1–255 characters, no "|" (it separates the aggregation key). */
  assetName: string;
  /** What is wrong, e.g. "disk_full", "HighCPU". 1–255 characters. */
  signature: string;
  severity: Severity;
  /** Human text, 1–10 000 characters (receivers truncate longer texts rather than reject them). */
  message: string;
  /** The tool's display name, e.g. "Prometheus", "Datadog". 1–100 characters. */
  toolSource: string;
  status: AlertStatus;
  /**
   * The source's own identity of the alerting condition, stable from firing to resolved: Alertmanager
   * fingerprint, PagerDuty dedup_key, Datadog alert id (+ scope), CloudWatch alarm ARN, Zabbix trigger/event id.
   * A resolved alert resolves the earlier firing alerts with the same sourceKey. Null when the source has none.
   */
  sourceKey: string | null;
  /**
   * The source's identity of this one notification, used for idempotency when the request carries no
   * X-Delivery-ID: e.g. Alertmanager fingerprint+startsAt+status, PagerDuty dedup_key+action, SNS MessageId.
   * Null when the source has none (the ingest path then hashes the content over a short window).
   */
  sourceDeliveryId: string | null;
  /** Labels/tags as flat strings (bounded: at most 64 entries, keys ≤ 128 and values ≤ 1024 characters). */
  labels: Record<string, string>;
}

export interface FieldError {
  /** A JSON path into the request body, e.g. "alerts[2].labels.instance", or "(body)". */
  field: string;
  message: string;
}

export type ReceiverResult = { ok: true; alerts: NormalizedAlert[] } | { ok: false; errors: FieldError[] };

/**
 * A company's override of a receiver's defaults (companies.settings.receivers.<receiver>). Each list is
 * tried in order and the first label/tag present wins; unset fields keep the receiver's documented defaults.
 */
export interface ReceiverMapping {
  assetFrom?: string[];
  signatureFrom?: string[];
  severityFrom?: string[];
  /** Source severity value (lower-cased) → ours, e.g. { "p1": "critical", "warning": "medium" }. */
  severityMap?: Record<string, Severity>;
}

export const RECEIVERS = ['alerts', 'alertmanager', 'grafana', 'events_v2', 'datadog', 'cloudwatch', 'zabbix'] as const;
export type ReceiverName = (typeof RECEIVERS)[number];
