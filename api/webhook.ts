// The webhook receivers under /api/webhooks/. Each route maps its tool's payload to alerts; all of
// them share authentication, body checks, group-committed storage and the record of refusals
// (webhooks/delivery.ts). The answer is 2xx only once the alert rows are committed; routing to
// Temporal happens afterwards (router/alert-router.ts).
import type { SecretBox } from '../lib/secret-box.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import { EventEpisodes } from '../db/event-episodes.ts';
import type { Sql } from '../db/sql.ts';
import { AlertWriter } from './ingest/alert-writer.ts';
import { CompanyKeyCache } from './ingest/company-keys.ts';
import { RejectionLog } from './ingest/rejections.ts';
import type { WebhookDeps } from './webhooks/delivery.ts';
import { genericHandler } from './webhooks/generic.ts';
import type { CloudWatchOptions } from './webhooks/cloudwatch.ts';
import { receiverRoutes } from './webhooks/routes.ts';

/** Large enough for a 1,000-alert batch or a big Alertmanager group; a body past it is a 413. */
export const WEBHOOK_BODY_LIMIT = '4mb';

export interface Webhooks {
  /**
   * Middleware for /api/webhooks/…: the receiver its path names (one map lookup, not a route per receiver tried in
   * turn), a 404 or 405 for anything else there; other paths go on to `next`.
   */
  handle(req: Request, res: Response, next: NextFunction): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const PREFIX = '/api/webhooks/';

export function createWebhooks(deps: {
  sql: Sql;
  secrets: SecretBox;
  ratePerMinute: number;
  /** The ceiling on a company's own rate setting. */
  maxRatePerMinute: number;
  cloudwatch?: CloudWatchOptions;
}): Webhooks {
  const keys = new CompanyKeyCache({
    sql: deps.sql,
    secrets: deps.secrets,
    defaultRatePerMinute: deps.ratePerMinute,
    maxRatePerMinute: deps.maxRatePerMinute,
  });
  const writer = new AlertWriter({ sql: deps.sql });
  const rejections = new RejectionLog(deps.sql);
  const shared: WebhookDeps = { keys, writer, rejections, episodes: new EventEpisodes(deps.sql) };
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  const handlers = new Map<string, (req: Request, res: Response) => Promise<void>>([
    ['/api/webhooks/alerts', genericHandler(shared)],
  ]);
  for (const r of receiverRoutes(shared, { cloudwatch: deps.cloudwatch }))
    for (const path of r.paths) handlers.set(path, r.handler);

  // Body-parser failures (size, a broken stream) are answered as the API's own JSON problems.
  const bodyFailure = (err: unknown, res: Response, next: NextFunction): void => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large')
      return void res.status(413).json({ error: 'payload_too_large', message: `Body exceeds ${WEBHOOK_BODY_LIMIT}` });
    if (e?.status && e.status >= 400 && e.status < 500)
      return void res.status(e.status).json({ error: 'bad_request', message: 'The request body could not be read' });
    next(err);
  };

  return {
    handle(req, res, next) {
      const query = req.url.indexOf('?');
      const path = query < 0 ? req.url : req.url.slice(0, query);
      if (!path.toLowerCase().startsWith(PREFIX)) return next();
      // As express routes match: any case, one trailing slash or none.
      const handler = req.method === 'POST' ? handlers.get(path.toLowerCase().replace(/(.)\/$/, '$1')) : undefined;
      if (!handler) {
        res.status(req.method === 'POST' ? 404 : 405).json({
          error: req.method === 'POST' ? 'not_found' : 'method_not_allowed',
          message:
            'Webhooks take POST on /api/webhooks/<receiver>: alerts, alertmanager, grafana, events/v2, datadog, cloudwatch, zabbix',
        });
        return;
      }
      raw(req, res, (err?: unknown) => {
        if (err) bodyFailure(err, res, next);
        else handler(req, res).catch(next);
      });
    },
    start: () => keys.start(),
    async stop() {
      await keys.stop();
      await rejections.flush();
    },
  };
}
