// The Temporal dev server on a port of our choosing that stops before it is ready (another process took the port in
// between, on a busy machine) is started once more on another port; a server that keeps failing is reported with
// what it said. The CLI here is a wrapper around the real one that fails as told, then runs the real server.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findTemporalCli, startTemporalDevServer } from '../../lib/temporal-dev-server.ts';

const real = findTemporalCli();
const dirs: string[] = [];
const saved = process.env.TEMPORAL_CLI_PATH;
afterEach(() => {
  if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
  else process.env.TEMPORAL_CLI_PATH = saved;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A CLI that fails `failures` times (exit 2, as the server does when its port is taken), then is the real one. */
function flakyCli(failures: number): { cli: string; starts: () => number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-cli-'));
  dirs.push(dir);
  const cli = path.join(dir, 'temporal');
  writeFileSync(
    cli,
    [
      '#!/bin/sh',
      `n=$(ls ${dir}/start-* 2>/dev/null | wc -l)`,
      `touch ${dir}/start-$n`,
      `if [ "$n" -lt ${failures} ]; then echo "listen tcp 127.0.0.1: bind: address already in use" >&2; exit 2; fi`,
      `exec ${real} "$@"`,
    ].join('\n'),
  );
  chmodSync(cli, 0o755);
  return { cli, starts: () => [0, 1, 2, 3].filter((i) => existsSync(path.join(dir, `start-${i}`))).length };
}

describe('starting the Temporal dev server', () => {
  it('starts again on another port when the server stopped before it was ready', async () => {
    const { cli, starts } = flakyCli(1);
    process.env.TEMPORAL_CLI_PATH = cli;
    const lines: string[] = [];
    const server = await startTemporalDevServer({ log: (l) => lines.push(l) });
    try {
      expect(starts()).toBe(2);
      expect(lines.join('\n')).toMatch(/address already in use[\s\S]*starting it again on another port/);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('reports what the server said when it fails again', async () => {
    const { cli, starts } = flakyCli(2);
    process.env.TEMPORAL_CLI_PATH = cli;
    await expect(startTemporalDevServer({})).rejects.toThrow(
      /exited with code 2 before it was ready; its last output: listen tcp 127\.0\.0\.1: bind: address already in use/,
    );
    expect(starts()).toBe(2);
  });

  it('does not choose another port when the caller named one', async () => {
    const { cli, starts } = flakyCli(1);
    process.env.TEMPORAL_CLI_PATH = cli;
    const { freePort } = await import('../../lib/ports.ts');
    await expect(startTemporalDevServer({ port: await freePort() })).rejects.toThrow(/before it was ready/);
    expect(starts()).toBe(1);
  });
});
