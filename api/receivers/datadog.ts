// Datadog Webhooks integration. Two payload templates are understood:
//  - Datadog's default: {"body":"$EVENT_MSG","last_updated":"$LAST_UPDATED","event_type":"$EVENT_TYPE",
//    "title":"$EVENT_TITLE","date":"$DATE","org":{"id":"$ORG_ID","name":"$ORG_NAME"},"id":"$ID"}.
//    Only the title says what happened: "[P1] [Triggered on {host:web-01,env:prod}] CPU high", "[Recovered] …".
//  - DATADOG_RECOMMENDED_TEMPLATE below (docs/receivers.md): the default's fields plus $ALERT_* variables,
//    so identity, transition, priority and tags no longer have to be read from the title.
import type { AlertStatus, ReceiverMapping, ReceiverResult } from './types.ts';
import {
  Shape,
  UNKNOWN_ASSET,
  applyMapping,
  boundLabels,
  checkAlert,
  finishAlert,
  pickLabel,
  stableHash,
  text,
} from './mapping.ts';

export const DATADOG_RECOMMENDED_TEMPLATE = {
  id: '$ID',
  alert_id: '$ALERT_ID',
  alert_cycle_key: '$ALERT_CYCLE_KEY',
  alert_transition: '$ALERT_TRANSITION',
  alert_status: '$ALERT_STATUS',
  alert_title: '$ALERT_TITLE',
  alert_priority: '$ALERT_PRIORITY',
  alert_type: '$ALERT_TYPE',
  alert_metric: '$ALERT_METRIC',
  alert_scope: '$ALERT_SCOPE',
  hostname: '$HOSTNAME',
  tags: '$TAGS',
  title: '$EVENT_TITLE',
  body: '$EVENT_MSG',
  event_type: '$EVENT_TYPE',
  link: '$LINK',
  date: '$DATE',
  last_updated: '$LAST_UPDATED',
  org: { id: '$ORG_ID', name: '$ORG_NAME' },
} as const;

const STRING_FIELDS = Object.keys(DATADOG_RECOMMENDED_TEMPLATE).filter((k) => k !== 'org' && k !== 'tags');
const PRIORITY = /^p[1-5]$/i;
/** $ALERT_TRANSITION values (Datadog docs), optionally followed by the scope: "Triggered on {host:web-01}". */
const TRANSITION = /^((?:Re-)?(?:Triggered|Warn|No Data)|Recovered|Renotify|Null)(?:\s+on\s+\{([^}]*)\})?$/i;

export interface DatadogTitle {
  priority?: string;
  transition?: string;
  /** Tags of the scope, from "{host:web-01,env:prod}". */
  scope: Array<[string, string]>;
  /** The monitor's name: the title without its bracketed prefixes. */
  name: string;
}

/** "[P2] [Re-Triggered on {host:web-01}] CPU high" → { priority: "P2", transition: "Re-Triggered", … }. */
export function parseDatadogTitle(title: string): DatadogTitle {
  const out: DatadogTitle = { scope: [], name: title.trim() };
  let rest = title.trim();
  for (let m = /^\[([^\]]*)\]\s*/.exec(rest); m; m = /^\[([^\]]*)\]\s*/.exec(rest)) {
    const inner = m[1]!.trim();
    const t = TRANSITION.exec(inner);
    if (PRIORITY.test(inner) && !out.priority) {
      out.priority = inner.toUpperCase();
    } else if (t && !out.transition) {
      out.transition = t[1]!.trim();
      out.scope = t[2] ? parseTags(t[2]) : [];
    } else {
      // Anything else in brackets belongs to the monitor's name, e.g. "[prod] CPU high".
      break;
    }
    rest = rest.slice(m[0].length);
  }
  out.name =
    rest
      .trim()
      .replace(/^\[([^\]]*)\]$/, '$1')
      .trim() || out.name;
  return out;
}

/** "env:prod, role:db,flaky" → [["env","prod"],["role","db"],["flaky",""]]. */
export function parseTags(tags: string): Array<[string, string]> {
  return tags
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => {
      const i = t.indexOf(':');
      return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
    });
}

/** Tags as labels; a key given twice ("role:db,role:web") keeps both values, comma-separated. */
function tagLabels(...lists: Array<Array<[string, string]>>): Record<string, string> {
  const merged = new Map<string, string[]>();
  for (const [k, v] of lists.flat()) {
    const values = merged.get(k) ?? [];
    if (!values.includes(v)) values.push(v);
    merged.set(k, values);
  }
  return boundLabels([...merged].map(([k, vs]): [string, string] => [k, vs.filter((v) => v !== '').join(',')]));
}

/** Recovered ends the condition; Triggered, Re-Triggered, Warn, No Data, Renotify and unknown ones keep it firing. */
function statusOf(transition: string | undefined): AlertStatus {
  return transition?.toLowerCase() === 'recovered' ? 'resolved' : 'firing';
}

/** $TAGS is a comma-separated string; a hand-written template may send a list of "key:value" strings. */
function readTags(shape: Shape, tags: unknown): Array<[string, string]> {
  if (tags === undefined || tags === null) return [];
  if (typeof tags === 'string') return parseTags(text(tags) ?? '');
  if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) return parseTags(tags.join(','));
  shape.fail('tags', 'tags must be a string ("key:value,key:value") or a list of strings');
  return [];
}

function stripMarkdownFence(body: string): string {
  return body
    .replace(/^\s*%%%\s*/, '')
    .replace(/\s*%%%\s*$/, '')
    .trim();
}

/** Datadog webhook (default or recommended template) → one alert. */
export function mapDatadog(body: unknown, mapping?: ReceiverMapping): ReceiverResult {
  const shape = new Shape();
  const root = shape.object(body, '', true);
  if (!root) return { ok: false, errors: shape.errors };
  const f: Record<string, string | undefined> = {};
  for (const key of STRING_FIELDS) f[key] = shape.string(root, key, '');
  const tagList = readTags(shape, root.tags);
  shape.object(root.org, 'org', false);
  const titleText = f.alert_title ?? f.title;
  if (titleText === undefined && !shape.errors.length) shape.fail('title', 'title is required (Datadog $EVENT_TITLE)');
  if (shape.errors.length || titleText === undefined) return { ok: false, errors: shape.errors };

  const title = parseDatadogTitle(titleText);
  const eventTitle = f.title ? parseDatadogTitle(f.title) : title;
  const transition = f.alert_transition ?? title.transition ?? eventTitle.transition;
  const scope = f.alert_scope ? parseTags(f.alert_scope) : title.scope.length ? title.scope : eventTitle.scope;
  const labels = tagLabels(tagList, scope);
  const priority = f.alert_priority ?? title.priority ?? eventTitle.priority;
  const mapped = applyMapping(labels, mapping, {
    asset: f.hostname ?? pickLabel(labels, ['host', 'hostname'])?.value ?? UNKNOWN_ASSET,
    signature: title.name,
    severityCandidates: [priority, /warn/i.test(transition ?? '') ? 'warning' : undefined, f.alert_type],
    severity: 'high',
  });
  const status = statusOf(transition);
  const scopeKey = scope
    .map(([k, v]) => `${k}:${v}`)
    .sort()
    .join(',');
  const sourceKey = f.alert_cycle_key
    ? `datadog:${f.alert_cycle_key}`
    : f.alert_id
      ? `datadog:${f.alert_id}:${scopeKey}`
      : `datadog:${stableHash(`${title.name}\u0000${scopeKey}`)}`;
  const message = stripMarkdownFence(f.body ?? '') || f.alert_status || titleText;
  const alert = finishAlert({
    ...mapped,
    message,
    toolSource: 'Datadog',
    status,
    sourceKey,
    sourceDeliveryId: deliveryId(f, sourceKey, transition),
    labels,
  });
  const errors = checkAlert(alert, '');
  return errors.length ? { ok: false, errors } : { ok: true, alerts: [alert] };
}

/**
 * With the recommended template: identity + transition + $DATE. The date keeps renotifications
 * (Re-Triggered, Renotify) and a second Triggered in one cycle apart, while Datadog's retries of one
 * notification repeat it. With the default template only the event's $ID identifies the notification.
 */
function deliveryId(f: Record<string, string | undefined>, sourceKey: string, transition: string | undefined) {
  if ((f.alert_cycle_key || f.alert_id) && transition) {
    return [sourceKey, transition, f.date].filter((p) => p !== undefined).join(':');
  }
  return f.id ? `datadog:event:${f.id}` : null;
}
