// A Temporal dev server or PostgreSQL that dies while `npm start` runs is restarted on its data, reported once
// when it goes and once when it is back, and the alerts that came in meanwhile are routed.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { count, interrupt, killGroup, load, newSite, nothingLeft, pidsOf, postAlert, start } from './helpers.ts';
import { waitFor, waitRouted, type Running, type Site } from './helpers.ts';

let site: Site;
let running: Running | null = null;

beforeAll(async () => {
  site = await newSite();
  running = await start(site, 'npm');
});

afterAll(async () => {
  if (running) killGroup(running.child);
  site.cleanup();
});

describe('npm start supervises its servers', () => {
  it('restarts a killed Temporal dev server: alerts still get 202 and are routed; the log says so once', async () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const first = pidsOf(site).temporal!.pid;
    process.kill(first, 'SIGKILL');
    // The webhook does not wait on Temporal: alerts sent while it is down are stored and answered 202.
    const whileDown: number[] = [];
    const ids = Array.from({ length: 10 }, (_, i) => `temporal-down-${process.pid}-${i}`);
    for (const id of ids) whileDown.push(await postAlert(r, id));
    expect(whileDown.every((s) => s === 202)).toBe(true);
    expect(await waitFor(() => /Temporal dev server is back/.test(r.output()), 40_000)).toBe(true);
    const second = pidsOf(site).temporal?.pid;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);

    const { missing, unrouted } = await waitRouted(site, ids, 45_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    const out = r.output();
    expect(count(out, /Temporal dev server was killed \(SIGKILL\); restarting it on the same data/)).toBe(1);
    expect(count(out, /Temporal dev server is back/)).toBe(1);
    // The Rust client's per-retry warnings (several a second while the server is down) stay quiet.
    expect(count(out, /temporalio_client::retry/)).toBe(0);
  }, 90_000);

  it('restarts a killed PostgreSQL on its data: alerts are accepted again and routed', async () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const first = pidsOf(site).postgres!.pid;
    const traffic = load(r, 'pg-down', 2);
    await waitFor(() => traffic.accepted.length >= 10, 20_000);
    process.kill(first, 'SIGKILL');
    expect(await waitFor(() => /PostgreSQL is back/.test(r.output()), 40_000)).toBe(true);
    const acceptedBefore = traffic.accepted.length;
    expect(await waitFor(() => traffic.accepted.length >= acceptedBefore + 10, 20_000)).toBe(true);
    await traffic.stop();

    const { missing, unrouted } = await waitRouted(site, [...traffic.accepted], 45_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    const out = r.output();
    expect(count(out, /PostgreSQL was killed \(SIGKILL\); restarting it on the same data/)).toBe(1);
    expect(count(out, /PostgreSQL is back/)).toBe(1);

    const pids = pidsOf(site);
    await interrupt(r, site);
    running = null;
    expect(await nothingLeft(site, [pids.start, pids.temporal, pids.postgres])).toEqual([]);
  }, 90_000);
});
