// The HTTP server's request listener: webhook deliveries go straight through the middleware every request gets and
// their receiver (api/webhook.ts), everything else through the express app. Webhooks arrive by the thousand a second;
// the app's router tried each of its layers on each of them (path matching, the health and metrics routes, a route
// per receiver), about an eighth of the API's CPU a request in a profile (bench/RESULTS.md, twelfth session). The
// lane runs the same functions in the same order, on requests prepared as express prepares them, and ends in the
// app's own error handler.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';

export function webhookLane(
  app: Express,
  steps: RequestHandler[],
  onError: ErrorRequestHandler,
  prefix = '/api/webhooks/',
): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST' || !request.url?.startsWith(prefix)) return void app(request, response);
    // What express's app.handle does before its router: the request and response get express's methods.
    const req = Object.setPrototypeOf(request, app.request) as Request;
    const res = Object.setPrototypeOf(response, app.response) as Response;
    req.res = res;
    res.req = req;
    res.locals = Object.create(null) as Response['locals'];
    const fail = (err: unknown) => {
      onError(err, req, res, () => {
        if (!res.headersSent) res.status(500).end();
      });
    };
    const run = (i: number): void => {
      const next: NextFunction = (err?: unknown) => {
        if (err !== undefined && err !== 'route' && err !== 'router') return fail(err);
        if (i + 1 < steps.length) return run(i + 1);
        // Past the last step: no handler answered (the receivers' middleware answers every path under the prefix).
        res.status(404).json({ error: 'not_found', message: 'No such endpoint' });
      };
      try {
        steps[i]!(req, res, next);
      } catch (err) {
        fail(err);
      }
    };
    run(0);
  };
}
