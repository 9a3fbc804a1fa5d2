import { createHash, randomBytes } from 'node:crypto';

/** Only a SHA-256 of an API key is stored: a database leak must not hand out webhook access. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** A new integration key: "awk_" and 32 random bytes (256 bits), URL-safe so it fits a query string. */
export function generateApiKey(): string {
  return `awk_${randomBytes(32).toString('base64url')}`;
}

/** What lists show of a key, enough to tell keys apart and nothing to guess from. */
export function keyHint(apiKey: string): string {
  return `${apiKey.slice(0, 8)}…`;
}
