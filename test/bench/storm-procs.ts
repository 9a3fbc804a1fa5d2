// The wide-storm bench's service processes: the worker (`npm run worker`) and the API with its alert router
// (`npm run api`), each a process of its own as npm start's layout runs them, so each one's memory and CPU can be
// read apart. Run as `node --import tsx <file>` rather than through the tsx command, which would put a second
// process between us and the one whose RSS we read. Every child dies with the bench (dieWithParent).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dieWithParent, stopChild } from '../../lib/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Stops it (SIGTERM, then SIGKILL) and resolves once it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <file>` from the repo root with `env` added, and resolves once a line of its stdout
 * matches `ready`; rejects if it exits first or takes longer than `timeoutMs`. Its stderr goes to `log`.
 */
export async function startService(o: {
  name: string;
  file: string;
  env: Record<string, string>;
  ready: RegExp;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  // BENCH_NODE_ARGS ("--cpu-prof --cpu-prof-dir=/tmp/prof"): Node options for the services, to profile them.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const [program, args] = dieWithParent(process.execPath, [...nodeArgs, '--import', 'tsx', o.file], 'SIGTERM');
  const child: ChildProcess = spawn(program, args, {
    cwd: ROOT,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = (each: (line: string) => void) => (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim())
      .forEach(each);
  child.stderr!.on(
    'data',
    lines((l) => o.log(`[${o.name}] ${l.slice(0, 400)}`)),
  );
  await new Promise<void>((resolve, reject) => {
    const ms = o.timeoutMs ?? 120_000;
    const timer = setTimeout(() => reject(new Error(`${o.name} not ready after ${ms} ms`)), ms);
    child.stdout!.on(
      'data',
      lines((l) => {
        if (o.ready.test(l)) {
          clearTimeout(timer);
          resolve();
        }
      }),
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${o.name} exited (${code ?? signal}) before it was ready`));
    });
  });
  return { name: o.name, pid: child.pid!, stop: () => stopChild(child, [['SIGTERM', 15_000]]) };
}

/** Resident memory of one process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU ticks (10 ms) a process and its descendants have used, ended children included (PostgreSQL's backends). */
export function treeTicks(root: number): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s
        .slice(s.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      procs.set(Number(d), { ppid: f[1]!, ticks: f[11]! + f[12]! + f[13]! + f[14]! });
    } catch {
      // ended between readdir and read
    }
  }
  const tree = new Set([root]);
  for (let size = 0; size !== tree.size;) {
    size = tree.size;
    for (const [pid, p] of procs) if (tree.has(p.ppid)) tree.add(pid);
  }
  return [...tree].reduce((a, pid) => a + (procs.get(pid)?.ticks ?? 0), 0);
}

/** Samples each process's RSS every `everyMs` and keeps the peak; `peaks()` reads them, `stop()` ends sampling. */
export function rssPeaks(pids: Record<string, number>, everyMs = 250) {
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const sample = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const mb = rssMb(pid);
      if (mb > peak[k]!) peak[k] = mb;
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peaks: () => (sample(), { ...peak }),
    reset: () => Object.keys(peak).forEach((k) => (peak[k] = 0)),
    stop: () => clearInterval(timer),
  };
}

/** % of one core each process tree used since the meter was made. */
export function cpuMeter(pids: Record<string, number>) {
  const t0 = Date.now();
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, treeTicks(pid)]));
  return (): Record<string, number> => {
    const wall = Date.now() - t0;
    return Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, ((treeTicks(pid) - start[k]!) * 1000) / Math.max(wall, 1)]),
    );
  };
}
