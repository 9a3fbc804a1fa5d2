// Child processes that must not outlive npm start, and leftovers of an earlier run found by pid.
// Before touching a pid we read its command line: a pid from a file may since belong to someone else.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

/** An executable named by `envVar`, else found on PATH, else null. */
export function findExecutable(name: string, envVar: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[envVar]) return env[envVar]!;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

const SETPRIV = process.platform === 'linux' ? findExecutable('setpriv', 'SETPRIV_PATH') : null;

/**
 * Wraps a command so the kernel sends it `signal` when the spawning thread ends, even by SIGKILL: Node has no
 * prctl(PR_SET_PDEATHSIG), util-linux `setpriv --pdeathsig` sets it and then execs the command under the same
 * pid. Without setpriv (macOS, minimal images) the command runs as is and npm start's pid file and PostgreSQL's
 * postmaster.pid let the next start find and stop what was left.
 */
export function dieWithParent(command: string, args: string[], signal: 'SIGTERM' | 'SIGINT'): [string, string[]] {
  if (!SETPRIV) return [command, args];
  return [SETPRIV, ['--pdeathsig', signal.slice(3), '--', command, ...args]];
}

/** True while the pid names a running (not zombie) process, ours or another user's. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** The /proc/<pid>/stat fields after the command name (field 3 onwards), or null off Linux or when gone. */
function statFields(pid: number): string[] | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function processState(pid: number): string | null {
  return statFields(pid)?.[0] ?? null;
}

/** The argv of a running process, or null when there is none we can read. */
export function processArgs(pid: number): string[] | null {
  if (!isAlive(pid)) return null;
  if (process.platform === 'linux') {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.at(-1) === '') args.pop();
      return args.length > 0 ? args : null;
    } catch {
      return null;
    }
  }
  const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 && ps.stdout.trim() ? ps.stdout.trim().split(/\s+/) : null;
}

/** When the process started (clock ticks since boot on Linux, a date elsewhere): with the pid, it names one process. */
export function processStartTime(pid: number): string | null {
  const fields = statFields(pid);
  if (fields) return fields[19] ?? null; // field 22, starttime
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim() || null : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once the pid is gone, false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Sends each signal in turn, giving the process its time to end after each; SIGKILL comes last. */
export async function terminate(pid: number, steps: Array<[NodeJS.Signals, number]>): Promise<void> {
  for (const [signal, waitMs] of [...steps, ['SIGKILL', 5_000] as [NodeJS.Signals, number]]) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    if (await waitForExit(pid, waitMs)) return;
  }
  throw new Error(`process ${pid} did not stop, even after SIGKILL`);
}

/** "exited with code 1", "was killed (SIGKILL)". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed (${signal})` : `exited with code ${code}`;
}

/**
 * Stops our own child: each signal in turn until it exits, SIGKILL last. Goes through the ChildProcess, so a pid
 * the system has already reused for another process is never signalled.
 */
export async function stopChild(child: ChildProcess, steps: Array<[NodeJS.Signals, number]>): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (child.pid === undefined || exited()) return; // never started, or already gone
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const [signal, waitMs] of [...steps, ['SIGKILL', 5_000] as [NodeJS.Signals, number]]) {
    if (exited()) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }
}
