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

type TemporalLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
type TemporalMeta = Record<string | symbol, unknown>;

/**
 * The Temporal SDK's Logger on top of a pino one: the worker's, its workflows' and its activities' lines become JSON
 * carrying the metadata the SDK adds (workflowId, runId, activityType, taskQueue...), so each says which run it is
 * about. Symbol keys (the SDK's internal markers) are dropped.
 */
export function temporalLogger(log: Logger) {
  const level = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  const write = (l: TemporalLevel, message: string, meta?: TemporalMeta) =>
    log[level[l]](meta ? Object.fromEntries(Object.entries(meta)) : {}, message);
  return {
    log: write,
    trace: (m: string, meta?: TemporalMeta) => write('TRACE', m, meta),
    debug: (m: string, meta?: TemporalMeta) => write('DEBUG', m, meta),
    info: (m: string, meta?: TemporalMeta) => write('INFO', m, meta),
    warn: (m: string, meta?: TemporalMeta) => write('WARN', m, meta),
    error: (m: string, meta?: TemporalMeta) => write('ERROR', m, meta),
  };
}
