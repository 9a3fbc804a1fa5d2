// Security headers on everything the API serves (helmet). The dashboard in web/dist is a Vite build: its scripts and
// styles are files of its own origin, it talks only to its own origin (fetch, and graphql-ws over ws:/wss:), and no
// site may frame it. HSTS only when PUBLIC_URL is https: over plain http a browser ignores it, and a wrong one would
// pin a name to TLS that the operator has not set up. GraphiQL, served outside production only, is one page with
// everything inlined (api/graphiql.ts): GET on the GraphQL path lets that page's own script run (by its hash), its
// inline styles apply and its editor start workers from blob: URLs, and nowhere else. No policy names another origin.
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** The graphql-ws origin matching PUBLIC_URL (browsers that predate CSP 3 do not count ws: as 'self'). */
function socketOrigin(publicUrl: string): string[] {
  try {
    const url = new URL(publicUrl);
    return [`${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`];
  } catch {
    return [];
  }
}

export function securityHeaders(options: {
  publicUrl: string;
  /** The GraphiQL page's script hash ('sha256-…'), or false where GraphiQL is not served. */
  graphiql: false | { scriptHash: string };
  graphqlEndpoint: string;
}): RequestHandler {
  const https = options.publicUrl.startsWith('https:');
  const directives = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...socketOrigin(options.publicUrl)],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'upgrade-insecure-requests': https ? [] : null,
  };
  const common = {
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
  };
  const everywhere = fixed(helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives } }));
  if (!options.graphiql) return everywhere;

  const forGraphiql = fixed(
    helmet({
      ...common,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          ...directives,
          'script-src': ["'self'", options.graphiql.scriptHash],
          'worker-src': ['blob:'],
          // GraphiQL's editor and menus set styles at run time (style elements and attributes).
          'style-src': ["'self'", "'unsafe-inline'"],
          'font-src': ["'self'", 'data:'],
        },
      },
    }),
  );
  return (req, res, next) =>
    (req.method === 'GET' && req.path === options.graphqlEndpoint ? forGraphiql : everywhere)(req, res, next);
}

/**
 * A helmet middleware's headers, worked out once: they depend on the configuration only, and running helmet per
 * request set them through a dozen nested middlewares on every webhook call (the API's hot path). The returned
 * middleware sets the same headers, in the same order, and removes the same ones.
 */
export function fixed(handler: RequestHandler): RequestHandler {
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const res = {
    setHeader: (name: string, value: unknown) => void set.push([name, String(value)]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let done = false;
  handler({ method: 'GET', headers: {} } as never, res as never, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
    done = true;
  });
  // helmet finishes synchronously with static options; anything else would need it per request after all.
  if (!done) throw new Error('security headers: the middleware did not finish at once, so it cannot be fixed');
  return (_req, response, next) => {
    for (const [name, value] of set) response.setHeader(name, value);
    for (const name of removed) response.removeHeader(name);
    next();
  };
}
