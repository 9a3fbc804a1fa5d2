// CloudWatch alarms, as carried in a verified SNS Notification's Message: the alarm notification CloudWatch
// publishes to SNS (metric, metric-math and composite alarms), or an EventBridge "CloudWatch Alarm State
// Change" event that a rule forwards to SNS. Pure: Message text in, alert (or "ignored", or errors) out.
//
// Defaults (docs/receivers-cloudwatch.md) and why:
// - status: ALARM → firing, OK → resolved. INSUFFICIENT_DATA says nothing about the resource (often just
//   a stopped instance or a metric not yet reported), so it raises nothing: { ignored: reason }.
// - signature = AlarmName: the alarm is the named condition ("prod-api-high-cpu"), stable across every
//   firing, and what a runbook is written for; the metric name alone would merge unrelated alarms.
// - severity: CloudWatch has none. "high" unless the company's severityMap names the alarm: the values of
//   the severityFrom labels (if set), then AlarmName, are looked up lower-cased in severityMap, then in
//   the shared severity words (mapping.ts), e.g. { "prod-web-high-cpu": "critical" }.
// - labels: the metric's dimensions, plus the pseudo-labels AlarmName, Region, AWSAccountId, Namespace,
//   MetricName; assetFrom/signatureFrom/severityFrom may name any of them.
import type { Severity } from '../../domain/types.ts';
import {
  MAX_LABELS,
  MAX_NAME,
  applyMapping,
  boundLabels,
  checkAlert,
  finishAlert,
  isRecord,
  pickLabel,
} from './mapping.ts';
import type { FieldError, ReceiverMapping, ReceiverResult } from './types.ts';

export const CLOUDWATCH_TOOL_SOURCE = 'CloudWatch';

/** Dimensions that name the resource, most specific first; else the first dimension, else the alarm name. */
export const CLOUDWATCH_ASSET_DIMENSIONS = [
  'InstanceId',
  'AutoScalingGroupName',
  'DBInstanceIdentifier',
  'LoadBalancer',
  'FunctionName',
  'ClusterName',
  'ServiceName',
] as const;

const STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
type AlarmState = (typeof STATES)[number];

const DEFAULT_SEVERITY: Severity = 'high';

/** ReceiverResult, plus "understood, deliberately no alert" (answer 200 with the reason). */
export type CloudWatchResult = ReceiverResult | { ok: true; alerts: []; ignored: string };

export interface CloudWatchContext {
  /** The SNS MessageId: the same across SNS retries, so it makes a good idempotency key. */
  deliveryId: string | null;
  mapping?: ReceiverMapping;
}

/** One alarm state change, whichever payload carried it. Empty string = not given. */
interface AlarmChange {
  name: string;
  description: string;
  state: AlarmState;
  reason: string;
  accountId: string;
  region: string;
  arn: string;
  namespace: string;
  metricName: string;
  dimensions: [string, string][];
}

type Json = Record<string, unknown>;

export function mapCloudWatchMessage(message: string, ctx: CloudWatchContext): CloudWatchResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return fail('Message', 'Message must be JSON: a CloudWatch alarm notification');
  }
  if (!isRecord(parsed)) return fail('Message', 'Message must be a JSON object: a CloudWatch alarm notification');
  const change = isStateChangeEvent(parsed) ? fromEvent(parsed) : fromNotification(parsed);
  if (Array.isArray(change)) return { ok: false, errors: change };
  if (change.state === 'INSUFFICIENT_DATA') {
    return {
      ok: true,
      alerts: [],
      ignored: `CloudWatch alarm "${change.name.slice(0, MAX_NAME)}" is INSUFFICIENT_DATA: no alert for missing data`,
    };
  }
  return toAlert(change, ctx);
}

/** The alarm notification CloudWatch publishes to SNS (AlarmName, NewStateValue, Trigger, ...). */
function fromNotification(m: Json): AlarmChange | FieldError[] {
  const errors: FieldError[] = [];
  const name = text(m.AlarmName).trim();
  if (!name) errors.push({ field: 'Message.AlarmName', message: 'Message is not a CloudWatch alarm: no AlarmName' });
  const state = m.NewStateValue;
  if (!isState(state)) {
    errors.push({ field: 'Message.NewStateValue', message: `NewStateValue must be one of: ${STATES.join(', ')}` });
  }
  if (errors.length > 0 || !isState(state)) return errors;

  // Metric alarms describe their metric in Trigger; metric-math alarms list Trigger.Metrics[].MetricStat.Metric;
  // composite alarms have an AlarmRule and no Trigger.
  const trigger = isRecord(m.Trigger) ? m.Trigger : {};
  const metrics: Json[] = [trigger];
  for (const q of Array.isArray(trigger.Metrics) ? trigger.Metrics : []) {
    const metric = isRecord(q) && isRecord(q.MetricStat) ? q.MetricStat.Metric : undefined;
    if (isRecord(metric)) metrics.push(metric);
  }
  const dimensions: [string, string][] = [];
  for (const metric of metrics) {
    for (const d of Array.isArray(metric.Dimensions) ? metric.Dimensions : []) {
      if (isRecord(d)) dimensions.push([text(d.name ?? d.Name), text(d.value ?? d.Value)]);
    }
  }
  const withName = metrics.find((x) => text(x.MetricName) !== '');
  return {
    name,
    description: text(m.AlarmDescription),
    state,
    reason: text(m.NewStateReason),
    accountId: text(m.AWSAccountId),
    region: text(m.Region),
    arn: text(m.AlarmArn),
    namespace: text(withName?.Namespace),
    metricName: text(withName?.MetricName),
    dimensions,
  };
}

function isStateChangeEvent(m: Json): boolean {
  return m['detail-type'] === 'CloudWatch Alarm State Change' && m.source === 'aws.cloudwatch';
}

/** EventBridge's event: detail.alarmName, detail.state.value, detail.configuration.metrics[].metricStat. */
function fromEvent(e: Json): AlarmChange | FieldError[] {
  const detail = isRecord(e.detail) ? e.detail : {};
  const stateObj = isRecord(detail.state) ? detail.state : {};
  const config = isRecord(detail.configuration) ? detail.configuration : {};
  const errors: FieldError[] = [];
  const name = text(detail.alarmName).trim();
  if (!name) errors.push({ field: 'Message.detail.alarmName', message: 'detail.alarmName is required' });
  const state = stateObj.value;
  if (!isState(state)) {
    const message = `detail.state.value must be one of: ${STATES.join(', ')}`;
    errors.push({ field: 'Message.detail.state.value', message });
  }
  if (errors.length > 0 || !isState(state)) return errors;

  const dimensions: [string, string][] = [];
  let namespace = '';
  let metricName = '';
  for (const q of Array.isArray(config.metrics) ? config.metrics : []) {
    const metric = isRecord(q) && isRecord(q.metricStat) ? q.metricStat.metric : undefined;
    if (!isRecord(metric)) continue;
    if (!metricName && text(metric.name)) [metricName, namespace] = [text(metric.name), text(metric.namespace)];
    const dims = isRecord(metric.dimensions) ? metric.dimensions : {};
    for (const [k, v] of Object.entries(dims)) dimensions.push([k, text(v)]);
  }
  const resources = Array.isArray(e.resources) ? e.resources : [];
  return {
    name,
    description: text(config.description),
    state,
    reason: text(stateObj.reason),
    accountId: text(e.account),
    region: text(e.region),
    arn: text(resources[0]),
    namespace,
    metricName,
    dimensions,
  };
}

function toAlert(c: AlarmChange, ctx: CloudWatchContext): CloudWatchResult {
  const labels = buildLabels(c);
  const mapped = applyMapping(labels, ctx.mapping, {
    asset:
      pickLabel(labels, CLOUDWATCH_ASSET_DIMENSIONS)?.value ??
      c.dimensions.map(([, v]) => v.trim()).find((v) => v !== '') ??
      c.name,
    signature: c.name,
    // CloudWatch has no severity: the alarm name is looked up in the company's severityMap.
    severityCandidates: [c.name],
    severity: DEFAULT_SEVERITY,
  });
  const message = [c.description.trim(), c.reason.trim()].filter((s) => s !== '').join('\n');
  const alert = finishAlert({
    ...mapped,
    message: message || `CloudWatch alarm ${c.name} is ${c.state}`,
    toolSource: CLOUDWATCH_TOOL_SOURCE,
    status: c.state === 'ALARM' ? 'firing' : 'resolved',
    // The alarm ARN names the alarm across firing and OK; without it, account + region + name do.
    sourceKey: c.arn || [c.accountId, c.region, c.name].join(':'),
    sourceDeliveryId: ctx.deliveryId,
    labels,
  });
  const errors = checkAlert(alert, 'Message');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, alerts: [alert] };
}

/**
 * Dimensions first (they are the resource), then the pseudo-labels unless a dimension already took the key.
 * Room is kept for the pseudo-labels within the 64-label bound.
 */
function buildLabels(c: AlarmChange): Record<string, string> {
  const pseudo = (
    [
      ['AlarmName', c.name],
      ['Region', c.region],
      ['AWSAccountId', c.accountId],
      ['Namespace', c.namespace],
      ['MetricName', c.metricName],
    ] as [string, string][]
  ).filter(([, v]) => v !== '');
  const dims = boundLabels(c.dimensions.filter(([k, v]) => k !== '' && v !== ''));
  const kept = Object.entries(dims).slice(0, MAX_LABELS - pseudo.length);
  return boundLabels([...kept, ...pseudo]);
}

function isState(v: unknown): v is AlarmState {
  return STATES.includes(v as AlarmState);
}

/** Strings as they are, numbers/booleans as text, anything else (null, objects) as "". */
function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function fail(field: string, message: string): CloudWatchResult {
  return { ok: false, errors: [{ field, message }] };
}
