// One webhook delivery through the steps every receiver shares: find the company by its key, hold the key to
// its policy (receiver limit, signature), decode the body, store the alerts (group commit) and answer. A refusal
// is answered with a clear 4xx and, once the company is known, recorded so its integrator can see why nothing
// arrived.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { aggregationKey } from '../../domain/correlation.ts';
import { checkKey } from '../../domain/key-policy.ts';
import type { EventEpisodes } from '../../db/event-episodes.ts';
import type { CompanyKeyCache, IngestCompany } from '../ingest/company-keys.ts';
import type { AlertRow, AlertWriter, StoredAlert } from '../ingest/alert-writer.ts';
import { parseJsonBody } from '../ingest/json-body.ts';
import type { RejectionLog } from '../ingest/rejections.ts';
import { verifyWebhookSignature } from '../hmac.ts';
import type { FieldError, NormalizedAlert, ReceiverMapping, ReceiverName } from '../receivers/types.ts';
import { deliveryIdFor, headerDeliveryId, MAX_DELIVERY_ID } from './delivery-ids.ts';

export interface WebhookDeps {
  keys: CompanyKeyCache;
  writer: AlertWriter;
  rejections: RejectionLog;
  /** The episodes of Events API v2 dedup_keys, part of their delivery ids. */
  episodes: EventEpisodes;
}

/** How a receiver words a refusal; PagerDuty's clients expect PagerDuty's shape, for instance. */
export type ProblemFormat = (status: number, error: string, message: string, extra: Record<string, unknown>) => unknown;

const defaultFormat: ProblemFormat = (_status, error, message, extra) => ({ error, message, ...extra });

export interface StoreItem {
  alert: NormalizedAlert;
  itemDeliveryId?: string | null;
}

export class Delivery {
  company: IngestCompany | null = null;
  private apiKeyUsed: string | null = null;
  /** The request's X-Signature was verified: only then does it count for replay protection. */
  private signed = false;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly receiver: ReceiverName,
    private readonly deps: WebhookDeps,
    private readonly format: ProblemFormat = defaultFormat,
  ) {}

  get raw(): Buffer {
    return Buffer.isBuffer(this.req.body) ? this.req.body : Buffer.alloc(0);
  }

  /** The company's mapping override for this receiver. */
  get mapping(): ReceiverMapping | undefined {
    return this.company?.mappings[this.receiver];
  }

  /**
   * The integration key (?api_key=, X-API-Key, Authorization: Bearer, or one the payload carries: PagerDuty),
   * held to its policy for this route: a key limited to another receiver is refused, and one that must be
   * signed here is verified. Every receiver passes through here before its body is mapped or stored.
   */
  async authenticate(keyInBody: string | null = null): Promise<IngestCompany | null> {
    const q = this.req.query.api_key;
    const bearer = /^Bearer\s+(.+)$/i.exec(this.req.get('authorization') ?? '')?.[1]?.trim();
    const apiKey = (typeof q === 'string' && q) || this.req.get('x-api-key') || bearer || keyInBody;
    if (!apiKey) {
      this.problem(
        401,
        'unauthorized',
        'Missing API key: pass ?api_key=…, the X-API-Key header or Authorization: Bearer …',
      );
      return null;
    }
    const company = await this.deps.keys.lookup(apiKey);
    if (!company) {
      this.problem(401, 'unauthorized', 'Unknown API key');
      return null;
    }
    this.company = company;
    this.apiKeyUsed = apiKey;
    const check = checkKey(company.policy, this.receiver, company.hmacSecrets.length > 0);
    if (check.kind === 'refuse') {
      this.reject(check.status, check.error, check.reason);
      return null;
    }
    if (check.kind === 'signature' && !this.verifySignature(check.unsignedReason)) return null;
    return company;
  }

  /** GitHub-style HMAC over the raw body against the company's current (or still overlapping) secret. */
  private verifySignature(unsignedReason: string): boolean {
    const headers = { signature: this.req.get('x-signature'), timestamp: this.req.get('x-timestamp') };
    const check = verifyWebhookSignature(this.company!.hmacSecrets, headers, this.raw);
    if (check.ok) {
      this.signed = true;
      return true;
    }
    this.reject(401, 'invalid_signature', !headers.signature && !headers.timestamp ? unsignedReason : check.reason);
    return false;
  }

  /** The decoded body, or undefined once a 4xx has been sent. */
  parse(opts: { allowText?: boolean } = {}): unknown {
    const r = parseJsonBody(this.raw, this.req.get('content-type'), opts);
    if (r.ok) return r.value;
    this.reject(r.status, r.error, r.message);
    return undefined;
  }

  /** Refuse, and record it for the company when it is known. */
  reject(status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
    this.record(status, error, message);
    this.problem(status, error, message, extra);
  }

  /** Refuse a payload of the wrong shape, naming every bad field (422, or PagerDuty's 400). */
  rejectFields(errors: FieldError[], status = 422, error = 'validation_failed'): void {
    this.reject(status, error, describeFields(errors), { fields: errors });
  }

  /** Record a refusal (of the whole delivery or of some of its alerts) without answering. */
  record(status: number, error: string, message: string): void {
    if (this.company) {
      this.deps.rejections.record({
        companyId: this.company.id,
        receiver: this.receiver,
        httpStatus: status,
        error,
        reason: message,
        body: this.raw,
        secrets: this.apiKeyUsed ? [this.apiKeyUsed] : [],
      });
    }
  }

  problem(status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
    if (status === 429 && typeof extra.retryAfter === 'number') this.res.set('Retry-After', String(extra.retryAfter));
    this.res.status(status).json(this.format(status, error, message, extra));
  }

  /**
   * Stores the alerts in one group commit. Returns each alert's id and whether it was new, or null once
   * a refusal (rate limit, replayed signature, overlong delivery id) has been answered.
   */
  async store(items: StoreItem[]): Promise<StoredAlert[] | null> {
    const company = this.company!;
    const header = headerDeliveryId((n) => this.req.get(n));
    if (header && header.length > MAX_DELIVERY_ID) {
      const fields = [
        { field: 'X-Delivery-ID', message: `X-Delivery-ID must be at most ${MAX_DELIVERY_ID} characters` },
      ];
      this.reject(422, 'validation_failed', fields[0]!.message, { fields });
      return null;
    }
    const now = Date.now();
    const rows: AlertRow[] = items.map((item, index) => ({
      id: randomUUID(),
      companyId: company.id,
      deliveryId: deliveryIdFor({
        receiver: this.receiver,
        alert: item.alert,
        itemDeliveryId: item.itemDeliveryId ?? null,
        header,
        index,
        count: items.length,
        now,
      }),
      assetName: item.alert.assetName,
      signature: item.alert.signature,
      aggregationKey: aggregationKey(item.alert.assetName, item.alert.signature),
      severity: item.alert.severity,
      message: item.alert.message,
      toolSource: item.alert.toolSource,
      status: item.alert.status,
      sourceKey: item.alert.sourceKey,
      labels: item.alert.labels,
      receiver: this.receiver,
    }));
    const signature = this.req.get('x-signature');
    const result = await this.deps.writer.write({
      companyId: company.id,
      ratePerMinute: company.ratePerMinute,
      alerts: rows,
      ...(this.signed && signature
        ? {
            signature: {
              value: signature,
              deliveryKey: rows
                .map((r) => r.deliveryId)
                .join(',')
                .slice(0, 2000),
            },
          }
        : {}),
    });
    if (result.kind === 'rate_limited') {
      this.reject(429, 'rate_limited', `Too many alerts for this company; retry in ${result.retryAfterSeconds} s`, {
        retryAfter: result.retryAfterSeconds,
      });
      return null;
    }
    if (result.kind === 'replayed') {
      this.reject(
        401,
        'invalid_signature',
        'This signed request was already received with another delivery id (replay protection)',
      );
      return null;
    }
    return result.alerts;
  }
}

/** "field: message; field: message", the sentence a refusal's message and record carry. */
export function describeFields(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
