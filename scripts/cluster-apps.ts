// Our own processes of `npm run cluster`: each API, router and worker is `node --import tsx <entry>` of its own
// (node itself, not the tsx wrapper, so the pid we hold is the process that serves and a SIGKILL hits it), started on
// the cluster's environment and counted as up once it prints its one plain ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { describeExit, dieWithParent, stopChild } from '../lib/processes.ts';
import { PROJECT_ROOT } from '../lib/tools.ts';

export type AppRole = 'api' | 'router' | 'worker';

const ENTRY: Record<AppRole, string> = { api: 'api/main.ts', router: 'router/main.ts', worker: 'worker/main.ts' };

/** The one plain stdout line each prints once it serves (everything else is JSON on its logger). */
const READY: Record<AppRole, RegExp> = {
  api: /^\[api\] listening on /m,
  router: /^\[router\] routing/m,
  worker: /^\[worker\] polling task queue/m,
};

/** The worker bundles the workflow code before it polls: tens of seconds on a busy 2-core machine. */
const READY_TIMEOUT_MS = 180_000;

export interface AppProcess {
  name: string;
  role: AppRole;
  pid: number;
  /** The API's base URL; null for routers and workers. */
  url: string | null;
  /** Settles when the process ends; the value says how ("was killed (SIGKILL)"). */
  exited: Promise<string>;
  /** Null while it runs. */
  exitedHow(): string | null;
  /** The last part of what it printed, stdout and stderr. */
  output(): string;
  /** A signal, no waiting: a test's SIGKILL mid-storm. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (each drains and stops on it), SIGKILL if it outstays its grace. */
  stop(): Promise<void>;
}

export async function startApp(o: {
  role: AppRole;
  name: string;
  env: NodeJS.ProcessEnv;
  /** The API's port (it listens on 127.0.0.1). */
  port?: number;
  log?: (name: string, line: string) => void;
}): Promise<AppProcess> {
  const env = { ...o.env, ...(o.port ? { PORT: String(o.port), HOST: '127.0.0.1' } : {}) };
  const args = ['--import', 'tsx', ENTRY[o.role]];
  const [program, programArgs] = dieWithParent(process.execPath, args, 'SIGTERM');
  const child: ChildProcess = spawn(program, programArgs, {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The start (why it failed to come up) and the end (what it did last) of what it printed.
  let head = '';
  let tail = '';
  const out = () => (tail ? `${head}\n…\n${tail}` : head);
  let ready = false;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    if (head.length < 20_000) head += text;
    else tail = (tail + text).slice(-100_000);
    if (!ready) ready = READY[o.role].test(out());
    for (const line of text.trimEnd().split('\n')) o.log?.(o.name, line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let how: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve((how = `could not be started (${err.message})`)));
    child.once('exit', (code, signal) => resolve((how = describeExit(code, signal))));
  });
  const app: AppProcess = {
    name: o.name,
    role: o.role,
    pid: child.pid ?? -1,
    url: o.port ? `http://127.0.0.1:${o.port}` : null,
    exited,
    exitedHow: () => how,
    output: out,
    kill: (signal) => void child.kill(signal),
    stop: () => stopChild(child, [['SIGTERM', 30_000]]),
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready) {
    if (how || Date.now() > deadline) {
      await app.stop();
      const why = how ?? `printed no ready line in ${READY_TIMEOUT_MS / 1000} s`;
      throw new Error(`${o.name} (${ENTRY[o.role]}) ${why}:\n${out().trim().split('\n').slice(-15).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return app;
}
