// A chat webhook's URL is the channel's credential (anyone holding a Slack or Teams incoming-webhook URL can post
// there), so like a signing secret it is sealed with ENCRYPTION_KEY in the company's settings and never read back:
// the API shows a hint in its place, the worker opens it to deliver (activities/notify.ts). Saving a webhook
// without a URL keeps the one stored under its name, so the settings form round-trips without ever holding it.
import type { Sql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { checkOutboundUrl, OutboundRefused, type OutboundPolicy } from '../../lib/outbound.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { invalid, type FieldProblem } from './errors.ts';

type Webhook = NonNullable<NonNullable<CompanySettings['notifications']>['webhooks']>[number];
const FIELD = 'settings.notifications.webhooks';

const webhooksOf = (s: Record<string, unknown>): unknown =>
  (s.notifications as { webhooks?: unknown } | undefined)?.webhooks;

function withWebhooks<T extends Record<string, unknown>>(s: T, webhooks: unknown[]): T {
  return { ...s, notifications: { ...(s.notifications as object), webhooks } };
}

/** Scheme, host and the URL's last four characters: enough to tell two channels apart, useless to post with. */
export function urlHint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…${url.slice(-4)}`;
  } catch {
    return `…${url.slice(-4)}`;
  }
}

/**
 * Before the settings are checked: a webhook given without a URL takes the sealed one stored under its name, and
 * whatever sealed value or hint a caller sent is dropped (only the API seals).
 */
export function keepSealedWebhooks(next: Record<string, unknown>, current: CompanySettings): Record<string, unknown> {
  const given = webhooksOf(next);
  if (!Array.isArray(given)) return next;
  const stored = current.notifications?.webhooks ?? [];
  return withWebhooks(
    next,
    given.map((w: unknown, i) => {
      if (w === null || typeof w !== 'object') return w;
      const { urlSealed: _s, urlHint: _h, ...entry } = w as Record<string, unknown>;
      if (entry.url !== undefined && entry.url !== '') return entry;
      const same = stored.find((x) => x.name === entry.name);
      if (!same) throw invalid([{ field: FIELD, message: `webhook ${i + 1} ("${String(entry.name)}"): give its URL` }]);
      const { url: _u, ...rest } = entry;
      return same.urlSealed
        ? { ...rest, urlSealed: same.urlSealed, urlHint: same.urlHint ?? '' }
        : { ...rest, url: same.url };
    }),
  );
}

/** More than the settings schema allows are refused by it; none of them is looked up. */
const MAX_CHECKED = 10;

/**
 * Refuses, each under its own `url` field, the webhook URLs given in clear that the install's outbound policy
 * would not reach: a private, loopback, link-local or metadata address, a host that does not resolve, userinfo
 * (lib/outbound.ts). Stored (sealed) URLs are checked again at every send instead. Run outside any transaction:
 * it may wait on DNS.
 */
export async function checkWebhookUrls(next: Record<string, unknown>, policy: OutboundPolicy): Promise<void> {
  const given = webhooksOf(next);
  if (!Array.isArray(given) || given.length > MAX_CHECKED) return;
  const problems = await Promise.all(
    given.map(async (w: unknown, i): Promise<FieldProblem | null> => {
      const url = w !== null && typeof w === 'object' ? (w as { url?: unknown }).url : undefined;
      if (typeof url !== 'string' || url === '') return null;
      try {
        await checkOutboundUrl(url, policy);
        return null;
      } catch (err) {
        if (!(err instanceof OutboundRefused)) throw err;
        return { field: `${FIELD}.${i}.url`, message: err.message };
      }
    }),
  );
  const refused = problems.filter((p): p is FieldProblem => p !== null);
  if (refused.length > 0) throw invalid(refused);
}

/** After the settings are checked: every URL given in clear is sealed, with its hint beside it. */
export function sealWebhooks(settings: CompanySettings, box: SecretBox): CompanySettings {
  const hooks = settings.notifications?.webhooks;
  if (!hooks?.some((w) => w.url !== undefined)) return settings;
  return withWebhooks(
    settings,
    hooks.map((w) => sealOne(w, box)),
  ) as CompanySettings;
}

function sealOne(w: Webhook, box: SecretBox): Webhook {
  if (w.url === undefined) return w;
  const { url, ...rest } = w;
  return { ...rest, urlSealed: box.seal(url), urlHint: urlHint(url) };
}

/** The settings as anyone may read them (the dashboard, the audit log): webhooks show their hint only. */
export function readableSettings(settings: CompanySettings): CompanySettings {
  const hooks = settings.notifications?.webhooks;
  if (!hooks?.length) return settings;
  return withWebhooks(
    settings,
    hooks.map(({ url, urlSealed: _s, urlHint: hint, ...rest }) => ({
      ...rest,
      urlHint: hint ?? (url ? urlHint(url) : ''),
    })),
  ) as CompanySettings;
}

/** Seals webhook URLs stored in clear before they were sealed; run at API start, idempotent. */
export async function sealLegacyWebhooks(sql: Sql, box: SecretBox): Promise<number> {
  const rows = await sql<{ id: string; settings: CompanySettings }[]>`
    SELECT id, settings FROM companies
    WHERE jsonb_path_exists(settings, '$.notifications.webhooks[*] ? (exists(@.url))')`;
  for (const r of rows) {
    await sql`
      UPDATE companies SET settings = ${sql.json(sealWebhooks(r.settings, box) as never)}
      WHERE id = ${r.id} AND settings = ${sql.json(r.settings as never)}`;
  }
  return rows.length;
}
