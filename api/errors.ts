// The last error handler of the HTTP app. A database that is away is an outage, not a bug: the caller
// gets 503 with Retry-After (monitoring tools retry those) and operators get one line per outage, not a
// stack trace per request. Anything else is a 500 whose details stay in the log.
import type { NextFunction, Request, Response } from 'express';

// postgres.js connection errors and PostgreSQL's "not now" SQLSTATEs (admin shutdown, starting up, too many clients).
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && UNAVAILABLE.has(code);
}

/** `log` writes a line about the request that failed (the server passes its request-scoped logger's error). */
export function createErrorHandler(
  log: (line: string, req: Request) => void = (l) => console.error(l),
  quietMs = 10_000,
) {
  let lastOutageLog = 0;
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (isDatabaseUnavailable(err)) {
      if (Date.now() - lastOutageLog > quietMs) {
        lastOutageLog = Date.now();
        log(`[api] database unavailable (${(err as { code: string }).code}); answering 503 until it is back`, req);
      }
      if (!res.headersSent) {
        res.set('Retry-After', '5');
        res.status(503).json({
          error: 'unavailable',
          message: 'Storage is unavailable right now; nothing was stored, retry shortly',
        });
      }
      return;
    }
    // Log the detail for operators; tell the caller only that it failed, never internals or secrets.
    log(
      `[api] request failed: ${process.env.DEBUG && err instanceof Error ? err.stack : String((err as Error)?.message ?? err)}`,
      req,
    );
    if (!res.headersSent)
      res
        .status(500)
        .json({ error: 'internal', message: 'The server could not process the request; it was not stored' });
  };
}
