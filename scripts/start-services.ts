// `npm start`'s own services as child processes, as compose runs them: the API on several processes sharing one port
// (node:cluster), the alert router and the Temporal worker; each is ready once it prints its plain ready line. Also the
// ordered, time-bounded stop steps every part of npm start registers. scripts/start.ts supervises them.
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../lib/fatal.ts';
import { describeExit, dieWithParent, stopChild } from '../lib/processes.ts';
import type { Supervised } from '../lib/supervise.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Each child runs its TypeScript entry point from source, as `npm run api|router|worker` do. */
const TSX = ['--import', import.meta.resolve('tsx')];
/** A stop step that takes longer is abandoned, so Ctrl-C always ends npm start. */
const STOP_STEP_TIMEOUT_MS = 20_000;
/** Bundling, migrations and connecting take seconds; a child silent for this long is not coming up. */
const READY_TIMEOUT_MS = 120_000;

async function withTimeout(what: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([what, late]);
  } finally {
    clearTimeout(timer);
  }
}

export type Stops = Array<[string, () => Promise<unknown>]>;

/** Runs the stop steps last-first, each bounded in time; true when every one succeeded. */
export async function runStops(stops: Stops): Promise<boolean> {
  let clean = true;
  for (const [name, stop] of [...stops].reverse()) {
    try {
      await withTimeout(stop(), STOP_STEP_TIMEOUT_MS);
    } catch (err) {
      clean = false;
      console.error(`  while stopping ${name}: ${errorMessage(err)}`);
    }
  }
  return clean;
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(CONNECTION_\w+|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|57P0[1-3])$/.test(code);
}

export interface ChildService extends Supervised {
  pid: number;
}

/**
 * Passes a child's output through line by line, except its ready line (npm start prints one banner for all), and
 * resolves once that line came; rejects if the child exits first or stays silent too long (then it is stopped).
 */
function watch(name: string, child: ChildProcess, ready: RegExp, stopSteps: Array<[NodeJS.Signals, number]>) {
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(describeExit(code, signal))),
  );
  const stop = () => stopChild(child, stopSteps);
  let isReady = false;
  let markReady: () => void = () => {};
  const readyLine = new Promise<void>((resolve) => (markReady = resolve));
  const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!isReady && ready.test(line)) {
          isReady = true;
          markReady();
        } else {
          out.write(`${line}\n`);
        }
      }
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  return (async (): Promise<ChildService> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), READY_TIMEOUT_MS)));
    const first = await Promise.race([readyLine.then(() => 'ready' as const), exited, late]);
    clearTimeout(timer);
    if (first === 'ready') return { pid: child.pid!, exited, stop };
    await stop();
    // What it printed has been passed through already.
    throw new Error(`the ${name} ${first === 'late' ? `was not ready in ${READY_TIMEOUT_MS / 1000} s` : first}`);
  })();
}

/**
 * `node --import tsx <file>` as a child that gets SIGTERM when npm start dies, even by SIGKILL (see dieWithParent).
 * Resolves once its stdout carries the ready line.
 */
export async function spawnService(o: {
  name: string;
  file: string;
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  /** How long SIGTERM may take (draining) before SIGKILL. */
  stopMs: number;
}): Promise<ChildService> {
  const [program, args] = dieWithParent(process.execPath, [...TSX, o.file], 'SIGTERM');
  const child = spawn(program, args, { cwd: ROOT, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`could not start the ${o.name}: ${err.message}`)));
  });
  return watch(o.name, child, o.ready, [['SIGTERM', o.stopMs]]);
}

/** API_PROCESSES, else one API process per core this process may use. */
export function apiProcesses(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.API_PROCESSES?.trim();
  if (!raw) return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`API_PROCESSES must be 1 to 256, got "${raw}"`);
  return n;
}

let clusterReady = false;

/**
 * One API process (api/main.ts) forked by node:cluster: every one listens on the same port, which this process holds
 * and hands connections out from in turn. Node 20 has no reusePort for separate processes to share it. A forked
 * worker exits by itself when this process dies (its IPC channel closes), so none outlives npm start.
 */
export async function forkApi(o: { name: string; env: NodeJS.ProcessEnv; stopMs: number }): Promise<ChildService> {
  if (!clusterReady) {
    cluster.setupPrimary({ exec: `${ROOT}api/main.ts`, execArgv: TSX, cwd: ROOT, silent: true });
    clusterReady = true;
  }
  const worker = cluster.fork(o.env);
  return watch(o.name, worker.process, /^\[api\] listening on /, [['SIGTERM', o.stopMs]]);
}
