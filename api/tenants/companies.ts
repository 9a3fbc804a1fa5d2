// Client companies: create, rename, settings, archive. Settings are validated against the one schema in
// domain/company-settings.ts before they are stored; readers apply the install's defaults to unset keys.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { limitsAboveCeiling } from '../../domain/blast-radius.ts';
import { mergeCompanySettings, parseCompanySettings, type CompanySettings } from '../../domain/company-settings.ts';
import type { Config } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { rateAboveCeiling } from '../rate-limit.ts';
import { audit, type Actor } from './audit.ts';
import { checkWebhookUrls, keepSealedWebhooks, readableSettings, sealWebhooks } from './chat-webhooks.ts';
import { invalid, TenantError } from './errors.ts';

export interface CompanyRecord {
  id: string;
  name: string;
  settings: CompanySettings;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Hint of the current HMAC signing secret; null when deliveries need no signature. */
  hmacSecretHint: string | null;
  hmacPreviousExpiresAt: string | null;
}

const COLUMNS = (sql: Sql) => sql`
  id, name, settings, archived_at AS "archivedAt", created_at AS "createdAt", updated_at AS "updatedAt",
  hmac_secret_hint AS "hmacSecretHint", hmac_previous_expires_at AS "hmacPreviousExpiresAt"`;

export async function listCompanies(
  sql: Sql,
  scope: string[] | null,
  opts: { includeArchived: boolean },
): Promise<CompanyRecord[]> {
  return sql<CompanyRecord[]>`
    SELECT ${COLUMNS(sql)} FROM companies
    WHERE ${scope === null ? sql`true` : sql`id = ANY(${scope})`}
      ${opts.includeArchived ? sql`` : sql`AND archived_at IS NULL`}
    ORDER BY lower(name), id`;
}

export async function getCompany(sql: Sql, scope: string[] | null, id: string): Promise<CompanyRecord | null> {
  if (scope !== null && !scope.includes(id)) return null;
  const [row] = await sql<CompanyRecord[]>`SELECT ${COLUMNS(sql)} FROM companies WHERE id = ${id}`;
  return row ?? null;
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 120) throw invalid([{ field: 'name', message: 'must be 1–120 characters' }]);
  return n;
}

/** What the install lets a company's settings ask for (lib/config.ts); the schema alone cannot know it. */
export type SettingsLimits = Pick<Config, 'webhookRatePerMinuteMax' | 'outboundAllowPrivate' | 'blastRadiusCeilings'>;

function checkSettings(input: unknown, limits: SettingsLimits): CompanySettings {
  const r = parseCompanySettings(input);
  if (!r.ok) throw invalid(r.errors.map((e) => ({ field: `settings.${e.field}`, message: e.message })));
  const above = rateAboveCeiling(r.settings.webhookRatePerMinute, limits.webhookRatePerMinuteMax);
  if (above) throw invalid([{ field: 'settings.webhookRatePerMinute', message: above }]);
  const lifted = limitsAboveCeiling(r.settings.remediation, limits.blastRadiusCeilings);
  if (lifted.length) throw invalid(lifted.map((p) => ({ field: `settings.${p.field}`, message: p.message })));
  return r.settings;
}

/** Chat webhook URLs given in clear must reach a public address (unless the install allows more). */
function checkOutbound(settings: Record<string, unknown> | null | undefined, limits: SettingsLimits): Promise<void> {
  return checkWebhookUrls(settings ?? {}, { allowPrivate: limits.outboundAllowPrivate });
}

/**
 * A rate stored before the ceiling (0, once "unlimited", or above it) is read as the ceiling already
 * (api/rate-limit.ts); saving it as such keeps an unrelated change from being refused for a value nobody typed.
 */
function withRateInBounds(settings: CompanySettings, ceiling: number): CompanySettings {
  const rate = settings.webhookRatePerMinute;
  if (rate === undefined || (rate >= 1 && rate <= ceiling)) return settings;
  return { ...settings, webhookRatePerMinute: ceiling };
}

export async function createCompany(
  sql: Sql,
  actor: Actor,
  input: { name: string; settings?: Record<string, unknown> },
  box: SecretBox,
  limits: SettingsLimits,
): Promise<CompanyRecord> {
  const name = checkName(input.name);
  const settings = sealWebhooks(checkSettings(keepSealedWebhooks(input.settings ?? {}, {}), limits), box);
  await checkOutbound(input.settings, limits);
  const id = `comp-${randomUUID()}`;
  return sql.begin(async (tx) => {
    const [taken] = await tx`SELECT 1 FROM companies WHERE lower(name) = lower(${name}) AND archived_at IS NULL`;
    if (taken) throw invalid([{ field: 'name', message: `a company named "${name}" already exists` }]);
    const [row] = await tx<CompanyRecord[]>`
      INSERT INTO companies (id, name, settings) VALUES (${id}, ${name}, ${tx.json(settings as never)})
      RETURNING ${COLUMNS(sql)}`;
    await audit(tx, actor, {
      companyId: id,
      action: 'company.created',
      targetType: 'company',
      targetId: id,
      data: { name },
    });
    return row!;
  });
}

export async function updateCompany(
  sql: Sql,
  actor: Actor,
  id: string,
  input: { name?: string | null; settings?: Record<string, unknown> | null },
  box: SecretBox,
  limits: SettingsLimits,
): Promise<CompanyRecord> {
  // Before the transaction: it may wait on DNS, and holds no lock while it does.
  await checkOutbound(input.settings, limits);
  return sql.begin(async (tx) => {
    const [current] = await tx<{ name: string; settings: CompanySettings }[]>`
      SELECT name, settings FROM companies WHERE id = ${id} FOR UPDATE`;
    if (!current) throw new TenantError('NOT_FOUND', `Company ${id} not found`);
    const name = input.name != null ? checkName(input.name) : current.name;
    // A partial change: keys given replace theirs, keys given as null return to the install's default.
    const stored = withRateInBounds(current.settings, limits.webhookRatePerMinuteMax);
    const settings = input.settings
      ? sealWebhooks(
          checkSettings(keepSealedWebhooks(mergeCompanySettings(stored, input.settings), current.settings), limits),
          box,
        )
      : current.settings;
    const [row] = await tx<CompanyRecord[]>`
      UPDATE companies SET name = ${name}, settings = ${tx.json(settings as never)}, updated_at = now()
      WHERE id = ${id} RETURNING ${COLUMNS(sql)}`;
    const changed = Object.keys(input.settings ?? {});
    await audit(tx, actor, {
      companyId: id,
      action: 'company.updated',
      targetType: 'company',
      targetId: id,
      data: {
        ...(name !== current.name ? { name: { from: current.name, to: name } } : {}),
        ...(changed.length
          ? {
              settings: Object.fromEntries(
                changed.map((k) => [
                  k,
                  {
                    from: readableSettings(current.settings)[k as keyof CompanySettings] ?? null,
                    to: readableSettings(settings)[k as keyof CompanySettings] ?? null,
                  },
                ]),
              ),
            }
          : {}),
      },
    });
    return row!;
  });
}

export async function setCompanyArchived(
  sql: Sql,
  actor: Actor,
  id: string,
  archived: boolean,
): Promise<CompanyRecord> {
  return sql.begin(async (tx) => {
    // Archiving stops its integration keys at once (the key cache skips archived companies); data stays.
    const [row] = await tx<CompanyRecord[]>`
      UPDATE companies SET archived_at = ${archived ? sql`now()` : null}, updated_at = now()
      WHERE id = ${id} RETURNING ${COLUMNS(sql)}`;
    if (!row) throw new TenantError('NOT_FOUND', `Company ${id} not found`);
    await audit(tx, actor, {
      companyId: id,
      action: archived ? 'company.archived' : 'company.restored',
      targetType: 'company',
      targetId: id,
    });
    return row;
  });
}
