// API key → company, cached. Every delivery needs this lookup and keys change rarely, so each process
// keeps recent answers (unknown keys too, briefly, so a flood of bad keys does not reach the database).
// A trigger on companies NOTIFYs company_changed on any change; the cache drops everything then, and a
// TTL bounds staleness should the LISTEN connection be lost.
import type { Sql } from '../../db/sql.ts';
import { hashApiKey } from '../../domain/api-keys.ts';
import type { ReceiverMapping } from '../receivers/types.ts';

export const COMPANY_CHANGED_CHANNEL = 'company_changed';

export interface IngestCompany {
  id: string;
  hmacSecret: string | null;
  /** Alerts a minute for this company; 0 = unlimited. */
  ratePerMinute: number;
  mappings: Partial<Record<string, ReceiverMapping>>;
}

interface Entry {
  company: IngestCompany | null;
  expiresAt: number;
}

export interface CompanyKeyCacheOptions {
  sql: Sql;
  defaultRatePerMinute: number;
  ttlMs?: number;
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class CompanyKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<IngestCompany | null>>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly opts: CompanyKeyCacheOptions) {}

  async start(): Promise<void> {
    const sub = await this.opts.sql.listen(
      COMPANY_CHANGED_CHANNEL,
      () => this.clear(),
      () => this.clear(),
    );
    this.unlisten = () => sub.unlisten();
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => undefined);
  }

  clear(): void {
    this.entries.clear();
  }

  async lookup(apiKey: string): Promise<IngestCompany | null> {
    const hash = hashApiKey(apiKey);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.entries.get(hash);
    if (hit && hit.expiresAt > now) {
      // Map order doubles as recency: re-inserting keeps hot keys from being evicted first.
      this.entries.delete(hash);
      this.entries.set(hash, hit);
      return hit.company;
    }
    // Concurrent misses for one key share one query.
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.load(hash).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    const company = await pending;
    const ttl = company ? (this.opts.ttlMs ?? 60_000) : (this.opts.negativeTtlMs ?? 5_000);
    this.entries.delete(hash);
    this.entries.set(hash, { company, expiresAt: now + ttl });
    const max = this.opts.maxEntries ?? 10_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
    return company;
  }

  private async load(hash: string): Promise<IngestCompany | null> {
    const [row] = await this.opts.sql<
      {
        id: string;
        hmac_secret: string | null;
        settings: { webhookRatePerMinute?: number; receivers?: IngestCompany['mappings'] };
      }[]
    >`SELECT id, hmac_secret, settings FROM companies WHERE api_key_hash = ${hash}`;
    if (!row) return null;
    const rate = row.settings?.webhookRatePerMinute;
    return {
      id: row.id,
      hmacSecret: row.hmac_secret,
      ratePerMinute: typeof rate === 'number' && rate >= 0 ? rate : this.opts.defaultRatePerMinute,
      mappings: row.settings?.receivers ?? {},
    };
  }
}
