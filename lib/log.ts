// Structured logs: one JSON object a line (pino), with the service and, where there is one, the request, incident or
// workflow id on each line, and secrets redacted by path before anything is written. LOG_LEVEL sets the level
// (default: info in production, warn otherwise, so tests and `npm start` stay readable).
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Every path a secret travels under in what we log: headers, credentials, keys, tokens, webhook URLs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.hmacSecret',
  '*.webhookUrl',
  '*.secretAccessKey',
  '*.sessionToken',
];

/**
 * How a request appears in a line: id, method, path and headers (redacted above). The query string is left out:
 * a webhook's can carry its API key (?api_key=...).
 */
export function requestLine(req: { id?: unknown; method?: string; url?: string; headers?: unknown }) {
  return { id: req.id, method: req.method, url: req.url?.split('?')[0], headers: req.headers };
}

export function createLogger(
  opts: { level?: string; production?: boolean; destination?: DestinationStream } = {},
): Logger {
  const level = (opts.level ?? process.env.LOG_LEVEL)?.toLowerCase() || (opts.production ? 'info' : 'warn');
  return pino(
    {
      level,
      base: { service: 'alert-whisperer', pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: requestLine },
    },
    opts.destination,
  );
}
