// PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue): tools that can page PagerDuty
// can send the same event to us. The routing_key is the caller's integration key; the route authenticates
// with it, this mapper only returns it. Validation follows PagerDuty's own rules, so a tool that works
// against PagerDuty works here, and a 400 answer has PagerDuty's shape (pagerDutyErrorBody).
import type { FieldError, NormalizedAlert, ReceiverMapping } from './types.ts';
import { Shape, applyMapping, boundLabels, checkAlert, finishAlert, isRecord } from './mapping.ts';
import { isAlertmanagerEvent, mapAlertmanagerEvent } from './pagerduty-alertmanager.ts';

export const PAGERDUTY_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerDutyAction = (typeof PAGERDUTY_ACTIONS)[number];
export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export const PAGERDUTY_TOOL_SOURCE = 'PagerDuty Events API';
/**
 * A resolve event carries only its dedup_key: asset and signature are unknown. The router fills them in
 * from the firing alert with the same sourceKey that the resolve closes.
 */
export const PAGERDUTY_UNKNOWN = '-';
const MAX_SUMMARY = 1024;
const MAX_DEDUP_KEY = 255;
const MAX_DETAILS_SHOWN = 20;

/**
 * acknowledge yields no alert (acknowledging is a person's act in PagerDuty, not a change of the condition)
 * but is still a success. dedupKey is null for a trigger sent without one: the route generates a key,
 * answers it like PagerDuty does, and stamps it on the alert with assignDedupKey.
 */
export type PagerDutyResult =
  | { ok: true; action: PagerDutyAction; routingKey: string; dedupKey: string | null; alerts: NormalizedAlert[] }
  | { ok: false; errors: FieldError[] };

/** PagerDuty's 400 body, e.g. {"status":"invalid event","message":"Event object is invalid","errors":[...]}. */
export interface PagerDutyErrorBody {
  status: 'invalid event';
  message: 'Event object is invalid';
  errors: string[];
}

export function pagerDutyErrorBody(errors: FieldError[]): PagerDutyErrorBody {
  return { status: 'invalid event', message: 'Event object is invalid', errors: errors.map((e) => e.message) };
}

/** PagerDuty's 202 body. */
export function pagerDutySuccessBody(dedupKey: string) {
  return { status: 'success', message: 'Event processed', dedup_key: dedupKey } as const;
}

/**
 * Gives a trigger sent without dedup_key the key the route generated for it. An alert with an identity of its
 * own (an Alertmanager group member keeps its fingerprint) keeps it.
 */
export function assignDedupKey(alert: NormalizedAlert, dedupKey: string): NormalizedAlert {
  if (alert.sourceKey !== null) return alert;
  return { ...alert, sourceKey: dedupKey, sourceDeliveryId: pagerDutyDeliveryId(dedupKey, 'trigger', 1) };
}

/**
 * A trigger's or resolve's delivery id: PagerDuty de-duplicates an event sent again (a retry, or a trigger
 * repeated while the key is open), but after a resolve the key's next trigger opens a new incident. So the id
 * names the key's episode (db/event-episodes.ts); the first keeps the ids stored before episodes were counted.
 */
export function pagerDutyDeliveryId(dedupKey: string, action: 'trigger' | 'resolve', episode: number): string {
  return episode <= 1 ? `${dedupKey}:${action}` : `${dedupKey}:${action}:${episode}`;
}

/** The event's alerts with the delivery ids of the key's episode (Alertmanager's listed alerts have none). */
export function inEpisode(
  alerts: NormalizedAlert[],
  dedupKey: string,
  action: 'trigger' | 'resolve',
  episode: number,
): NormalizedAlert[] {
  return alerts.map((a) =>
    a.sourceDeliveryId === null ? a : { ...a, sourceDeliveryId: pagerDutyDeliveryId(dedupKey, action, episode) },
  );
}

/**
 * A signature for an event with neither class nor component: the summary's words without digits and
 * without the source's name, so "Disk 97% full on db-01" and "Disk 98% full on db-01" share one.
 */
export function summarySlug(summary: string, source: string): string {
  const words = summary
    .split(source)
    .join(' ')
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 8);
  return words.join('_').slice(0, 64) || 'pagerduty_event';
}

function renderDetails(details: unknown): string {
  if (details === undefined || details === null) return '';
  if (typeof details === 'string') return details;
  if (!isRecord(details)) return JSON.stringify(details).slice(0, 1000);
  return Object.entries(details)
    .slice(0, MAX_DETAILS_SHOWN)
    .map(([k, v]) => `${k}: ${(typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 200)}`)
    .join('\n');
}

function readAction(shape: Shape, root: Record<string, unknown>): PagerDutyAction | undefined {
  const action = shape.string(root, 'event_action', '', true);
  if (action === undefined) return undefined;
  if ((PAGERDUTY_ACTIONS as readonly string[]).includes(action)) return action as PagerDutyAction;
  shape.fail('event_action', `event_action must be one of: ${PAGERDUTY_ACTIONS.join(', ')}`);
  return undefined;
}

/** Events API v2 event → alerts. */
export function mapPagerDuty(body: unknown, mapping?: ReceiverMapping): PagerDutyResult {
  const shape = new Shape();
  const root = shape.object(body, '', true);
  if (!root) return { ok: false, errors: shape.errors };
  const routingKey = shape.string(root, 'routing_key', '', true, true);
  const action = readAction(shape, root);
  const dedupKey = shape.string(root, 'dedup_key', '') ?? null;
  if (dedupKey !== null && dedupKey.length > MAX_DEDUP_KEY) {
    shape.fail('dedup_key', `dedup_key must be at most ${MAX_DEDUP_KEY} characters`);
  }
  if (dedupKey === null && action !== undefined && action !== 'trigger') {
    shape.fail('dedup_key', `dedup_key is required for ${action} events`);
  }
  const client = shape.string(root, 'client', '');
  shape.string(root, 'client_url', '');
  for (const key of ['links', 'images']) shape.array(root, key, '', false);
  const toolSource = client ?? PAGERDUTY_TOOL_SOURCE;

  let alerts: NormalizedAlert[] = [];
  if (action === 'trigger') {
    alerts = mapTrigger(shape, root, mapping, toolSource, dedupKey);
  } else if (action === 'resolve' && dedupKey !== null) {
    // Alertmanager sends its payload with a resolve too: it names the alerts that recovered.
    const fromAlertmanager = isAlertmanagerEvent(root)
      ? mapAlertmanagerResolve(root, mapping, toolSource, dedupKey)
      : undefined;
    alerts = fromAlertmanager ?? [resolveAlert(dedupKey, toolSource)];
  }
  if (shape.errors.length || routingKey === undefined || action === undefined) {
    return { ok: false, errors: shape.errors };
  }
  return { ok: true, action, routingKey, dedupKey, alerts };
}

interface EventPayload {
  summary: string;
  source: string;
  severity: string | undefined;
  component: string | undefined;
  group: string | undefined;
  klass: string | undefined;
  customDetails: unknown;
}

/** The payload as PagerDuty validates it; undefined (with the errors in `shape`) when it is invalid. */
function readPayload(shape: Shape, root: Record<string, unknown>): EventPayload | undefined {
  const before = shape.errors.length;
  const payload = shape.object(root.payload, 'payload', true);
  if (!payload) return undefined;
  const summary = shape.string(payload, 'summary', 'payload', true);
  if (summary !== undefined && summary.length > MAX_SUMMARY) {
    shape.fail('payload.summary', `payload.summary must be at most ${MAX_SUMMARY} characters`);
  }
  const source = shape.string(payload, 'source', 'payload', true);
  const severity = shape.string(payload, 'severity', 'payload', true)?.toLowerCase();
  if (severity !== undefined && !(PAGERDUTY_SEVERITIES as readonly string[]).includes(severity)) {
    shape.fail('payload.severity', `payload.severity must be one of: ${PAGERDUTY_SEVERITIES.join(', ')}`);
  }
  const component = shape.string(payload, 'component', 'payload');
  const group = shape.string(payload, 'group', 'payload');
  const klass = shape.string(payload, 'class', 'payload');
  shape.string(payload, 'timestamp', 'payload');
  if (shape.errors.length > before || summary === undefined || source === undefined) return undefined;
  return { summary, source, severity, component, group, klass, customDetails: payload.custom_details };
}

function alertmanagerFields(p: EventPayload, status: 'firing' | 'resolved', dedupKey: string | null, tool: string) {
  const details = isRecord(p.customDetails) ? p.customDetails : {};
  return { ...p, status, details, dedupKey, toolSource: tool };
}

/** A resolve from Alertmanager mapped from its payload; undefined when the payload is not usable. */
function mapAlertmanagerResolve(
  root: Record<string, unknown>,
  mapping: ReceiverMapping | undefined,
  toolSource: string,
  dedupKey: string,
): NormalizedAlert[] | undefined {
  // PagerDuty ignores a resolve's payload, so a bad one is no reason to refuse the resolve.
  const payload = readPayload(new Shape(), root);
  if (!payload) return undefined;
  const alerts = mapAlertmanagerEvent(alertmanagerFields(payload, 'resolved', dedupKey, toolSource), mapping);
  return alerts.every((a) => checkAlert(a, 'payload').length === 0) ? alerts : undefined;
}

function mapTrigger(
  shape: Shape,
  root: Record<string, unknown>,
  mapping: ReceiverMapping | undefined,
  toolSource: string,
  dedupKey: string | null,
): NormalizedAlert[] {
  const p = readPayload(shape, root);
  if (!p) return [];
  if (isAlertmanagerEvent(root)) {
    const alerts = mapAlertmanagerEvent(alertmanagerFields(p, 'firing', dedupKey, toolSource), mapping);
    const errors = alerts.flatMap((a) => checkAlert(a, 'payload'));
    errors.forEach((e) => shape.fail(e.field, e.message));
    return errors.length ? [] : alerts;
  }
  const { summary, source, severity, component, group, klass } = p;
  const details = isRecord(p.customDetails) ? Object.entries(p.customDetails) : [];
  // PagerDuty's own fields come first so custom_details cannot shadow them.
  const labels = boundLabels([
    ['source', source],
    ['component', component],
    ['group', group],
    ['class', klass],
    ...details,
  ]);
  const mapped = applyMapping(labels, mapping, {
    asset: source,
    signature: klass ?? component ?? summarySlug(summary, source),
    severityCandidates: [severity],
    severity: 'high',
  });
  const rendered = renderDetails(p.customDetails);
  const alert = finishAlert({
    ...mapped,
    message: rendered ? `${summary}\n\n${rendered}` : summary,
    toolSource,
    status: 'firing',
    sourceKey: dedupKey,
    // PagerDuty de-duplicates repeated triggers of one dedup_key itself; the route sets the key's episode.
    sourceDeliveryId: dedupKey === null ? null : pagerDutyDeliveryId(dedupKey, 'trigger', 1),
    labels,
  });
  const errors = checkAlert(alert, 'payload');
  errors.forEach((e) => shape.fail(e.field, e.message));
  return errors.length ? [] : [alert];
}

function resolveAlert(dedupKey: string, toolSource: string): NormalizedAlert {
  return finishAlert({
    assetName: PAGERDUTY_UNKNOWN,
    signature: PAGERDUTY_UNKNOWN,
    // A resolve states no severity; "low" never raises an incident's severity.
    severity: 'low',
    message: `Resolved through the PagerDuty Events API (dedup_key ${dedupKey})`,
    toolSource,
    status: 'resolved',
    sourceKey: dedupKey,
    sourceDeliveryId: pagerDutyDeliveryId(dedupKey, 'resolve', 1),
    labels: {},
  });
}
