// Seals secrets the application must read back (HMAC signing secrets) with AES-256-GCM under ENCRYPTION_KEY,
// so a database dump or backup alone does not hand them out. Hashing is not an option: verifying a
// signature needs the secret itself.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface SecretBox {
  seal(plain: string): string;
  /** The secret, or an error naming the problem (never the secret) when the key does not fit. */
  open(sealed: string): string;
}

export function createSecretBox(encryptionKey: string): SecretBox {
  if (encryptionKey.length < 32) throw new Error('ENCRYPTION_KEY must be at least 32 characters');
  // A SHA-256 of the configured string gives exactly 32 bytes whatever its encoding (hex, base64, passphrase).
  const key = createHash('sha256').update(`alert-whisperer/secret-box/${encryptionKey}`).digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined)
        throw new Error('Sealed secret has an unknown format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('Sealed secret cannot be opened: ENCRYPTION_KEY differs from the one that sealed it');
      }
    },
  };
}
