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
  router: express.Router;
  start(): Promise<void>;
  stop(): Promise<void>;
}

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
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  const wrap =
    (h: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
      h(req, res).catch(next);
    };

  router.post('/api/webhooks/alerts', raw, wrap(genericHandler(shared)));
  for (const r of receiverRoutes(shared, { cloudwatch: deps.cloudwatch })) router.post(r.paths, raw, wrap(r.handler));
  router.all('/api/webhooks/{*rest}', (req, res) => {
    res.status(req.method === 'POST' ? 404 : 405).json({
      error: req.method === 'POST' ? 'not_found' : 'method_not_allowed',
      message:
        'Webhooks take POST on /api/webhooks/<receiver>: alerts, alertmanager, grafana, events/v2, datadog, cloudwatch, zabbix',
    });
  });

  // Body-parser failures (size, a broken stream) arrive here; answer them as the API's own JSON problems.
  router.use('/api/webhooks', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large')
      return void res.status(413).json({ error: 'payload_too_large', message: `Body exceeds ${WEBHOOK_BODY_LIMIT}` });
    if (e?.status && e.status >= 400 && e.status < 500)
      return void res.status(e.status).json({ error: 'bad_request', message: 'The request body could not be read' });
    next(err);
  });

  return {
    router,
    start: () => keys.start(),
    async stop() {
      await keys.stop();
      await rejections.flush();
    },
  };
}
