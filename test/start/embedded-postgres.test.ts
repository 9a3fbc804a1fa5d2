// The embedded PostgreSQL starts over what a killed run left in its data folder, and says in one sentence what to
// do when its unprivileged user cannot reach that folder (instead of an unhandled `spawn …/initdb EACCES`).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startEmbeddedPostgres } from '../../db/embedded.ts';
import { freePort } from '../../lib/ports.ts';
import { isAlive } from '../../lib/processes.ts';
import { postgresRunAs } from '../../lib/run-as.ts';
import { waitFor } from './helpers.ts';

let root = '';
let dataDir = '';
let port = 0;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'aw-embedded-'));
  chmodSync(root, 0o755);
  dataDir = path.join(root, 'pg');
  port = await freePort();
  const db = await startEmbeddedPostgres({ dataDir, port, persistent: true, log: () => {} });
  await db.stop();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const postmasterPid = () => readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');

describe('embedded PostgreSQL after a killed run', () => {
  it('stops a postmaster a dead run left serving its data folder, then starts its own', async () => {
    // What npm start killed by SIGKILL left before its servers died with it: a PostgreSQL nobody owns.
    const runAs = postgresRunAs();
    const orphan = spawn(path.join(postgresBinDir(), 'postgres'), ['-D', dataDir, '-p', String(port)], {
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      cwd: '/',
      stdio: 'ignore',
      detached: true,
    });
    orphan.unref();
    const ready = () => existsSync(path.join(dataDir, 'postmaster.pid')) && postmasterPid()[7]?.trim() === 'ready';
    expect(await waitFor(ready, 20_000)).toBe(true);

    const lines: string[] = [];
    const db = await startEmbeddedPostgres({ dataDir, port, persistent: true, log: (l) => lines.push(l) });
    try {
      expect(isAlive(orphan.pid!)).toBe(false);
      expect(lines).toEqual([
        `• Stopping the PostgreSQL an earlier run left running on ${dataDir} (pid ${orphan.pid})…`,
      ]);
      expect(db.pid).not.toBe(orphan.pid);
    } finally {
      await db.stop();
    }
  });

  it('starts over a postmaster.pid whose pid now belongs to another process of its user', async () => {
    const db = await startEmbeddedPostgres({ dataDir, port, persistent: true, log: () => {} });
    const lines = postmasterPid();
    await db.stop();
    // After a reboot the recorded pid is often some other process; as PostgreSQL's own user it would block the start.
    const runAs = postgresRunAs();
    const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
    const stranger = spawn('sleep', ['30'], { ...ids, cwd: '/', stdio: 'ignore' });
    try {
      writeFileSync(path.join(dataDir, 'postmaster.pid'), [String(stranger.pid), ...lines.slice(1)].join('\n'));
      const again = await startEmbeddedPostgres({ dataDir, port, persistent: true, log: () => {} });
      await again.stop();
      expect(isAlive(stranger.pid!)).toBe(true); // not ours: untouched
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});

describe.runIf(process.getuid?.() === 0)('embedded PostgreSQL run as root', () => {
  it('names the folder its user cannot enter and what to do, before spawning anything', async () => {
    const locked = mkdtempSync(path.join(tmpdir(), 'aw-locked-')); // mode 700, owned by root: like /root
    try {
      const dataDir = path.join(locked, 'data', 'postgres');
      const attempt = startEmbeddedPostgres({ dataDir, port, persistent: true, log: () => {} });
      await expect(attempt).rejects.toThrow(
        `PostgreSQL will not run as root, so npm start runs it as the user "postgres", and that user cannot enter ` +
          `${locked} (mode 700) on the way to its data in ${locked}/data/postgres. Run \`chmod o+x ${locked}\``,
      );
      expect(existsSync(path.join(locked, 'data', 'postgres'))).toBe(false);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });
});
