// The native receivers, one route each (the generic route lives in generic.ts).
import type { Request, Response } from 'express';
import type { WebhookDeps } from './delivery.ts';

export interface ReceiverRoute {
  paths: string[];
  handler: (req: Request, res: Response) => Promise<void>;
}

export function receiverRoutes(_deps: WebhookDeps): ReceiverRoute[] {
  return [];
}
