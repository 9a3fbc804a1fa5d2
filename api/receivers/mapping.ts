// Helpers every receiver shares: reading a tool's labels, applying a company's ReceiverMapping, bounding
// what we store, and the last check that a mapped alert keeps the rules of NormalizedAlert.
// Receivers are lenient with labels a tool may leave out (documented fallbacks) and strict with bodies
// whose shape is wrong; these helpers are the lenient half, `Shape` (shape.ts) is the strict half.
import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../../domain/types.ts';
import { isRecord, joinPath, text } from './read.ts';
import type { FieldError, NormalizedAlert, ReceiverMapping } from './types.ts';

// Every receiver imports its helpers from here: the primitive reads and the strict Shape live beside this file.
export { isRecord, joinPath, text } from './read.ts';
export { Shape } from './shape.ts';

export const MAX_LABELS = 64;
export const MAX_LABEL_KEY = 128;
export const MAX_LABEL_VALUE = 1024;
export const MAX_MESSAGE = 10_000;
export const MAX_NAME = 255;
export const MAX_TOOL_SOURCE = 100;
/** The ingest path's delivery ids (X-Delivery-ID) hold at most 200 characters. */
export const MAX_DELIVERY_ID = 200;
/** Asset used when a tool names none of the labels a receiver looks at (documented per receiver). */
export const UNKNOWN_ASSET = 'unknown';

/**
 * Source severity words (lower-cased) → ours. A company's severityMap is consulted first. Covers the words
 * of Prometheus conventions, PagerDuty, Datadog priorities and Zabbix severities.
 */
export const DEFAULT_SEVERITY_TABLE: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  crit: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  disaster: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  err: 'high',
  page: 'high',
  major: 'high',
  p2: 'high',
  medium: 'medium',
  warning: 'medium',
  warn: 'medium',
  average: 'medium',
  minor: 'medium',
  p3: 'medium',
  low: 'low',
  info: 'low',
  information: 'low',
  informational: 'low',
  none: 'low',
  debug: 'low',
  'not classified': 'low',
  p4: 'low',
  p5: 'low',
};

/** A short, stable identity for text of any length (ids must fit 255 characters). */
export function stableHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** Identity of a label set regardless of key order: what Alertmanager's fingerprint is, when it is missing. */
export function labelsHash(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return stableHash(JSON.stringify(sorted));
}

function stringify(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function isIterable(v: object): v is Iterable<[string, unknown]> {
  return Symbol.iterator in v;
}

/** At most 64 entries, keys ≤ 128 and values ≤ 1024 characters, values as strings; null values are dropped. */
export function boundLabels(input: Record<string, unknown> | Iterable<[string, unknown]>): Record<string, string> {
  const entries = isIterable(input) ? [...input] : Object.entries(input);
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [rawKey, rawValue] of entries) {
    if (out.length >= MAX_LABELS) break;
    const key = rawKey.slice(0, MAX_LABEL_KEY);
    const value = stringify(rawValue);
    if (key === '' || value === undefined || seen.has(key)) continue;
    seen.add(key);
    out.push([key, value.slice(0, MAX_LABEL_VALUE)]);
  }
  // fromEntries defines own properties, so a "__proto__" label stays a label.
  return Object.fromEntries(out);
}

/** The first of `keys` present in `labels` with a non-empty value. */
export function pickLabel(
  labels: Record<string, string>,
  keys: readonly string[] | undefined,
): { key: string; value: string } | undefined {
  // Company lists come from settings JSON that nothing validated: anything but a list of names is ignored.
  if (!Array.isArray(keys)) return undefined;
  for (const key of keys) {
    if (typeof key !== 'string') continue;
    const value = Object.hasOwn(labels, key) ? text(labels[key]) : undefined;
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

/** "10.0.0.5:9100" → "10.0.0.5", "[::1]:9100" → "::1", "https://web-01.example.com/x" → "web-01.example.com". */
export function hostOf(instance: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(instance)) {
    try {
      const host = new URL(instance).hostname;
      if (host) return host.replace(/^\[(.*)\]$/, '$1');
    } catch {
      // Not a URL after all: fall through to the port rules.
    }
  }
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1]!;
  return instance.replace(/^([^:]+):\d+$/, '$1');
}

/** Ours for a source severity word (company map first, then the default table), or null when unknown. */
export function normalizeSeverity(raw: unknown, severityMap?: Record<string, Severity>): Severity | null {
  const word = text(raw)?.toLowerCase();
  if (word === undefined) return null;
  const mapped = isRecord(severityMap) && Object.hasOwn(severityMap, word) ? severityMap[word] : undefined;
  if (mapped && (SEVERITIES as readonly string[]).includes(mapped)) return mapped;
  return Object.hasOwn(DEFAULT_SEVERITY_TABLE, word) ? DEFAULT_SEVERITY_TABLE[word]! : null;
}

export interface ReceiverDefaults {
  asset: string;
  signature: string;
  /** Severity words in the order the receiver trusts them; the first one known wins. */
  severityCandidates: unknown[];
  severity: Severity;
}

/**
 * Applies a company's mapping over a receiver's defaults: each company list is tried first, and when none of
 * its labels is present the receiver's documented default still applies (a missing label never rejects).
 */
export function applyMapping(
  labels: Record<string, string>,
  mapping: ReceiverMapping | undefined,
  d: ReceiverDefaults,
): { assetName: string; signature: string; severity: Severity } {
  const asset = pickLabel(labels, mapping?.assetFrom);
  const signature = pickLabel(labels, mapping?.signatureFrom);
  const severityLabel = pickLabel(labels, mapping?.severityFrom);
  const candidates = [severityLabel?.value, ...d.severityCandidates];
  let severity: Severity = d.severity;
  for (const c of candidates) {
    const s = normalizeSeverity(c, mapping?.severityMap);
    if (s) {
      severity = s;
      break;
    }
  }
  return {
    assetName: asset ? (asset.key === 'instance' ? hostOf(asset.value) : asset.value) : d.asset,
    signature: signature?.value ?? d.signature,
    severity,
  };
}

/** Ids longer than the columns that hold them are replaced by their hash (still stable, still distinct). */
function boundId(id: string | null, max: number): string | null {
  return id !== null && id.length > max ? `sha256:${stableHash(id)}` : id;
}

function clip(value: string, max: number): string {
  const t = value.trim();
  return t.length > max ? t.slice(0, max).trimEnd() : t;
}

export function truncateMessage(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/**
 * Bounds what a tool sent to our limits instead of refusing a real tool's notification: names are cut to 255
 * characters, "|" in an asset becomes "/" (it separates the aggregation key), long messages are truncated.
 */
export function finishAlert(a: NormalizedAlert): NormalizedAlert {
  const assetName = clip(a.assetName.replace(/\|/g, '/'), MAX_NAME) || UNKNOWN_ASSET;
  const signature = clip(a.signature, MAX_NAME);
  const message = a.message.trim() === '' ? signature : a.message;
  return {
    ...a,
    assetName,
    signature,
    message: truncateMessage(message),
    toolSource: clip(a.toolSource, MAX_TOOL_SOURCE),
    sourceKey: boundId(a.sourceKey, MAX_NAME),
    sourceDeliveryId: boundId(a.sourceDeliveryId, MAX_DELIVERY_ID),
  };
}

/** The rules of NormalizedAlert (types.ts); a receiver's last guard before answering. */
export function checkAlert(alert: NormalizedAlert, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (field: string) => joinPath(path, field);
  const sized = (field: keyof NormalizedAlert, v: string, max: number) => {
    if (v.trim().length === 0) errors.push({ field: at(field), message: `${field} must not be empty` });
    else if (v.length > max) errors.push({ field: at(field), message: `${field} must be at most ${max} characters` });
  };
  sized('assetName', alert.assetName, MAX_NAME);
  if (alert.assetName.includes('|')) {
    const message = 'assetName must not contain "|" (it separates the aggregation key)';
    errors.push({ field: at('assetName'), message });
  }
  sized('signature', alert.signature, MAX_NAME);
  sized('message', alert.message, MAX_MESSAGE);
  sized('toolSource', alert.toolSource, MAX_TOOL_SOURCE);
  if (!(SEVERITIES as readonly string[]).includes(alert.severity)) {
    errors.push({ field: at('severity'), message: `severity must be one of: ${SEVERITIES.join(', ')}` });
  }
  if (alert.status !== 'firing' && alert.status !== 'resolved') {
    errors.push({ field: at('status'), message: 'status must be one of: firing, resolved' });
  }
  if (alert.sourceKey !== null && alert.sourceKey.length > MAX_NAME) {
    errors.push({ field: at('sourceKey'), message: `sourceKey must be at most ${MAX_NAME} characters` });
  }
  const labelCount = Object.keys(alert.labels).length;
  if (labelCount > MAX_LABELS) {
    errors.push({ field: at('labels'), message: `labels must have at most ${MAX_LABELS} entries` });
  }
  return errors;
}
