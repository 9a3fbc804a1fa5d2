// `npm start` killed with SIGKILL under load comes back on the same data: every alert it answered 2xx before the
// kill is stored and routed after the restart, and nothing is left running after the final Ctrl-C.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { stillRunning } from '../../lib/pid-file.ts';
import { interrupt, killGroup, load, newSite, nothingLeft, pidsOf, sleep, start, waitFor } from './helpers.ts';
import { waitRouted, type Running, type Site } from './helpers.ts';

/** A survivor's state, kernel wait channel, parent and CPU ticks so far, from /proc (for a failure's message). */
function doing(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8') || '-';
    return `state ${f[0]}, waiting in ${wchan}, parent ${f[1]}, ${Number(f[11]) + Number(f[12])} CPU ticks`;
  } catch {
    return 'gone';
  }
}

let site: Site | null = null;
let running: Running | null = null;
/** Every run's output, printed when a test fails. */
let runs: Running[] = [];

beforeEach(() => {
  runs = [];
  onTestFailed(() => runs.forEach((r, i) => console.error(`--- run ${i + 1} ---\n${r.output()}`)));
});

afterEach(async () => {
  if (running) killGroup(running.child); // a failed test must not leave a server behind
  running = null;
  site?.cleanup();
  site = null;
});

describe('npm start killed with SIGKILL under load', () => {
  it('the start process killed alone: its servers go with it, the next start routes every 2xx alert', async () => {
    site = await newSite();
    running = await start(site, 'node');
    runs.push(running);
    const before = pidsOf(site);
    expect(before.start?.pid).toBe(running.child.pid);
    const traffic = load(running, 'kill-node');
    await waitFor(() => traffic.accepted.length >= 40, 40_000);
    process.kill(running.child.pid!, 'SIGKILL'); // the API process, mid-load
    await running.exited;
    await traffic.stop();
    const accepted = [...traffic.accepted];
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    // Its PostgreSQL, Temporal dev server, API processes, router and worker do not outlive it.
    const children = Object.values(before.children);
    expect(children).toHaveLength(4); // two API processes, the alert router, the worker
    const servers = { temporal: before.temporal!, postgres: before.postgres!, ...before.children };
    const left = () => Object.entries(servers).filter(([, p]) => stillRunning(p));
    await waitFor(() => left().length === 0, 60_000);
    // Named, so a failure says which one outlived it and what it was doing (its state, where it sleeps, its CPU).
    expect(left().map(([name, p]) => `${name} (pid ${p.pid}, ${doing(p.pid)}): ${p.command}`)).toEqual([]);

    running = await start(site, 'node');
    runs.push(running);
    const { missing, unrouted } = await waitRouted(site, accepted, 90_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    const after = pidsOf(site);
    await interrupt(running, site);
    running = null;
    const all = [before.start, before.temporal, before.postgres, after.temporal, after.postgres];
    all.push(...children, ...Object.values(after.children));
    expect(await nothingLeft(site, all)).toEqual([]);
  }, 300_000);

  it('the whole of `npm start` killed at once (npm, node, PostgreSQL, Temporal): the next one recovers', async () => {
    site = await newSite();
    running = await start(site, 'npm');
    runs.push(running);
    const before = pidsOf(site);
    const traffic = load(running, 'kill-group');
    await waitFor(() => traffic.accepted.length >= 40, 40_000);
    // Temporal's file keeps a write-ahead log (lib/temporal-dev-server.ts): the kill below lands mid-write on it too.
    expect(existsSync(path.join(site.dataDir, 'temporal.db-wal'))).toBe(true);
    killGroup(running.child); // every process of it, PostgreSQL mid-write included: nothing gets to clean up
    await running.exited;
    await traffic.stop();
    const accepted = [...traffic.accepted];
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    await sleep(200);

    running = await start(site, 'npm');
    runs.push(running);
    const { missing, unrouted } = await waitRouted(site, accepted, 90_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    const after = pidsOf(site);
    await interrupt(running, site);
    running = null;
    const all = [before.start, before.temporal, after.start, after.temporal, after.postgres];
    all.push(...Object.values(before.children), ...Object.values(after.children));
    expect(await nothingLeft(site, all)).toEqual([]);
  }, 300_000);
});
