// Prometheus Alertmanager sending through its own `pagerduty_configs` to our Events API v2 intake. Its events
// say little in PagerDuty's fields (source "Alertmanager", severity "error", summary "[FIRING:2] <group label
// values> (<common label values>)"); what identifies each alert is in custom_details, where Alertmanager's
// default template lists every alert of the group with its labels and annotations (firing / resolved, with
// num_firing / num_resolved; see test/fixtures/receivers/alertmanager-pagerduty-*.json, captured from v0.28.1).
//
// Decision: when both lists are in that default format, each listed alert becomes one alert, mapped exactly as
// the Alertmanager webhook receiver maps it (asset, signature, severity, message, and its fingerprint as
// sourceKey), so the same alert gives the same incident through either receiver, the next alert joining the
// group is not a new signature, and a member's resolution (listed under "resolved" in a later trigger or in the
// group's resolve) resolves that member. When a company templated the lists into something else, the event
// becomes one alert for the group, keyed by dedup_key (the group's identity), mapped from custom_details
// labels when present (e.g. alertname, instance), and closed by the group's resolve.
import { ALERTMANAGER_ASSET_LABELS } from './alertmanager.ts';
import {
  UNKNOWN_ASSET,
  applyMapping,
  boundLabels,
  finishAlert,
  hostOf,
  isRecord,
  pickLabel,
  text,
  type ReceiverDefaults,
} from './mapping.ts';
import type { AlertStatus, NormalizedAlert, ReceiverMapping } from './types.ts';

/** Alertmanager's `pagerduty.default.client`, also its default source. */
export const ALERTMANAGER_CLIENT = 'Alertmanager';
/** custom_details keys Alertmanager always sends (its defaults fill whatever a config leaves out). */
const BOOKKEEPING = ['firing', 'resolved', 'num_firing', 'num_resolved'] as const;

/** One entry of Alertmanager's `__text_alert_list` template. */
export interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The event's PagerDuty fields this module reads (validated by the Events v2 mapper first). */
export interface EventFields {
  status: AlertStatus;
  summary: string;
  source: string;
  severity: string | undefined;
  component: string | undefined;
  klass: string | undefined;
  details: Record<string, unknown>;
  dedupKey: string | null;
  toolSource: string;
}

/**
 * An Events v2 event from Alertmanager: its default client name, its alert-list link as client_url, or the
 * num_firing / num_resolved details only Alertmanager adds.
 */
export function isAlertmanagerEvent(root: Record<string, unknown>): boolean {
  if (root.client === ALERTMANAGER_CLIENT) return true;
  if (typeof root.client_url === 'string' && root.client_url.includes('/#/alerts?receiver=')) return true;
  const payload = isRecord(root.payload) ? root.payload : {};
  const details = isRecord(payload.custom_details) ? payload.custom_details : {};
  return BOOKKEEPING.every((k) => typeof details[k] === 'string') && /^\d+$/.test(String(details.num_firing));
}

/** "[FIRING:3] ServiceDown node (critical infra)" → "ServiceDown node (critical infra)". */
export function stripStatusPrefix(summary: string): string {
  return summary.replace(/^\[(?:FIRING(?::\d+)?|RESOLVED)\]\s*/i, '').trim();
}

/**
 * Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint: FNV-1a 64 over the
 * names in byte order, each name and value followed by byte 255), the sourceKey its webhook sends.
 */
export function alertmanagerFingerprint(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let h = 0xcbf29ce484222325n;
  const add = (byte: number) => {
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of names) {
    for (const part of [name, labels[name]!]) {
      for (const byte of Buffer.from(part, 'utf8')) add(byte);
      add(255);
    }
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * Parses Alertmanager's `__text_alert_list` ("Labels:\n - k = v\n…Annotations:\n - k = v\n…Source: url\n" per
 * alert). A value spanning lines continues its entry. Undefined when the text is in any other format.
 */
export function parseAlertList(list: string): ListedAlert[] | undefined {
  const out: ListedAlert[] = [];
  let section: 'labels' | 'annotations' | null = null;
  let last: string | null = null;
  for (const line of list.split('\n')) {
    const current = out[out.length - 1];
    if (line === 'Labels:' && section === null) {
      out.push({ labels: {}, annotations: {} });
      [section, last] = ['labels', null];
    } else if (line === 'Annotations:' && section === 'labels') {
      [section, last] = ['annotations', null];
    } else if (line.startsWith('Source:') && section === 'annotations') {
      [section, last] = [null, null];
    } else if (current && section) {
      const entry = /^ - (.+?) = (.*)$/.exec(line);
      if (entry) {
        current[section][entry[1]!] = entry[2]!;
        last = entry[1]!;
      } else if (last !== null) {
        current[section][last] += `\n${line}`;
      } else return undefined;
    } else if (line !== '') return undefined;
  }
  const complete = section === null && out.every((a) => Object.keys(a.labels).length > 0);
  return complete ? out : undefined;
}

/**
 * What the Alertmanager webhook receiver derives from an alert's labels (api/receivers/alertmanager.ts): the
 * asset from the first of ALERTMANAGER_ASSET_LABELS (instance without its port), the signature from alertname.
 */
export function alertmanagerDefaults(labels: Record<string, string>, eventSeverity?: string): ReceiverDefaults {
  const asset = pickLabel(labels, ALERTMANAGER_ASSET_LABELS);
  return {
    asset: asset ? (asset.key === 'instance' ? hostOf(asset.value) : asset.value) : UNKNOWN_ASSET,
    signature: pickLabel(labels, ['alertname'])?.value ?? 'alert',
    severityCandidates: [labels.severity, eventSeverity],
    severity: 'medium',
  };
}

function detailString(details: Record<string, unknown>, key: string): string | undefined {
  return typeof details[key] === 'string' ? details[key] : undefined;
}

/** Both lists in the default format, each as long as Alertmanager counted; otherwise undefined. */
function listedMembers(details: Record<string, unknown>) {
  const lists = { firing: [] as ListedAlert[], resolved: [] as ListedAlert[] };
  for (const status of ['firing', 'resolved'] as const) {
    const parsed = parseAlertList(detailString(details, status) ?? '');
    const count = text(details[`num_${status}`]);
    if (!parsed || (count !== undefined && Number(count) !== parsed.length)) return undefined;
    lists[status] = parsed;
  }
  return lists.firing.length + lists.resolved.length > 0 ? lists : undefined;
}

/** The event's alerts: one per listed alert when the lists are in the default format, else one for the group. */
export function mapAlertmanagerEvent(e: EventFields, mapping: ReceiverMapping | undefined): NormalizedAlert[] {
  const lists = listedMembers(e.details);
  if (!lists) return [groupAlert(e, mapping)];
  return [
    ...lists.firing.map((m) => memberAlert(m, 'firing', e, mapping)),
    ...lists.resolved.map((m) => memberAlert(m, 'resolved', e, mapping)),
  ];
}

function memberAlert(
  member: ListedAlert,
  status: AlertStatus,
  e: EventFields,
  mapping: ReceiverMapping | undefined,
): NormalizedAlert {
  const labels = boundLabels(member.labels);
  const mapped = applyMapping(labels, mapping, alertmanagerDefaults(labels, e.severity));
  const summary = pickLabel(boundLabels(member.annotations), ['summary', 'description']);
  return finishAlert({
    ...mapped,
    message: summary?.value ?? labels.alertname ?? mapped.signature,
    toolSource: e.toolSource,
    status,
    // The webhook's identity of the same alert, computed on the labels as sent (before bounding).
    sourceKey: alertmanagerFingerprint(member.labels),
    // No start time is listed, so nothing tells a repeat of this episode from the next one: the ingest path
    // hashes the content over a short window, which keeps a retry one alert and lets a recurrence in.
    sourceDeliveryId: null,
    labels,
  });
}

function groupAlert(e: EventFields, mapping: ReceiverMapping | undefined): NormalizedAlert {
  const stripped = stripStatusPrefix(e.summary);
  const details = Object.entries(e.details).filter(([k]) => !(BOOKKEEPING as readonly string[]).includes(k));
  const ownSource = e.source !== ALERTMANAGER_CLIENT && e.source !== e.toolSource ? e.source : undefined;
  const labels = boundLabels([['source', ownSource], ['component', e.component], ['class', e.klass], ...details]);
  const defaults = alertmanagerDefaults(labels, e.severity);
  // The group label values, without the common labels' "(…)" that changes as alerts join and leave.
  const groupValues = stripped.replace(/\s*\([^()]*\)$/, '') || stripped;
  const mapped = applyMapping(labels, mapping, {
    ...defaults,
    asset: defaults.asset !== UNKNOWN_ASSET ? defaults.asset : (ownSource ?? UNKNOWN_ASSET),
    signature: pickLabel(labels, ['alertname', 'class', 'component'])?.value ?? slug(groupValues),
  });
  const listed = [detailString(e.details, e.status)].filter((t) => t?.trim());
  return finishAlert({
    ...mapped,
    message: [stripped, ...listed].join('\n\n'),
    toolSource: e.toolSource,
    status: e.status,
    sourceKey: e.dedupKey,
    sourceDeliveryId: null,
    labels,
  });
}

function slug(words: string): string {
  return (
    words
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 0)
      .join('_')
      .slice(0, 64) || 'alertmanager_group'
  );
}
