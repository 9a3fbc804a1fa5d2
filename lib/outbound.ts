// Requests to URLs a tenant chose (chat webhooks today, anything later): http(s) only, no userinfo, only public
// addresses unless the install allows more (OUTBOUND_ALLOW_PRIVATE), no redirects. A URL is checked when it is saved
// and again when it is used: a name that resolved to a public address at save time may point at 127.0.0.1 by the
// time the worker sends (DNS rebinding), so the send resolves once, checks every address, and connects to exactly
// the addresses it checked.
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { nonPublicKind } from './outbound-addresses.ts';

/**
 * A refusal, saying why (never the URL, which may be secret). `url` refusals read after "its URL" or next to the
 * URL's field, `response` ones stand alone. Only a `transient` one (the name did not resolve) may pass on retry.
 */
export class OutboundRefused extends Error {
  constructor(
    message: string,
    readonly about: 'url' | 'response' = 'url',
    readonly transient = false,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to; injectable so tests can play a rebinding DNS server. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface OutboundPolicy {
  /** OUTBOUND_ALLOW_PRIVATE: tests and labs post to local servers. */
  allowPrivate: boolean;
  resolve?: Resolver;
}

/** getaddrinfo has no deadline of its own; a save or a send waits this long for a name at most. */
const RESOLVE_TIMEOUT_MS = 5_000;

const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** The URL if it is one this module may call at all (scheme, no credentials), else a refusal naming why. */
export function parseOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused('must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw new OutboundRefused('must not carry a user name or password');
  if (url.hostname === '') throw new OutboundRefused('must name a host');
  return url;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function refuseNonPublic(addresses: ResolvedAddress[], host: string): void {
  for (const { address } of addresses) {
    const kind = nonPublicKind(address);
    if (kind === null) continue;
    const where = address === host ? address : `${host} resolves to ${address}`;
    throw new OutboundRefused(`points to a ${kind} address (${where}); only public addresses may be reached`);
  }
}

/**
 * Checks a URL against the policy and returns the addresses a request may connect to: null when any address will
 * do (the install allows private addresses, or the host is an IP literal that passed). Refuses when the name does
 * not resolve or any of its addresses is not public: one bad answer among good ones is still a way in.
 */
export async function checkOutboundUrl(
  raw: string,
  policy: OutboundPolicy,
): Promise<{ url: URL; addresses: ResolvedAddress[] | null }> {
  const url = parseOutboundUrl(raw);
  if (policy.allowPrivate) return { url, addresses: null };
  const host = hostOf(url);
  const literal = isIP(host);
  if (literal !== 0) {
    refuseNonPublic([{ address: host, family: literal === 6 ? 6 : 4 }], host);
    return { url, addresses: null };
  }
  let addresses: ResolvedAddress[];
  let timer: NodeJS.Timeout | undefined;
  try {
    addresses = await Promise.race([
      (policy.resolve ?? systemResolver)(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(), { code: 'ETIMEOUT' })), RESOLVE_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOTFOUND' || code === 'ENODATA'
        ? 'does not resolve'
        : `could not be resolved (${code ?? 'DNS error'})`;
    throw new OutboundRefused(`names a host, ${host}, that ${why}`, 'url', true);
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new OutboundRefused(`names a host, ${host}, that does not resolve`, 'url', true);
  refuseNonPublic(addresses, host);
  return { url, addresses };
}

/** A `lookup` for the socket that answers with the checked addresses only, whatever DNS says by now. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_host, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    if (usable.length === 0) {
      callback(Object.assign(new Error('no checked address of that family'), { code: 'ENOTFOUND' }), '', 4);
    } else if (options.all) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, usable);
    } else {
      callback(null, usable[0]!.address, usable[0]!.family);
    }
  };
}

export interface PostOptions extends OutboundPolicy {
  /** For the whole exchange: resolving, connecting and the response's status line. */
  timeoutMs: number;
}

/** Thrown when the exchange ran out of time: `name` is TimeoutError, as fetch's is. */
function timedOut(ms: number): Error {
  return Object.assign(new Error(`timed out after ${ms / 1000} s`), { name: 'TimeoutError' });
}

/**
 * POSTs `body` as JSON to a URL that passes the policy, connecting only to the addresses checked. Resolves with
 * the status when it is 2xx; a 3xx is refused (redirects are never followed: the target was never checked), any
 * other status is an error naming it. Errors never name the URL.
 */
export async function postJson(raw: string, body: unknown, opts: PostOptions): Promise<number> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(timedOut(opts.timeoutMs)), { once: true });
  });
  aborted.catch(() => undefined);
  const { url, addresses } = await Promise.race([checkOutboundUrl(raw, opts), aborted]);
  const payload = Buffer.from(JSON.stringify(body));
  const status = await Promise.race([
    new Promise<number>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          // A connection of its own: a pooled socket may have been opened to an address resolved another time.
          agent: false,
          ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
          signal,
        },
        (res) => {
          // The body is not read: the status says everything, and a hostile server may send it slowly.
          res.destroy();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (err) => reject(signal.aborted ? timedOut(opts.timeoutMs) : err));
      req.end(payload);
    }),
    aborted,
  ]);
  if (status >= 300 && status < 400) {
    throw new OutboundRefused(
      `the server answered with a redirect (HTTP ${status}), which is not followed`,
      'response',
    );
  }
  if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  return status;
}
