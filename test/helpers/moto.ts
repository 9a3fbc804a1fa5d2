// The moto AWS emulator as a child process of the test file: the real AWS SDK talks to it over HTTP. The binary comes
// from MOTO_SERVER_PATH, PATH or .venv/bin (where `npm test` fetches it: scripts/setup-tools.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { findTool, MOTO_SERVER } from '../../lib/tools.ts';

const NO_MOTO = 'moto_server is not on PATH or in .venv/bin: `npm test` fetches it (or `npm run setup-tools`)';

export interface Moto {
  url: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  let spawnError: Error | null = null;
  const moto = findTool(MOTO_SERVER);
  if (!moto) throw new Error(NO_MOTO);
  // Own process group, so stopping it also stops anything a pyenv shim put in between.
  const child: ChildProcess = spawn(moto, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (err) => {
    spawnError = err;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, 'exit');
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`Could not start ${moto}: ${(spawnError as Error).message}`);
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${url} within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
