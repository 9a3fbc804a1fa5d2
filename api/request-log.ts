// Request ids and access lines. Every request gets an id — the caller's X-Request-Id when it is a plain token, else a
// new one — answered in X-Request-Id and carried by every line logged about it through `req.log`. The request's
// logger is made only when something logs (a failure, a refusal at info, or everything at LOG_LEVEL=debug): on the
// webhook's hot path a 2xx costs an id and a header, not a serialised copy of the request per call.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../lib/log.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** This request's id (X-Request-Id). */
    id?: string;
    /** A logger whose lines carry this request (made on first use). */
    log?: Logger;
  }
}

const PLAIN_ID = /^[\w.:-]{1,64}$/;
const LOGGER = Symbol('the logger of the requestLog that saw this request');
const CHILD = Symbol("this request's own logger, once made");
type Logged = Request & { [LOGGER]?: Logger; [CHILD]?: Logger };

// `req.log` is one accessor on express's request prototype, defined once for every app, instead of a getter defined
// on each request: the webhook's hot path then pays a plain property store per request, not a new accessor property
// and its closure (about a microsecond each, measured). Requests no requestLog saw have no `req.log`.
Object.defineProperty(express.request, 'log', {
  configurable: true,
  enumerable: false,
  get(this: Logged): Logger | undefined {
    const logger = this[LOGGER];
    // The `req` serializer (lib/log.ts requestLine) keeps id, method, path and headers; redaction applies.
    return logger && (this[CHILD] ??= logger.child({ req: this }));
  },
});

export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && PLAIN_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    (req as Logged)[LOGGER] = logger;
    const started = performance.now();
    res.once('finish', () => {
      // Failures always, refusals at info, the rest only at debug (webhooks arrive by the thousand).
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      req.log![level](
        { res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started) },
        'request completed',
      );
    });
    next();
  };
}
