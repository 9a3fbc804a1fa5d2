// SNS signing certificates, fetched once and kept: every delivery names its certificate by URL, and a
// burst of alarms must not become a burst of downloads. Bounded LRU with a TTL; concurrent misses for the
// same URL share one fetch; failures are not cached (the next delivery retries).
import { X509Certificate } from 'node:crypto';

/** Fetches a PEM certificate. The only test seam of SNS verification: tests return a PEM they generated. */
export type CertificateFetcher = (url: URL) => Promise<string>;

/**
 * Why no certificate. transient: worth retrying later (network, timeout, SNS 5xx), so the delivery should
 * be answered with a 5xx and SNS will redeliver; otherwise the URL will never yield a usable certificate.
 */
export class CertificateError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'CertificateError';
  }
}

export const CERT_FETCH_TIMEOUT_MS = 5_000;
/** Real SNS certificates are ~2 KiB; anything near this is not one. */
export const CERT_MAX_BYTES = 64 * 1024;

export interface CertificateCacheOptions {
  fetchCertificate?: CertificateFetcher;
  now?: () => number;
  /** Distinct certificate URLs kept. SNS uses one per region at a time (plus one during rotation). */
  cacheSize?: number;
  /** How long a fetched certificate is trusted without fetching it again. */
  cacheTtlMs?: number;
}

interface Entry {
  cert: X509Certificate;
  expiresAt: number;
}

export class CertificateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<X509Certificate>>();
  private readonly fetchCertificate: CertificateFetcher;
  private readonly now: () => number;
  private readonly size: number;
  private readonly ttlMs: number;

  constructor(opts: CertificateCacheOptions = {}) {
    this.fetchCertificate = opts.fetchCertificate ?? ((url) => fetchPemCertificate(url));
    this.now = opts.now ?? Date.now;
    this.size = Math.max(1, opts.cacheSize ?? 32);
    this.ttlMs = Math.max(0, opts.cacheTtlMs ?? 6 * 60 * 60_000);
  }

  /** The certificate at `url` (already checked to be an SNS URL by the caller). Throws CertificateError. */
  async get(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.cert;
    }
    if (hit) this.entries.delete(key);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.load(url).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async load(url: URL): Promise<X509Certificate> {
    let pem: string;
    try {
      pem = await this.fetchCertificate(url);
    } catch (err) {
      // A fetcher's own error text may say anything (hosts, paths): only ours are passed on.
      if (err instanceof CertificateError) throw err;
      throw new CertificateError('the signing certificate could not be fetched', true);
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw new CertificateError('the signing certificate is not a valid X.509 PEM', false);
    }
    this.entries.set(url.href, { cert, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.size) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    return cert;
  }
}

/**
 * The default fetcher: GET over https (Node verifies the server certificate), no redirects (a redirect
 * could leave the SNS host), a 5 s deadline and a 64 KiB cap read incrementally, so a slow or endless
 * response cannot hold a request or memory.
 */
export async function fetchPemCertificate(url: URL, fetchImpl: typeof fetch = fetch): Promise<string> {
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'error', signal: AbortSignal.timeout(CERT_FETCH_TIMEOUT_MS) });
  } catch {
    // Network error, TLS failure, timeout, or a redirect (undici reports all alike): worth a later retry.
    throw new CertificateError('the signing certificate could not be fetched', true);
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    const transient = res.status >= 500 || res.status === 429;
    throw new CertificateError(`the signing certificate could not be fetched (HTTP ${res.status})`, transient);
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > CERT_MAX_BYTES) {
    await res.body.cancel().catch(() => undefined);
    throw new CertificateError('the signing certificate is too large', false);
  }
  let bytes: Buffer | null;
  try {
    bytes = await readCapped(res.body, CERT_MAX_BYTES);
  } catch {
    throw new CertificateError('the signing certificate could not be fetched', true);
  }
  if (!bytes) throw new CertificateError('the signing certificate is too large', false);
  return bytes.toString('utf8');
}

/** Reads a body up to `max` bytes; null (and the stream cancelled) when it is longer. */
async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
}
