// Integration key → company, cached. Every delivery needs this lookup and keys change rarely, so each process
// keeps recent answers (unknown keys too, briefly, so a flood of bad keys does not reach the database).
// Triggers on companies and integration_keys NOTIFY company_changed; the cache drops everything then, and a
// TTL bounds staleness should the LISTEN connection be lost. Signing secrets are opened here, once per load.
// A change made through this process's own GraphQL API also clears its caches at once (dropCachedKeys), so the
// next delivery sees it without waiting for the notification to come round.
import type { Sql } from '../../db/sql.ts';
import { hashApiKey } from '../../domain/api-keys.ts';
import type { KeyPolicy } from '../../domain/key-policy.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { companyRatePerMinute } from '../rate-limit.ts';
import type { ReceiverMapping } from '../receivers/types.ts';

export const COMPANY_CHANGED_CHANNEL = 'company_changed';

export interface IngestCompany {
  id: string;
  keyId: string;
  /** Signing secrets to accept: the current one, then a rotated one still inside its overlap. Empty = unsigned. */
  hmacSecrets: string[];
  /** Alerts a minute for this company; 0 = unlimited. */
  ratePerMinute: number;
  mappings: Partial<Record<string, ReceiverMapping>>;
  /** This key's signing policy and receiver limit, held in the same entry so the check costs no query. */
  policy: KeyPolicy;
}

/** The caches of this process, for dropCachedKeys. */
const live = new Set<CompanyKeyCache>();

/** Drops every cached key answer in this process: called after a key or its policy changed here. */
export function dropCachedKeys(): void {
  for (const cache of live) cache.clear();
}

interface Entry {
  company: IngestCompany | null;
  expiresAt: number;
}

interface Loaded {
  company: IngestCompany;
  /** When this answer stops being true on its own: a key's or a rotated secret's overlap ends (epoch ms). */
  validUntil: number | null;
}

export interface CompanyKeyCacheOptions {
  sql: Sql;
  secrets: SecretBox;
  defaultRatePerMinute: number;
  /** WEBHOOK_RATE_PER_MINUTE_MAX: no company setting goes above it (an old stored 0 means it). */
  maxRatePerMinute: number;
  ttlMs?: number;
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class CompanyKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Loaded | null>>();
  /** When each key's last_used_at was last written by this process. */
  private readonly touched = new Map<string, number>();
  private unlisten: (() => Promise<void>) | null = null;
  /** Bumped by clear(): a load that began before a change must not put its answer back afterwards. */
  private generation = 0;

  constructor(private readonly opts: CompanyKeyCacheOptions) {}

  async start(): Promise<void> {
    const sub = await this.opts.sql.listen(
      COMPANY_CHANGED_CHANNEL,
      () => this.clear(),
      () => this.clear(),
    );
    this.unlisten = () => sub.unlisten();
    live.add(this);
  }

  async stop(): Promise<void> {
    live.delete(this);
    await this.unlisten?.().catch(() => undefined);
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.inflight.clear();
  }

  async lookup(apiKey: string): Promise<IngestCompany | null> {
    const hash = hashApiKey(apiKey);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.entries.get(hash);
    if (hit && hit.expiresAt > now) {
      // Map order doubles as recency: re-inserting keeps hot keys from being evicted first.
      this.entries.delete(hash);
      this.entries.set(hash, hit);
      if (hit.company) this.touch(hit.company.keyId, now);
      return hit.company;
    }
    // Concurrent misses for one key share one query.
    const generation = this.generation;
    let pending = this.inflight.get(hash);
    if (!pending) {
      const started = this.load(hash).finally(() => {
        if (this.inflight.get(hash) === started) this.inflight.delete(hash);
      });
      pending = started;
      this.inflight.set(hash, pending);
    }
    const loaded = await pending;
    const company = loaded?.company ?? null;
    // Cleared while loading: the answer may predate the change; use it for this request only.
    if (generation !== this.generation) return company;
    const ttl = company ? (this.opts.ttlMs ?? 60_000) : (this.opts.negativeTtlMs ?? 5_000);
    const expiresAt = Math.min(now + ttl, loaded?.validUntil ?? Infinity);
    this.entries.delete(hash);
    this.entries.set(hash, { company, expiresAt });
    if (company) this.touch(company.keyId, now);
    const max = this.opts.maxEntries ?? 10_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
    return company;
  }

  /** last_used_at, written at most once a minute per key and process, off the request's path. */
  private touch(keyId: string, now: number): void {
    if ((this.touched.get(keyId) ?? 0) > now - 60_000) return;
    this.touched.set(keyId, now);
    if (this.touched.size > (this.opts.maxEntries ?? 10_000)) this.touched.clear();
    this.opts.sql`
      UPDATE integration_keys SET last_used_at = now()
      WHERE id = ${keyId} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`.catch(() => {
      // Not written (the database busy or away): the key's next use tries again rather than a minute later.
      if (this.touched.get(keyId) === now) this.touched.delete(keyId);
    });
  }

  private async load(hash: string): Promise<Loaded | null> {
    const [row] = await this.opts.sql<
      {
        id: string;
        keyId: string;
        keyExpiresAt: string | null;
        hmacSecretSealed: string | null;
        hmacPreviousSealed: string | null;
        hmacPreviousExpiresAt: string | null;
        settings: { webhookRatePerMinute?: number; receivers?: IngestCompany['mappings'] };
        signing: KeyPolicy['signing'];
        receiver: KeyPolicy['receiver'];
      }[]
    >`
      SELECT c.id, k.id AS "keyId", k.expires_at AS "keyExpiresAt", c.hmac_secret_sealed AS "hmacSecretSealed",
             c.hmac_previous_sealed AS "hmacPreviousSealed", c.hmac_previous_expires_at AS "hmacPreviousExpiresAt",
             c.settings, k.signing, k.receiver
      FROM integration_keys k JOIN companies c ON c.id = k.company_id
      WHERE k.key_hash = ${hash} AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
        AND c.archived_at IS NULL`;
    if (!row) return null;
    const rate = row.settings?.webhookRatePerMinute;
    const previousEnds = row.hmacPreviousExpiresAt ? Date.parse(row.hmacPreviousExpiresAt) : 0;
    const previousLive = row.hmacPreviousSealed !== null && previousEnds > Date.now();
    const hmacSecrets = [row.hmacSecretSealed, previousLive ? row.hmacPreviousSealed : null]
      .filter((s): s is string => s !== null)
      .map((s) => this.opts.secrets.open(s));
    const ends = [row.keyExpiresAt ? Date.parse(row.keyExpiresAt) : null, previousLive ? previousEnds : null].filter(
      (t) => t !== null,
    );
    return {
      company: {
        id: row.id,
        keyId: row.keyId,
        hmacSecrets,
        ratePerMinute: companyRatePerMinute(rate, this.opts.defaultRatePerMinute, this.opts.maxRatePerMinute),
        mappings: row.settings?.receivers ?? {},
        policy: { signing: row.signing, receiver: row.receiver },
      },
      validUntil: ends.length > 0 ? Math.min(...ends) : null,
    };
  }
}
