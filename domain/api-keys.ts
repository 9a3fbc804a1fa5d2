import { createHash } from 'node:crypto';

/** Only a SHA-256 of an API key is stored: a database leak must not hand out webhook access. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}
