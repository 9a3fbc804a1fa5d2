// `npm start` runs its parts as compose does, each its own process: the API on API_PROCESSES processes sharing one
// port, one alert router and one worker, all supervised. An API process killed while webhooks come in is restarted,
// every alert answered 2xx is routed, and npm start itself keeps running; nothing outlives the final Ctrl-C.
import { availableParallelism } from 'node:os';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { isAlive } from '../../lib/processes.ts';
import { apiProcesses } from '../../scripts/start-services.ts';
import { count, interrupt, killGroup, load, newSite, nothingLeft, pidsOf, postAlert, processTree } from './helpers.ts';
import { start } from './helpers.ts';
import { waitFor, waitRouted, type Running, type Site } from './helpers.ts';

let site: Site;
let running: Running | null = null;

beforeAll(async () => {
  site = await newSite();
  running = await start(site, 'node', { API_PROCESSES: '2' });
});

afterAll(async () => {
  if (running) killGroup(running.child);
  site?.cleanup();
});

/** How many of these delivery ids are not linked to an incident yet. */
async function unlinked(ids: string[]): Promise<number> {
  const sql = postgres(site.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts WHERE delivery_id = ANY(${ids}) AND incident_id IS NULL`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

/** npm start's Node children by what they run. */
function layout(startPid: number) {
  const node = processTree(startPid).filter((p) => /\bnode\b/.test(p.command.split(' ')[0]!));
  const running = (file: string) => node.filter((p) => p.command.includes(file)).map((p) => p.pid);
  return { api: running('api/main.ts'), router: running('router/main.ts'), worker: running('worker/main.ts') };
}

describe('npm start runs each part as its own supervised process', () => {
  it('reads API_PROCESSES, else one API process per core', () => {
    expect(apiProcesses({})).toBe(availableParallelism());
    expect(apiProcesses({ API_PROCESSES: '3' })).toBe(3);
    expect(() => apiProcesses({ API_PROCESSES: 'many' })).toThrow('API_PROCESSES must be 1 to 256, got "many"');
  });

  it('shows two API processes, one router and one worker under npm start, each recorded in pids.json', () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const startPid = pidsOf(site).start!.pid;
    expect(startPid).toBe(r.child.pid);
    const now = layout(startPid);
    expect(now.api).toHaveLength(2);
    expect(now.router).toHaveLength(1);
    expect(now.worker).toHaveLength(1);
    const { children } = pidsOf(site);
    expect(Object.keys(children).sort()).toEqual(['API process 1', 'API process 2', 'alert router', 'worker']);
    expect([children['API process 1']!.pid, children['API process 2']!.pid].sort()).toEqual([...now.api].sort());
    expect(children['alert router']!.pid).toBe(now.router[0]);
    expect(children.worker!.pid).toBe(now.worker[0]);
    // One banner: the children's own ready lines are not passed through.
    expect(count(r.output(), /is ready \(/)).toBe(1);
    expect(r.output()).not.toMatch(/\[api\] listening on|\[router\] routing|\[worker\] polling/);
  });

  it('restarts an API process killed under load: every 2xx alert is routed, npm start keeps running', async () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const startPid = pidsOf(site).start!.pid;
    const victim = pidsOf(site).children['API process 1']!.pid;
    const traffic = load(r, 'layout-kill');
    expect(await waitFor(() => traffic.accepted.length >= 40, 30_000)).toBe(true);
    process.kill(victim, 'SIGKILL');
    expect(await waitFor(() => /API process 1 is back/.test(r.output()), 60_000)).toBe(true);
    // The port never closed: the other API process answered meanwhile, and both do now.
    const acceptedBack = traffic.accepted.length;
    expect(await waitFor(() => traffic.accepted.length >= acceptedBack + 40, 30_000)).toBe(true);
    await traffic.stop();

    const { missing, unrouted } = await waitRouted(site, [...traffic.accepted], 60_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    expect(isAlive(startPid)).toBe(true);
    const out = r.output();
    expect(count(out, /API process 1 was killed \(SIGKILL\); restarting it on the same data/)).toBe(1);
    const after = layout(startPid);
    expect(after.api).toHaveLength(2);
    expect(after.api).not.toContain(victim);
    expect(pidsOf(site).children['API process 1']!.pid).not.toBe(victim);
  }, 240_000);

  it('restarts a killed router and worker: alerts sent meanwhile are routed and open their incidents', async () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const before = pidsOf(site).children;
    process.kill(before['alert router']!.pid, 'SIGKILL');
    process.kill(before.worker!.pid, 'SIGKILL');
    // Stored and answered while neither runs: the API does not wait on them.
    const ids = Array.from({ length: 10 }, (_, i) => `layout-parts-down-${process.pid}-${i}`);
    for (const id of ids) expect(await postAlert(r, id, `srv-parts-${id.at(-1)}`)).toBe(202);
    const back = () => /alert router is back/.test(r.output()) && /worker is back/.test(r.output());
    expect(await waitFor(back, 90_000)).toBe(true);
    const { missing, unrouted } = await waitRouted(site, ids, 90_000);
    expect(missing).toEqual([]);
    expect(unrouted).toEqual([]);
    // The incident rows are the restarted worker's: its activities save them and link the alerts.
    expect(await waitFor(async () => (await unlinked(ids)) === 0, 90_000)).toBe(true);
    const after = pidsOf(site).children;
    expect(after['alert router']!.pid).not.toBe(before['alert router']!.pid);
    expect(after.worker!.pid).not.toBe(before.worker!.pid);
    expect(layout(r.child.pid!)).toMatchObject({ router: [after['alert router']!.pid], worker: [after.worker!.pid] });
  }, 240_000);

  it('stops every part on Ctrl-C, leaving nothing running', async () => {
    const r = running!;
    onTestFailed(() => console.error(r.output()));
    const pids = pidsOf(site);
    await interrupt(r, site);
    running = null;
    const recorded = [pids.start, pids.temporal, pids.postgres, ...Object.values(pids.children)];
    expect(await nothingLeft(site, recorded)).toEqual([]);
  }, 240_000);
});
