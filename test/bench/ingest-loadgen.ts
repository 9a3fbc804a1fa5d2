// bench:ingest's load generator: runs in a child forked by ingest.bench.ts (`loadgen` argument), so building requests
// does not run on the event loop of the bench (which is the API's in BENCH_LAYOUT=single, and the cluster primary that
// hands out connections in BENCH_LAYOUT=processes). Also the alert shape and the POST helper the bench itself uses.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export const KEYS = 100;

// ---- load generator: runs in the forked child --------------------------------------------------------------------
// kind closed: `concurrency` lanes for `seconds`; open: `rate` requests/s, paced; count: `total` requests.
// batch: alerts a request, 0 = one alert object as the whole body.
export interface Job {
  url: string;
  kind: 'closed' | 'open' | 'count';
  seconds: number;
  concurrency: number;
  rate: number;
  total: number;
  batch: number;
  prefix: string;
  tag: string;
}
export interface Result {
  requests: number;
  alerts: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  p50: number;
  p99: number;
  max: number;
  cpuMs: number;
}

// Signature storm_check has no runbook: incidents escalate and stay open. Same severity and tool throughout.
export const alert = (i: number, job: Pick<Job, 'prefix' | 'tag'>) => ({
  asset_name: `${job.prefix}${i % KEYS}`,
  signature: 'storm_check',
  severity: 'high',
  message: `CPU above 95 % for 5 minutes (sample ${i})`,
  tool_source: 'Prometheus',
  delivery_id: `${job.tag}-${i}`,
});
const bodyOf = (n: number, job: Job): string =>
  JSON.stringify(
    job.batch === 0
      ? alert(n, job)
      : { alerts: Array.from({ length: job.batch }, (_, j) => alert(n * job.batch + j, job)) },
  );

/** One POST over a keep-alive agent; never rejects (a transport error becomes the status). */
export function post(agent: http.Agent, url: URL, payload: string, extra: Record<string, string> = {}) {
  return new Promise<{ status: number | string; text: string }>((resolve) => {
    const fail = (e: NodeJS.ErrnoException) => resolve({ status: `error ${e.code ?? e.message}`, text: '' });
    const all = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...extra };
    const req = http.request(url, { method: 'POST', agent, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

export const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;

async function runJob(job: Job): Promise<Result> {
  // Open loop: sockets enough that the sender never waits for one; closed loop: exactly `concurrency`.
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.kind === 'open' ? 1024 : job.concurrency });
  const url = new URL(job.url);
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let alerts = 0;
  let n = 0;
  const one = async (payload: string, from: number): Promise<void> => {
    const r = await post(agent, url, payload);
    lat.push(performance.now() - from);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 202) alerts += job.batch === 0 ? 1 : Number(/"accepted":(\d+)/.exec(r.text)?.[1] ?? 0);
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  if (job.kind === 'open') {
    // Latency counts from when a request was due, not when it left: a stalled server shows instead of hiding.
    const pending: Promise<void>[] = [];
    for (const total = Math.round(job.rate * job.seconds); n < total;) {
      const due = start + (n * 1000) / job.rate;
      const wait = due - performance.now();
      if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
      else pending.push(one(bodyOf(n++, job), due));
    }
    await Promise.all(pending);
  } else {
    const end = start + job.seconds * 1000;
    const more = () => (job.kind === 'count' ? n < job.total : performance.now() < end);
    const lane = async () => {
      while (more()) {
        const payload = bodyOf(n++, job);
        await one(payload, performance.now());
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, lane));
  }
  const elapsedMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    alerts,
    statuses,
    elapsedMs,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat.at(-1) ?? NaN,
    cpuMs: (used.user + used.system) / 1000,
  };
}

if (process.argv[2] === 'loadgen') {
  process.on('message', (job: Job) => void runJob(job).then((r) => process.send!(r)));
  process.on('disconnect', () => process.exit(0)); // the bench is gone: so is its load
}
