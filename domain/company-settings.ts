// Every per-company setting in one typed, validated place. The dashboard edits these, the ingest path,
// the incident workflow's activities and remediation read them; unset fields fall back to the install's
// defaults (environment), so a company only stores what it changes.
import { z } from 'zod';
import { HHMM, maintenanceWindowSchema } from './silences.ts';
import { DAYS } from './wall-clock.ts';
import { AUTO_APPROVE_LEVELS } from './rules.ts';
import { SEVERITIES } from './types.ts';

const minutesBySeverity = z
  .object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().min(1).max(43_200).optional()])))
  .strict();

const labelList = z.array(z.string().min(1).max(128)).max(10);

const receiverMapping = z
  .object({
    assetFrom: labelList.optional(),
    signatureFrom: labelList.optional(),
    severityFrom: labelList.optional(),
    severityMap: z.record(z.string().min(1).max(64), z.enum(SEVERITIES)).optional(),
  })
  .strict();

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const companySettingsSchema = z
  .object({
    /** IANA zone for business hours, on-call rotations and times in notifications. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"').optional(),
    /** Seconds an incident waits for related alerts before deciding (Alertmanager's group_wait). */
    groupWaitSeconds: z.number().int().min(0).max(3_600).optional(),
    /** Which alerts become one incident (domain/correlate.ts); unset fields take DEFAULT_CORRELATION. */
    correlation: z
      .object({
        autoCorrelate: z.boolean().optional(),
        keyFields: z
          .array(
            z
              .string()
              .regex(
                /^(asset|signature|tool|label:[A-Za-z_][A-Za-z0-9_.-]{0,63})$/,
                'must be asset, signature, tool or label:<name>',
              ),
          )
          .min(1)
          .max(5)
          .refine((f) => new Set(f).size === f.length, 'must not repeat a field')
          .optional(),
        windowMinutes: z.number().int().min(1).max(60).optional(),
        minAlerts: z.number().int().min(1).max(100).optional(),
        hostFaults: z.boolean().optional(),
        crossTool: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Seconds a risky runbook waits for a human before the incident escalates. */
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional(),
    /** Alerts a minute accepted from this company, up to the install's WEBHOOK_RATE_PER_MINUTE_MAX (checked on save). */
    webhookRatePerMinute: z.number().int().min(1).max(1_000_000).optional(),
    /** Whether an incident whose alerts all recovered at source resolves itself (never while a runbook runs). */
    autoResolveAtSource: z.boolean().optional(),
    sla: z
      .object({
        responseMinutes: minutesBySeverity.optional(),
        resolutionMinutes: minutesBySeverity.optional(),
        /** Only these hours count toward the deadlines, in `timeZone` (default UTC). */
        businessHours: z
          .object({
            days: z.array(z.enum(DAYS)).min(1).max(7),
            start: z.string().regex(HHMM, 'must be HH:MM'),
            end: z.string().regex(HHMM, 'must be HH:MM'),
          })
          .strict()
          .refine((h) => h.end > h.start, { message: 'must end after it starts, on the same day', path: ['end'] })
          .optional(),
      })
      .strict()
      .optional(),
    /**
     * The AWS region this company's runbooks run in. No endpoint: the worker signs SSM calls with the install's
     * credentials, so where they go is install configuration (SSM_ENDPOINT), and `ssm.endpoint` is refused.
     */
    ssm: z
      .object({
        region: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-west-1"')
          .optional(),
      })
      .strict()
      .optional(),
    /**
     * The blast-radius guard (domain/blast-radius.ts): runbook runs per asset and per runbook in an hour, and at once.
     * Unset = the install's defaults; the install's ceilings bound what may be asked for (checked on save).
     */
    remediation: z
      .object({
        maxRunsPerAssetPerHour: z.number().int().min(1).max(1_000).optional(),
        maxRunsPerRunbookPerHour: z.number().int().min(1).max(10_000).optional(),
        maxConcurrentRuns: z.number().int().min(1).max(1_000).optional(),
      })
      .strict()
      .optional(),
    /** Patch compliance (activities/patch-compliance.ts). */
    patches: z
      .object({
        /**
         * An instance missing critical patches raises an alert (signature patch_critical_missing) through the normal
         * alert path, once per Patch Manager scan, so an incident opens as for any monitor's alert. Default false.
         */
        openIncidents: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** The monthly client report (workflows/monthly-report.ts). */
    reports: z
      .object({
        /** Last month's report mailed to the company admins on the 1st (UTC). Default true; false turns it off. */
        monthlyEmail: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Who may approve a waiting runbook, beyond the roles (domain/rules.ts canApprove). */
    approval: z
      .object({
        /** Four-eyes: whoever asked for a run by hand (runRunbook) cannot approve it. Default false. */
        fourEyes: z.boolean().optional(),
        /**
         * The highest risk that runs without a person: 'none' (every run waits), 'low' (the default) or 'medium';
         * high risk always waits. Outcome memory still holds back a runbook failing on the asset (domain/rules.ts).
         */
        autoApproveUpTo: z.enum(AUTO_APPROVE_LEVELS).optional(),
      })
      .strict()
      .optional(),
    notifications: z
      .object({
        /** Who hears about this company's incidents by email when no on-call rotation says otherwise. */
        emails: z.array(z.email()).max(20).optional(),
        /** The lowest severity that notifies at all. */
        minSeverity: z.enum(SEVERITIES).optional(),
        /** Chat channels told about every escalation: Slack-compatible or Microsoft Teams incoming webhooks. */
        webhooks: z
          .array(
            z
              .object({
                name: z.string().min(1).max(60),
                format: z.enum(['slack', 'teams']),
                /** Given to set or change it; kept sealed (the path is the channel's credential), never read back. */
                url: z
                  .url({ protocol: /^https?$/ })
                  .max(500)
                  .optional(),
                urlSealed: z.string().max(2_000).optional(),
                /** Where it points without its secret path, shown in its place. */
                urlHint: z.string().max(200).optional(),
              })
              .strict()
              .refine((w) => w.url !== undefined || w.urlSealed !== undefined, {
                message: 'give its URL',
                path: ['url'],
              }),
          )
          .max(10)
          .refine((w) => new Set(w.map((x) => x.name)).size === w.length, 'names must differ')
          .optional(),
      })
      .strict()
      .optional(),
    onCall: z
      .object({
        /** Minutes the person given an incident has to acknowledge it before the next in line gets it. */
        ackTimeoutMinutes: z.number().int().min(1).max(1_440).optional(),
      })
      .strict()
      .optional(),
    /** Recurring windows (in `timeZone`, default UTC) whose alerts are stored but page nobody. */
    maintenanceWindows: z.array(maintenanceWindowSchema).max(20).optional(),
    /** Who decides this company's incidents (activities/decision.ts); unset = the rules alone. */
    decision: z
      .object({
        /** rules, or an LLM the install has a key for (GEMINI_API_KEY; Bedrock through the AWS credential chain). */
        provider: z.enum(['rules', 'gemini', 'bedrock']).optional(),
        /** The provider's model id, e.g. "gemini-2.0-flash" or "anthropic.claude-3-haiku-20240307-v1:0". */
        model: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, 'must be a model id such as "gemini-2.0-flash"')
          .optional(),
        /** An answer less confident than this goes to the rules instead (0–1, default 0.6). */
        minConfidence: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** Per-receiver overrides of the payload mapping (docs/receivers.md). */
    receivers: z.record(z.string(), receiverMapping).optional(),
  })
  .strict();

export type CompanySettings = z.infer<typeof companySettingsSchema>;

export interface SettingsError {
  /** Dotted path, e.g. "sla.responseMinutes.critical", for the dashboard to show next to the field. */
  field: string;
  message: string;
}

export type SettingsResult = { ok: true; settings: CompanySettings } | { ok: false; errors: SettingsError[] };

export function parseCompanySettings(input: unknown): SettingsResult {
  const r = companySettingsSchema.safeParse(input);
  if (r.success) return { ok: true, settings: r.data };
  return {
    ok: false,
    errors: r.error.issues.flatMap((i) =>
      // An unknown key is named itself, so a typo ("groupWaitSecond") is marked where it was made.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ field: [...i.path.map(String), k].join('.'), message: 'is not a setting' }))
        : [{ field: i.path.map(String).join('.') || '(settings)', message: i.message }],
    ),
  };
}

/** Applies a partial change: a key set to null goes back to the install's default. */
export function mergeCompanySettings(
  current: CompanySettings,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}
