// A key and a self-signed certificate made with the openssl CLI, for tests that sign as Amazon SNS does.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  key: KeyObject;
  pem: string;
}

export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2'];
    execFileSync('/usr/bin/openssl', [...args, '-subj', '/CN=sns.amazonaws.com'], { stdio: 'pipe' });
    return { key: createPrivateKey(readFileSync(keyFile)), pem: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
