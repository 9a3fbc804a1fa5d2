// POST /api/webhooks/alerts: authenticate, check, store, then answer. The answer is 2xx only
// once the alert row is committed; routing to Temporal happens afterwards (alert-router.ts).
import { createHash, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Sql } from '../db/sql.ts';
import { aggregationKey } from '../domain/correlation.ts';
import { verifyWebhookSignature } from './hmac.ts';
import { RateLimiter } from './rate-limit.ts';
import { validateAlertPayload } from './webhook-validation.ts';

export const ALERT_CHANNEL = 'alert_stored';
export const WEBHOOK_BODY_LIMIT = '1mb';

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

function problem(res: Response, status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error, message, ...extra });
}

export function createWebhookRouter(deps: { sql: Sql; ratePerMinute: number }): express.Router {
  const { sql } = deps;
  const limiter = new RateLimiter(deps.ratePerMinute);
  const router = express.Router();

  router.post(
    '/api/webhooks/alerts',
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const apiKey = (typeof req.query.api_key === 'string' ? req.query.api_key : undefined) ?? req.get('x-api-key');
        if (!apiKey) return problem(res, 401, 'unauthorized', 'Missing API key: pass ?api_key=… or the X-API-Key header');
        const [company] = await sql<{ id: string; hmac_secret: string | null }[]>`
          SELECT id, hmac_secret FROM companies WHERE api_key_hash = ${hashApiKey(apiKey)}`;
        if (!company) return problem(res, 401, 'unauthorized', 'Unknown API key');

        const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (company.hmac_secret) {
          const check = verifyWebhookSignature(company.hmac_secret, { signature: req.get('x-signature'), timestamp: req.get('x-timestamp') }, raw);
          if (!check.ok) return problem(res, 401, 'invalid_signature', check.reason);
        }

        // After the signature: someone who only saw the API key (it may travel in a URL) cannot drain the quota.
        const retryAfter = limiter.take(company.id);
        if (retryAfter > 0) {
          res.set('Retry-After', String(retryAfter));
          return problem(res, 429, 'rate_limited', `Too many alerts for this company; retry in ${retryAfter} s`);
        }

        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          return problem(res, 400, 'invalid_json', `Body is not valid JSON: ${(err as Error).message}`);
        }
        const result = validateAlertPayload(body);
        if (!result.ok) {
          return problem(res, 422, 'validation_failed', result.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { fields: result.errors });
        }
        const a = result.value;
        // A blank header is no key at all: treating "" as one would make every later blank delivery a duplicate.
        const given = (req.get('x-delivery-id') || req.get('idempotency-key') || '').trim() || a.delivery_id;
        if (given && given.length > 200) {
          const fields = [{ field: 'X-Delivery-ID', message: 'X-Delivery-ID must be at most 200 characters' }];
          return problem(res, 422, 'validation_failed', fields[0]!.message, { fields });
        }
        const deliveryId = given || randomUUID();

        // One statement: the row and its NOTIFY commit together, in a single round trip.
        const [inserted] = await sql<{ id: string }[]>`
          WITH ins AS (
            INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message, tool_source)
            VALUES (${randomUUID()}, ${company.id}, ${deliveryId}, ${a.asset_name}, ${a.signature},
                    ${aggregationKey(a.asset_name, a.signature)}, ${a.severity}, ${a.message}, ${a.tool_source})
            ON CONFLICT (company_id, delivery_id) DO NOTHING
            RETURNING id
          )
          SELECT id, pg_notify(${ALERT_CHANNEL}, id) FROM ins`;
        if (inserted) {
          res.status(202).json({ alert_id: inserted.id, delivery_id: deliveryId, status: 'accepted' });
          return;
        }
        const [existing] = await sql<{ id: string }[]>`
          SELECT id FROM alerts WHERE company_id = ${company.id} AND delivery_id = ${deliveryId}`;
        res.status(200).json({ alert_id: existing?.id, delivery_id: deliveryId, status: 'duplicate', duplicate: true });
      } catch (err) {
        next(err);
      }
    },
  );

  // Body-parser failures (size) arrive here; answer them as the API's own JSON problems.
  router.use('/api/webhooks', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') return problem(res, 413, 'payload_too_large', `Body exceeds ${WEBHOOK_BODY_LIMIT}`);
    if (e?.status && e.status >= 400 && e.status < 500) return problem(res, e.status, 'bad_request', 'The request body could not be read');
    next(err);
  });

  return router;
}
