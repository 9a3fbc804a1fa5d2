// The native receivers, one route each (the generic route lives in generic.ts).
import type { Request, Response } from 'express';
import { cloudWatchHandler, type CloudWatchOptions } from './cloudwatch.ts';
import type { WebhookDeps } from './delivery.ts';
import { nativeRoutes } from './native.ts';
import { pagerDutyHandler } from './pagerduty.ts';

export interface ReceiverRoute {
  paths: string[];
  handler: (req: Request, res: Response) => Promise<void>;
}

export function receiverRoutes(deps: WebhookDeps, opts: { cloudwatch?: CloudWatchOptions } = {}): ReceiverRoute[] {
  return [
    ...nativeRoutes(deps),
    {
      paths: ['/api/webhooks/events/v2', '/api/webhooks/events/v2/enqueue', '/api/webhooks/v2/enqueue'],
      handler: pagerDutyHandler(deps),
    },
    { paths: ['/api/webhooks/cloudwatch'], handler: cloudWatchHandler(deps, opts.cloudwatch) },
  ];
}
