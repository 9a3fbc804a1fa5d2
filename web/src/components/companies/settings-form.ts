// The Settings tab's form state: every key of domain/company-settings.ts as text, empty meaning "the install
// default", and back to the partial patch updateCompany takes (only the keys that changed; null = default).
import type { Severity } from '../../graphql/types'
import type { CompanySettings } from '../../graphql/tenant-types'
import type { FieldProblem } from '../../graphql/errors'
import { PAGING_FIELDS, pagingParts, toPagingForm, type PagingForm } from './paging-form'
import { DECISION_FIELDS, decisionParts, toDecisionForm, type DecisionForm } from './decision-form'

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low']

export const NUMBER_FIELDS = [
  { key: 'groupWaitSeconds', label: 'Group wait (seconds)', hint: 'Wait for related alerts before deciding; 0–3600' },
  {
    key: 'approvalTimeoutSeconds',
    label: 'Approval timeout (seconds)',
    hint: 'Then the incident escalates; 60–604800',
  },
  {
    key: 'webhookRatePerMinute',
    label: 'Webhook rate (alerts a minute)',
    hint: 'at least 1; the install sets the ceiling',
  },
] as const

type NumberKey = (typeof NUMBER_FIELDS)[number]['key']
type BySeverity = Record<Severity, string>

export interface SettingsForm {
  name: string
  timeZone: string
  numbers: Record<NumberKey, string>
  /** '' = default, 'true' | 'false' */
  autoResolveAtSource: string
  /** '' = default (off), 'true' | 'false' */
  fourEyes: string
  /** '' = default (low), else approval.autoApproveUpTo */
  autoApproveUpTo: '' | 'none' | 'low' | 'medium'
  responseMinutes: BySeverity
  resolutionMinutes: BySeverity
  ssmRegion: string
  remediation: Record<RemediationKey, string>
  /** one address per line, or separated by commas */
  emails: string
  minSeverity: Severity | ''
  /** reports.monthlyEmail: on unless the company turned it off. */
  monthlyEmail: boolean
  correlation: CorrelationForm
  paging: PagingForm
  decision: DecisionForm
}

/** domain/correlate.ts's configuration; '' = default, booleans as 'true' | 'false'. */
export interface CorrelationForm {
  autoCorrelate: string
  /** comma separated: asset, signature, tool, label:<name> */
  keyFields: string
  windowMinutes: string
  minAlerts: string
  hostFaults: string
  crossTool: string
}

/** The blast-radius guard (domain/blast-radius.ts); empty = the install default. */
export const REMEDIATION_NUMBERS = [
  { key: 'maxRunsPerAssetPerHour', label: 'Runs per asset per hour', hint: 'More escalate instead; default 3' },
  { key: 'maxRunsPerRunbookPerHour', label: 'Runs per runbook per hour', hint: 'Across assets; default 20' },
  { key: 'maxConcurrentRuns', label: 'Runs at once', hint: 'Across the company; default 5' },
] as const
type RemediationKey = (typeof REMEDIATION_NUMBERS)[number]['key']

export const CORRELATION_NUMBERS = [
  { key: 'windowMinutes', label: 'Window (minutes)', hint: 'Open this long after the last alert; 1–60, default 15' },
  { key: 'minAlerts', label: 'Minimum alerts', hint: 'Before an incident opens; 1–100, default 1' },
] as const
export const CORRELATION_SWITCHES = [
  { key: 'autoCorrelate', label: 'Auto-correlate', off: 'No: every alert is its own incident' },
  { key: 'hostFaults', label: 'Host faults take the host’s alerts', off: 'No' },
  { key: 'crossTool', label: 'Match one fault named by two tools', off: 'No: compare names as sent' },
] as const

const text = (v: number | string | boolean | undefined) => (v === undefined ? '' : String(v))
const bySeverity = (m: Partial<Record<Severity, number>> | undefined): BySeverity =>
  Object.fromEntries(SEVERITIES.map((s) => [s, text(m?.[s])])) as BySeverity

export function toForm(name: string, s: CompanySettings): SettingsForm {
  return {
    name,
    timeZone: s.timeZone ?? '',
    numbers: Object.fromEntries(NUMBER_FIELDS.map((f) => [f.key, text(s[f.key])])) as Record<NumberKey, string>,
    autoResolveAtSource: s.autoResolveAtSource === undefined ? '' : String(s.autoResolveAtSource),
    fourEyes: text(s.approval?.fourEyes),
    autoApproveUpTo: s.approval?.autoApproveUpTo ?? '',
    responseMinutes: bySeverity(s.sla?.responseMinutes),
    resolutionMinutes: bySeverity(s.sla?.resolutionMinutes),
    ssmRegion: s.ssm?.region ?? '',
    remediation: Object.fromEntries(REMEDIATION_NUMBERS.map((f) => [f.key, text(s.remediation?.[f.key])])) as Record<
      RemediationKey,
      string
    >,
    emails: (s.notifications?.emails ?? []).join('\n'),
    minSeverity: s.notifications?.minSeverity ?? '',
    monthlyEmail: s.reports?.monthlyEmail !== false,
    correlation: {
      autoCorrelate: text(s.correlation?.autoCorrelate),
      keyFields: (s.correlation?.keyFields ?? []).join(', '),
      windowMinutes: text(s.correlation?.windowMinutes),
      minAlerts: text(s.correlation?.minAlerts),
      hostFaults: text(s.correlation?.hostFaults),
      crossTool: text(s.correlation?.crossTool),
    },
    paging: toPagingForm(s),
    decision: toDecisionForm(s),
  }
}

/** Drops empty values; an object left empty is null (the default). */
function compact<T extends Record<string, unknown>>(o: T): T | null {
  const kept = Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== null)
  return kept.length ? (Object.fromEntries(kept) as T) : null
}

/** Whole numbers only; what the browser can check before the server checks the ranges. */
function checkNumbers(form: SettingsForm): FieldProblem[] {
  const problems: FieldProblem[] = []
  const check = (field: string, v: string) => {
    if (v.trim() !== '' && !/^\d+$/.test(v.trim())) problems.push({ field, message: 'must be a whole number' })
  }
  for (const f of NUMBER_FIELDS) check(f.key, form.numbers[f.key])
  for (const f of CORRELATION_NUMBERS) check(`correlation.${f.key}`, form.correlation[f.key])
  for (const f of REMEDIATION_NUMBERS) check(`remediation.${f.key}`, form.remediation[f.key])
  for (const s of SEVERITIES) {
    check(`sla.responseMinutes.${s}`, form.responseMinutes[s])
    check(`sla.resolutionMinutes.${s}`, form.resolutionMinutes[s])
  }
  return problems
}

function toSettings(form: SettingsForm): Record<string, unknown> {
  const int = (v: string) => (v.trim() === '' ? undefined : Number(v.trim()))
  const minutes = (m: BySeverity) => compact(Object.fromEntries(SEVERITIES.map((s) => [s, int(m[s])])))
  const emails = form.emails
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean)
  const paging = pagingParts(form.paging).parts
  return {
    timeZone: form.timeZone.trim() || null,
    ...Object.fromEntries(NUMBER_FIELDS.map((f) => [f.key, int(form.numbers[f.key]) ?? null])),
    autoResolveAtSource: form.autoResolveAtSource === '' ? null : form.autoResolveAtSource === 'true',
    approval: compact({
      fourEyes: form.fourEyes === '' ? undefined : form.fourEyes === 'true',
      autoApproveUpTo: form.autoApproveUpTo || undefined,
    }),
    sla: compact({
      responseMinutes: minutes(form.responseMinutes),
      resolutionMinutes: minutes(form.resolutionMinutes),
      businessHours: paging.businessHours,
    }),
    onCall: compact({ ackTimeoutMinutes: paging.ackTimeoutMinutes }),
    maintenanceWindows: paging.maintenanceWindows ?? null,
    ssm: compact({ region: form.ssmRegion.trim() }),
    remediation: compact(Object.fromEntries(REMEDIATION_NUMBERS.map((f) => [f.key, int(form.remediation[f.key])]))),
    notifications: compact({
      emails: emails.length ? emails : undefined,
      minSeverity: form.minSeverity,
      webhooks: paging.webhooks,
    }),
    // On is the default, so it is stored only when turned off.
    reports: form.monthlyEmail ? null : { monthlyEmail: false },
    correlation: correlationSettings(form.correlation, int),
    decision: decisionParts(form.decision).decision,
  }
}

/** The correlation part as settings; what the lab tries before anything is saved. */
export function correlationOf(c: CorrelationForm): Record<string, unknown> {
  return correlationSettings(c, (v) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined)) ?? {}
}

function correlationSettings(c: CorrelationForm, int: (v: string) => number | undefined) {
  const flag = (v: string) => (v === '' ? undefined : v === 'true')
  const fields = c.keyFields
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
  return compact({
    autoCorrelate: flag(c.autoCorrelate),
    keyFields: fields.length ? fields : undefined,
    windowMinutes: int(c.windowMinutes),
    minAlerts: int(c.minAlerts),
    hostFaults: flag(c.hostFaults),
    crossTool: flag(c.crossTool),
  })
}

/** The change to send, or the problems to show first. Unchanged keys are left out (the audit log stays clear). */
export function toPatch(
  before: SettingsForm,
  after: SettingsForm,
): { problems: FieldProblem[] } | { name?: string; settings?: Record<string, unknown> } {
  const problems = [
    ...checkNumbers(after),
    ...pagingParts(after.paging).problems,
    ...decisionParts(after.decision).problems,
  ]
  if (!after.name.trim()) problems.push({ field: 'name', message: 'is required' })
  if (problems.length) return { problems }
  const old = toSettings(before)
  const next = toSettings(after)
  const changed = Object.keys(next).filter((k) => JSON.stringify(old[k]) !== JSON.stringify(next[k]))
  return {
    ...(after.name.trim() !== before.name ? { name: after.name.trim() } : {}),
    ...(changed.length ? { settings: Object.fromEntries(changed.map((k) => [k, next[k]])) } : {}),
  }
}

export const KNOWN_FIELDS = [
  'name',
  'timeZone',
  ...NUMBER_FIELDS.map((f) => f.key),
  'autoResolveAtSource',
  'approval.fourEyes',
  'approval.autoApproveUpTo',
  ...SEVERITIES.flatMap((s) => [`sla.responseMinutes.${s}`, `sla.resolutionMinutes.${s}`]),
  'ssm.region',
  ...REMEDIATION_NUMBERS.map((f) => `remediation.${f.key}`),
  'notifications.emails',
  'notifications.minSeverity',
  ...PAGING_FIELDS,
  ...DECISION_FIELDS,
  ...['autoCorrelate', 'keyFields', 'windowMinutes', 'minAlerts', 'hostFaults', 'crossTool'].map(
    (k) => `correlation.${k}`,
  ),
]
