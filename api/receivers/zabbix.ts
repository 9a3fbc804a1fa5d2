// Zabbix, through our webhook media type (integrations/zabbix/alert-whisperer.js). The script posts the
// body described by ZabbixBody; Zabbix has no fixed webhook payload of its own.
import type { AlertStatus, NormalizedAlert, ReceiverMapping, ReceiverResult } from './types.ts';
import {
  Shape,
  UNKNOWN_ASSET,
  applyMapping,
  boundLabels,
  checkAlert,
  finishAlert,
  isRecord,
  joinPath,
} from './mapping.ts';

/** What integrations/zabbix/alert-whisperer.js posts; every value is a Zabbix macro's expansion. */
export interface ZabbixBody {
  /** {EVENT.ID}: the problem event. A recovery notification carries the original problem's id too. */
  event_id: string;
  /** {EVENT.VALUE}: "1" problem, "0" recovery. */
  event_value: '0' | '1';
  /** {EVENT.UPDATE.STATUS}: "1" for an update operation (acknowledge, comment, severity change). */
  event_update_status?: '0' | '1';
  /** {EVENT.RECOVERY.ID}: the recovery event, empty in problem notifications. */
  event_recovery_id?: string;
  event_name?: string;
  /** {EVENT.SEVERITY}: the severity's name, in the Zabbix frontend's language. */
  event_severity?: string;
  /** {EVENT.NSEVERITY}: 0 Not classified … 5 Disaster, language-independent. */
  event_nseverity?: string;
  /** {EVENT.TAGSJSON}, parsed. */
  event_tags?: Array<{ tag: string; value: string }>;
  host_name?: string;
  trigger_id?: string;
  trigger_name?: string;
  subject?: string;
  message?: string;
}

/** {EVENT.NSEVERITY} → the English severity names, so a company's severityMap needs only those. */
export const ZABBIX_SEVERITY_NAMES = [
  'not classified',
  'information',
  'warning',
  'average',
  'high',
  'disaster',
] as const;
const TEXT_FIELDS = [
  'event_name',
  'event_severity',
  'event_nseverity',
  'host_name',
  'trigger_id',
  'trigger_name',
  'subject',
  'message',
];

function readFlag(shape: Shape, root: Record<string, unknown>, key: string, required: boolean): '0' | '1' | undefined {
  const v = shape.string(root, key, '', required);
  if (v === undefined || v === '0' || v === '1') return v;
  shape.fail(key, `${key} must be "0" or "1"`);
  return undefined;
}

function readTags(shape: Shape, tags: unknown): Array<[string, string]> {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) {
    shape.fail('event_tags', 'event_tags must be an array of {"tag","value"} ({EVENT.TAGSJSON})');
    return [];
  }
  const out: Array<[string, string]> = [];
  tags.forEach((t, i) => {
    const at = joinPath('event_tags', i);
    if (!isRecord(t) || typeof t.tag !== 'string' || (t.value !== undefined && typeof t.value !== 'string')) {
      shape.fail(at, `${at} must be an object {"tag": string, "value": string}`);
    } else {
      out.push([t.tag, typeof t.value === 'string' ? t.value : '']);
    }
  });
  return out;
}

/** Tags with one name given twice ("service:a", "service:b") keep both values, comma-separated. */
function tagLabels(tags: Array<[string, string]>): Record<string, string> {
  const merged = new Map<string, string>();
  for (const [k, v] of tags) merged.set(k, merged.has(k) ? `${merged.get(k)},${v}` : v);
  return boundLabels(merged);
}

/**
 * Media type body → alerts. A problem fires, a recovery resolves the problem with the same event id.
 * Update operations (acknowledge, comment) change nothing about the condition and map to no alert.
 */
export function mapZabbix(body: unknown, mapping?: ReceiverMapping): ReceiverResult {
  const shape = new Shape();
  const root = shape.object(body, '', true);
  if (!root) return { ok: false, errors: shape.errors };
  const eventId = shape.string(root, 'event_id', '', true);
  if (eventId !== undefined && !/^\d+$/.test(eventId)) shape.fail('event_id', 'event_id must be a number ({EVENT.ID})');
  const value = readFlag(shape, root, 'event_value', true);
  const update = readFlag(shape, root, 'event_update_status', false);
  const f: Record<string, string | undefined> = {};
  for (const key of TEXT_FIELDS) f[key] = shape.string(root, key, '');
  const tags = readTags(shape, root.event_tags);
  if (shape.errors.length || eventId === undefined || value === undefined) return { ok: false, errors: shape.errors };
  if (update === '1') return { ok: true, alerts: [] };

  const labels = tagLabels(tags);
  const nseverity = Number(f.event_nseverity);
  const mapped = applyMapping(labels, mapping, {
    asset: f.host_name ?? UNKNOWN_ASSET,
    signature: f.trigger_name ?? f.event_name ?? (f.trigger_id ? `zabbix_trigger_${f.trigger_id}` : 'zabbix_problem'),
    severityCandidates: [ZABBIX_SEVERITY_NAMES[nseverity], f.event_severity],
    severity: 'medium',
  });
  const status: AlertStatus = value === '1' ? 'firing' : 'resolved';
  const alert: NormalizedAlert = finishAlert({
    ...mapped,
    message: f.message ?? f.subject ?? f.event_name ?? mapped.signature,
    toolSource: 'Zabbix',
    status,
    sourceKey: `zabbix:${eventId}`,
    sourceDeliveryId: `zabbix:${eventId}:${value}`,
    labels,
  });
  const errors = checkAlert(alert, '');
  return errors.length ? { ok: false, errors } : { ok: true, alerts: [alert] };
}
