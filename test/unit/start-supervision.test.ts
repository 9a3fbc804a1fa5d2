// The pure parts of npm start's crash handling: backoff, the supervisor's restart-and-report-once rule, the pid
// file that finds what a killed run left, and the helpers that read process and folder facts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPostgresOn } from '../../db/embedded.ts';
import { errorMessage } from '../../lib/fatal.ts';
import { claimDataDir, readPidFile, recordOf, stillRunning, writePidFile } from '../../lib/pid-file.ts';
import { describeExit, isAlive, processArgs } from '../../lib/processes.ts';
import { ancestors } from '../../lib/run-as.ts';
import { backoffDelay, nextAttempt, Supervisor } from '../../lib/supervise.ts';

describe('backoff', () => {
  it('doubles from 1 s and stays at 30 s', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(2, { initialMs: 10, maxMs: 25 })).toBe(25);
  });

  it('starts over after a long run, keeps climbing in a crash loop', () => {
    expect(nextAttempt(4, 120_000, 60_000)).toBe(0);
    expect(nextAttempt(4, 5_000, 60_000)).toBe(5);
  });
});

/** A stand-in server: `kill()` ends it as a crash would. */
function fakeServer() {
  let end: (how: string) => void = () => {};
  const exited = new Promise<string>((resolve) => (end = resolve));
  return {
    exited,
    stopped: false,
    kill: () => end('was killed (SIGKILL)'),
    async stop() {
      this.stopped = true;
      end('stopped');
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('Supervisor', () => {
  it('restarts a crashed server, saying once that it went and once that it is back', async () => {
    const lines: string[] = [];
    const servers: Array<ReturnType<typeof fakeServer>> = [];
    let failures = 2; // the first two restart attempts fail
    const s = new Supervisor({
      name: 'Temporal dev server',
      log: (l) => lines.push(l),
      backoff: { initialMs: 5, maxMs: 20 },
      start: async () => {
        if (servers.length > 0 && failures-- > 0) throw new Error('port still busy');
        const server = fakeServer();
        servers.push(server);
        return server;
      },
    });
    await s.begin();
    servers[0]!.kill();
    await until(() => servers.length === 2);
    await until(() => lines.length === 3);
    expect(lines[0]).toBe('Temporal dev server was killed (SIGKILL); restarting it on the same data');
    expect(lines[1]).toBe('Temporal dev server did not start again (port still busy); will keep trying');
    expect(lines[2]).toMatch(/^Temporal dev server is back \(down \d+\.\d s\)$/);
    expect(s.current).toBe(servers[1]);
    await s.stop();
    expect(servers[1]!.stopped).toBe(true);
    expect(lines).toHaveLength(3); // a deliberate stop is not a crash
  });

  it('restarts nothing once halted, even a restart already waiting out its backoff', async () => {
    let starts = 0;
    const first = fakeServer();
    const s = new Supervisor({
      name: 'PostgreSQL',
      log: () => {},
      backoff: { initialMs: 50, maxMs: 50 },
      start: async () => (++starts === 1 ? first : fakeServer()),
    });
    await s.begin();
    first.kill();
    await new Promise((r) => setTimeout(r, 5));
    await s.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(starts).toBe(1);
  });
});

describe('pid file', () => {
  let dir = '';
  const children: number[] = [];
  afterEach(() => {
    for (const pid of children.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sleeper = () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    return child.pid!;
  };

  it('names a process by pid, command line and start time, so a reused pid is not ours', () => {
    const pid = sleeper();
    const record = recordOf(pid)!;
    expect(record.command).toBe('sleep 30');
    expect(stillRunning(record)).toBe(true);
    expect(stillRunning({ ...record, command: 'sleep 31' })).toBe(false);
    expect(stillRunning({ ...record, started: 'another time' })).toBe(false);
    expect(stillRunning({ ...record, pid: 2 ** 22 + 1 })).toBe(false);
  });

  it('reads nothing from a missing or torn file', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aw-pids-'));
    const file = path.join(dir, 'pids.json');
    expect(readPidFile(file)).toEqual({});
    writeFileSync(file, '{"start": {"pid": 12');
    expect(readPidFile(file)).toEqual({});
  });

  it('refuses while the recorded npm start runs, and stops the servers a dead one left', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aw-pids-'));
    const file = path.join(dir, 'pids.json');
    const owner = sleeper();
    writePidFile(file, { start: recordOf(owner)! });
    await expect(claimDataDir(file, { dataDir: dir, log: () => {} })).rejects.toThrow(
      `npm start is already running on ${dir} (pid ${owner})`,
    );

    const leftover = sleeper();
    const lines: string[] = [];
    const deadOwner = { pid: owner, command: 'node an-old-run.ts', started: null };
    writePidFile(file, { start: deadOwner, 'Temporal dev server': recordOf(leftover)! });
    await claimDataDir(file, { dataDir: dir, log: (l) => lines.push(l) });
    expect(isAlive(leftover)).toBe(false);
    expect(isAlive(owner)).toBe(true); // its command line is not the recorded one: not ours to touch
    expect(lines).toEqual([`• Stopping the Temporal dev server an earlier npm start left running (pid ${leftover})…`]);
    expect(readPidFile(file).start?.pid).toBe(process.pid);
  });
});

describe('process and folder facts', () => {
  it('reads our own command line', () => {
    expect(processArgs(process.pid)?.join(' ')).toContain('node');
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(0)).toBe(false);
  });

  it('recognises a postmaster on a data folder', () => {
    expect(isPostgresOn(['/x/native/bin/postgres', '-D', '/data/pg', '-p', '5432'], '/data/pg')).toBe(true);
    expect(isPostgresOn(['/x/native/bin/postgres', '-D', '/data/other'], '/data/pg')).toBe(false);
    expect(isPostgresOn(['/usr/bin/sleep', '-D', '/data/pg'], '/data/pg')).toBe(false);
  });

  it('lists the folders on the way to a path', () => {
    expect(ancestors('/root/app/.data')).toEqual(['/', '/root', '/root/app', '/root/app/.data']);
    expect(ancestors('/')).toEqual(['/']);
  });

  it('says something readable for anything thrown', () => {
    expect(errorMessage(undefined)).toBe('failed without giving a reason (it threw undefined)');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('text')).toBe('text');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
    expect(describeExit(null, 'SIGKILL')).toBe('was killed (SIGKILL)');
    expect(describeExit(3, null)).toBe('exited with code 3');
  });
});
