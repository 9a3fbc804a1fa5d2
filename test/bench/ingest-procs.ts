// bench:ingest's service parts as npm start runs them (BENCH_LAYOUT=processes, the default): the API on `apis`
// processes sharing one port through node:cluster with this process as primary (scripts/start-services.ts's forkApi,
// ROUTER=off), the alert router (`router/main.ts`) and the Temporal worker (`worker/main.ts`), each its own process,
// against the bench's embedded PostgreSQL and Temporal dev server. The router can be stopped and started again, as the
// bench's "router stopped" reference and drain phases need. Every child dies with the bench.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { forkApi, type ChildService } from '../../scripts/start-services.ts';
import { startService, treeTicks, type ServiceProcess } from './storm-procs.ts';

export interface IngestProcs {
  base: string;
  /** The running parts' pids by name (api 1…n, router while it runs, worker). */
  pids(): Record<string, number>;
  stopRouter(): Promise<void>;
  /** Starts a fresh router process; resolves once it prints its ready line. */
  startRouter(): Promise<void>;
  stop(): Promise<void>;
}

export async function startIngestProcs(o: {
  databaseUrl: string;
  temporalAddress: string;
  port: number;
  apis: number;
  log: (line: string) => void;
}): Promise<IngestProcs> {
  // The settings the in-process layout gives its config (dry-run remediation, no webhook rate limit).
  const env: Record<string, string> = {
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    ENCRYPTION_KEY: 'bench-encryption-key-that-is-long-enough',
    REMEDIATION_MODE: 'dry_run',
    WEBHOOK_RATE_PER_MINUTE: '0',
    HOST: '127.0.0.1',
    PORT: String(o.port),
  };
  const started: Array<ServiceProcess | (ChildService & { name: string })> = [];
  let router: ServiceProcess | null = null;
  const startRouter = async () => {
    router = await startService({
      name: 'router',
      file: 'router/main.ts',
      env,
      ready: /^\[router\] routing$/,
      log: o.log,
    });
  };
  try {
    const worker = await startService({
      name: 'worker',
      file: 'worker/main.ts',
      env,
      ready: /^\[worker\] polling /,
      log: o.log,
      timeoutMs: 180_000,
    });
    started.push(worker);
    // One after another: each runs migrate() on start, which the bench has already applied.
    for (let i = 0; i < o.apis; i++) {
      const name = `api ${i + 1}`;
      const api = await forkApi({ name, env: { ...process.env, ...env, ROUTER: 'off' }, stopMs: 10_000 });
      started.push({ ...api, name });
    }
    await startRouter();
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  return {
    base: `http://127.0.0.1:${o.port}`,
    pids: () => ({
      ...Object.fromEntries(started.map((s) => [s.name, s.pid])),
      ...(router ? { router: router.pid } : {}),
    }),
    stopRouter: async () => {
      const r = router;
      router = null;
      await r?.stop();
    },
    startRouter,
    stop: async () => {
      const r = router;
      router = null;
      // The API first (no more alerts), then the router ends its pass, then the worker drains.
      await Promise.all(started.filter((s) => s.name !== 'worker').map((s) => s.stop()));
      await r?.stop();
      await Promise.all(started.filter((s) => s.name === 'worker').map((s) => s.stop()));
    },
  };
}

/**
 * A CPU meter over the parts from now: % of one core each part's process tree used, the API processes summed. A part
 * started after the meter (the drain's fresh router) counts from its start.
 */
export function partsMeter(procs: IngestProcs): () => string {
  const t0 = Date.now();
  const start = Object.entries(procs.pids()).map(([name, pid]) => ({ name, pid, ticks: treeTicks(pid) }));
  return () => {
    const wall = Math.max(Date.now() - t0, 1);
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(procs.pids())) {
      const before = start.find((s) => s.name === name && s.pid === pid)?.ticks ?? 0;
      const part = name.startsWith('api') ? 'API' : name;
      used[part] = (used[part] ?? 0) + ((treeTicks(pid) - before) * 1000) / wall;
    }
    return Object.entries(used)
      .map(([part, pc]) => `${part} ${pc.toFixed(0)} %`)
      .join(', ');
  };
}

/**
 * CPU ticks (10 ms) of this process and its descendants (PostgreSQL, Temporal, the service parts, the load
 * generator), of the machine's processes in all, and stolen by the hypervisor (other VMs): the machine may be shared,
 * so the bench tells our share from everyone else's.
 */
export function machineTicks(): { ours: number; busy: number; steal: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  return { ours: treeTicks(process.pid), busy: v.reduce((a, b) => a + b) - v[3]! - v[4]! - v[7]!, steal: v[7]! };
}

/**
 * A CPU meter from now: called at a phase's end, it reports the machine's CPU in % of one core, ours by part (the
 * service processes, this process, the load generator's `gen`) and what other processes and the hypervisor took
 * (pushed on `foreignSeen`).
 */
export function cpuMeter(procs: IngestProcs | null, foreignSeen: number[]): (gen?: { cpuMs: number }) => string {
  const f0 = (v: number) => v.toFixed(0);
  const [t, c, pc] = [performance.now(), machineTicks(), process.cpuUsage()];
  const parts = procs && partsMeter(procs);
  return (gen) => {
    const [wall, c2, u] = [performance.now() - t, machineTicks(), process.cpuUsage(pc)];
    const core = (ticks: number) => (ticks * 1000) / wall;
    const foreign = Math.max(0, core(c2.busy - c.busy) - core(c2.ours - c.ours));
    foreignSeen.push(foreign + core(c2.steal - c.steal));
    const own = `${parts ? `${parts()}, bench process` : 'API process'} ${f0((u.user + u.system) / 10 / wall)} %`;
    const generator = gen ? `, load gen ${f0((gen.cpuMs * 100) / wall)} %` : '';
    return (
      `cpu (% of one core, ${cpus().length} cores): ours ${f0(core(c2.ours - c.ours))} % (${own}${generator}), ` +
      `other processes ${f0(foreign)} %, VM steal ${f0(core(c2.steal - c.steal))} %`
    );
  };
}

/** The load average as `uptime` prints it. */
export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
