// The tenant administration shapes the dashboard's components are written against; DateTime is an ISO string. Enums
// come from generated.ts (from schema.graphql); conformance.ts checks the server's answers fit these.
import type { Criticality, KeyReceiver, KeySigning } from './generated'
import type { Role, Severity } from './types'

/** domain/company-settings.ts: only what a company changed; unset keys take the install's defaults. */
export interface CompanySettings {
  timeZone?: string
  groupWaitSeconds?: number
  correlation?: {
    autoCorrelate?: boolean
    keyFields?: string[]
    windowMinutes?: number
    minAlerts?: number
    hostFaults?: boolean
    crossTool?: boolean
  }
  approvalTimeoutSeconds?: number
  webhookRatePerMinute?: number
  autoResolveAtSource?: boolean
  sla?: {
    responseMinutes?: Partial<Record<Severity, number>>
    resolutionMinutes?: Partial<Record<Severity, number>>
    businessHours?: { days: string[]; start: string; end: string }
  }
  onCall?: { ackTimeoutMinutes?: number }
  /** The SSM endpoint is install configuration (SSM_ENDPOINT), not a company setting. */
  ssm?: { region?: string }
  /** The blast-radius guard; unset = the install's defaults, never above its ceilings. */
  /** Four-eyes: whoever asked for a run by hand may not approve it. */
  approval?: { fourEyes?: boolean; autoApproveUpTo?: 'none' | 'low' | 'medium' }
  remediation?: { maxRunsPerAssetPerHour?: number; maxRunsPerRunbookPerHour?: number; maxConcurrentRuns?: number }
  notifications?: {
    emails?: string[]
    minSeverity?: Severity
    /** Read back with `urlHint` only; sent with `url` to set or change it, without to keep the stored one. */
    webhooks?: Array<{ name: string; url?: string; urlHint?: string; format: 'slack' | 'teams' }>
  }
  maintenanceWindows?: MaintenanceWindow[]
  /** Last month's report mailed to the company admins on the 1st; unset = on. */
  reports?: { monthlyEmail?: boolean }
  /** Who decides incidents; unset = the rules. */
  decision?: { provider?: 'rules' | 'gemini' | 'bedrock'; model?: string; minConfidence?: number }
  receivers?: Record<string, unknown>
}

export interface CompanySummary {
  id: string
  name: string
  archivedAt: string | null
  createdAt: string
}

export interface CompanyDetail extends CompanySummary {
  settings: CompanySettings
  signingSecretHint: string | null
  previousSigningSecretExpiresAt: string | null
}

export interface IntegrationKey {
  id: string
  name: string
  keyHint: string
  createdAt: string
  lastUsedAt: string | null
  expiresAt: string | null
  revokedAt: string | null
  signing: KeySigning
  /** The one receiver the key works on; null = every receiver. */
  receiver: KeyReceiver | null
  active: boolean
}

/** domain/key-policy.ts: may the tools that cannot sign use a key while the company has a signing secret. */
export type { KeyReceiver, KeySigning } from './generated'
export const KEY_RECEIVER_LABELS: Record<KeyReceiver, string> = {
  alerts: 'Generic JSON',
  alertmanager: 'Prometheus Alertmanager',
  grafana: 'Grafana',
  events_v2: 'PagerDuty Events v2 senders',
  datadog: 'Datadog',
  zabbix: 'Zabbix',
  cloudwatch: 'CloudWatch (SNS)',
}
export interface KeyPolicy {
  signing: KeySigning
  receiver: KeyReceiver | null
}

export interface WebhookUrl {
  receiver: string
  tool: string
  url: string
}

export interface IssuedKey {
  key: IntegrationKey
  apiKey: string
  webhookUrls: WebhookUrl[]
}

export interface SigningSecret {
  secret: string
  example: string
}

export type { Criticality } from './generated'
export const CRITICALITIES: Criticality[] = ['low', 'medium', 'high', 'critical']

export interface Asset {
  name: string
  instanceId: string | null
  assetType: string
  os: string | null
  tags: string[]
  criticality: Criticality
  createdAt: string
}

export interface AssetInput {
  name: string
  instanceId: string | null
  assetType: string | null
  os: string | null
  tags: string[]
  criticality: Criticality
}

export interface UnregisteredAsset {
  name: string
  alertCount: number
  lastSeenAt: string
  toolSources: string[]
}

export interface Person {
  id: string
  email: string
  name: string
  role: Role
  companyIds: string[]
  categories: string[]
  disabledAt: string | null
  invitePending: boolean
  lastSeenAt: string | null
  createdAt: string
}

export interface PasswordLink {
  person: Person
  url: string
  /** Null without SMTP_URL; otherwise whether the email went out */
  email: { sent: boolean; error: string | null } | null
}

export interface AuditEntry {
  id: string
  at: string
  companyId: string | null
  actorEmail: string | null
  action: string
  targetType: string | null
  targetId: string | null
  ip: string | null
  data: Record<string, unknown>
}

export interface AuditFilters {
  companyId: string
  action: string
  actorEmail: string
  /** datetime-local values, converted to ISO when sent */
  from: string
  to: string
}

export interface SessionInfo {
  id: string
  createdAt: string
  lastSeenAt: string
  expiresAt: string
  ip: string | null
  userAgent: string | null
  current: boolean
}

export interface Matcher {
  field: string
  op: string
  value: string
}

export interface MaintenanceWindow {
  name: string
  days: string[]
  start: string
  end: string
  matchers?: Matcher[]
}

export interface Silence {
  id: string
  companyId: string
  matchers: Matcher[]
  startsAt: string
  endsAt: string
  effectiveEndsAt: string
  comment: string
  createdBy: string
  createdAt: string
  untilResolved: string | null
  state: 'pending' | 'active' | 'expired'
  mutedCount: number
  /** Why a pattern saved before RE2 was required mutes nothing; null when it is valid. */
  invalidReason: string | null
}

export interface MutedAlert {
  id: string
  assetName: string
  signature: string
  severity: Severity
  toolSource: string
  message: string
  receivedAt: string
  mutedByKind: 'silence' | 'maintenance'
  silenceId: string | null
  maintenanceWindow: string | null
}

export interface SilenceInput {
  companyId: string
  matchers: Matcher[]
  durationMinutes?: number
  untilResolved?: string
  comment: string
}

/** Alertmanager-style: while an alert matching `sourceMatchers` fires, alerts matching `targetMatchers` that share
 * the values of every `equal` field are held (stored, attached to the source's incident, paged to nobody). */
export interface InhibitionRule {
  id: string
  companyId: string
  name: string
  sourceMatchers: Matcher[]
  targetMatchers: Matcher[]
  /** Matcher fields (asset, signature, tool, severity, label:<name>) whose values source and target share. */
  equal: string[]
  comment: string
  createdBy: string
  createdAt: string
  /** Alerts it inhibited, released or not. */
  inhibitedCount: number
  /** Why a rule saved before its patterns were judged holds nothing; null when it is valid. */
  invalidReason: string | null
}

export interface InhibitionRuleInput {
  companyId: string
  name: string
  sourceMatchers: Matcher[]
  targetMatchers: Matcher[]
  equal: string[]
  comment?: string
}
