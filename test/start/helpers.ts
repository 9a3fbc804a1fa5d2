// Runs the real `npm start` (or its script under node) as a child process on a temp DATA_DIR and free ports,
// sends it alerts, and reads its embedded database: the crash tests below share these.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { readPidFile, recordOf, stillRunning, type ProcessRecord } from '../../lib/pid-file.ts';
import { assertPortFree, portInUse } from '../../lib/ports.ts';
import { isAlive } from '../../lib/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Ports {
  api: number;
  pg: number;
  temporal: number;
  ui: number;
}

export interface Site {
  dataDir: string;
  ports: Ports;
  dbUrl: string;
  cleanup(): void;
}

/**
 * A free port below the kernel's ephemeral range (32768 and up): every Temporal dev server on this machine (the
 * tests' own, npm start's) binds half a dozen random ports in that range, and could take ours before we listen.
 */
async function port(taken: Set<number>): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(candidate)) continue;
    try {
      await assertPortFree(candidate, 'a test');
      taken.add(candidate);
      return candidate;
    } catch {
      // in use: draw again
    }
  }
}

/** A data folder under /tmp (the embedded PostgreSQL's own user can enter it) and four free ports. */
export async function newSite(): Promise<Site> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aw-start-'));
  chmodSync(dataDir, 0o755); // mkdtemp's 700 would keep PostgreSQL's own user out of its data (npm start says so)
  const taken = new Set<number>();
  const ports = { api: await port(taken), pg: await port(taken), temporal: await port(taken), ui: await port(taken) };
  return {
    dataDir,
    ports,
    dbUrl: `postgres://postgres:alert-whisperer@127.0.0.1:${ports.pg}/alert_whisperer`,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export interface Running {
  child: ChildProcess;
  apiKey: string;
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves when it exits. */
  exited: Promise<void>;
}

/** Starts `npm start` (via 'npm') or scripts/start.ts under node (via 'node') and waits for its ready banner. */
export async function start(site: Site, via: 'npm' | 'node' = 'node', more: NodeJS.ProcessEnv = {}): Promise<Running> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: site.dataDir,
    PORT: String(site.ports.api),
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(site.ports.pg),
    TEMPORAL_PORT: String(site.ports.temporal),
    TEMPORAL_UI_PORT: String(site.ports.ui),
    REMEDIATION_MODE: 'dry_run',
    GROUP_WAIT_SECONDS: '0',
    SKIP_WEB_BUILD: '1',
    // Two API processes whatever the machine's cores, so every test sees the same layout.
    API_PROCESSES: '2',
    // These tests post as fast as the machine allows, across tests of one start: the company's rate limit (tested on
    // its own) would answer a later test 429 on a fast machine.
    WEBHOOK_RATE_PER_MINUTE: '0',
    ...more,
  };
  // The test run's own settings would point npm start elsewhere.
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_UI_URL', 'PUBLIC_URL', 'LOG_LEVEL']) {
    delete env[name];
  }
  const [cmd, args] = via === 'npm' ? ['npm', ['start']] : [process.execPath, ['--import', 'tsx', 'scripts/start.ts']];
  // Its own process group, so a test can SIGKILL the whole of `npm start` (npm, sh, tsx and node) at once.
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Four Node processes (two API processes, the router, the worker) boot at once: slow on a loaded 2-core machine.
  const deadline = Date.now() + 150_000;
  while (!/is ready \(/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm start ended before it was ready:\n${out}`);
    }
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`npm start was not ready in 150 s:\n${out}`);
    }
    await sleep(100);
  }
  const apiKey = /API key\s+(\S+)/.exec(out)?.[1];
  if (!apiKey) throw new Error(`no API key in the banner:\n${out}`);
  return { child, apiKey, url: `http://127.0.0.1:${site.ports.api}`, output: () => out, exited };
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/**
 * Ctrl-C: SIGINT to the whole group, as a terminal sends it. Resolves once npm start has finished stopping: npm
 * itself may exit first, so this also waits for the start.ts process recorded in pids.json.
 */
export async function interrupt(running: Running, site: Site, timeoutMs = 40_000): Promise<void> {
  const startPid = pidsOf(site).start?.pid;
  killGroup(running.child, 'SIGINT');
  const ended = () => running.child.exitCode !== null || running.child.signalCode !== null;
  const stopped =
    (await waitFor(ended, timeoutMs)) && (!startPid || (await waitFor(() => !isAlive(startPid), timeoutMs)));
  if (!stopped) throw new Error(`npm start did not stop in ${timeoutMs / 1000} s:\n${running.output()}`);
}

/**
 * The running start.ts, its Temporal dev server, its PostgreSQL and its own child processes (the API processes, the
 * alert router, the worker, by the name pids.json gives them), each named by pid, command line and start time.
 */
export function pidsOf(site: Site): {
  start?: ProcessRecord;
  temporal?: ProcessRecord;
  postgres?: ProcessRecord;
  children: Record<string, ProcessRecord>;
} {
  const records = readPidFile(path.join(site.dataDir, 'pids.json'));
  let postgresPid = 0;
  try {
    postgresPid = Number(readFileSync(path.join(site.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    // not running
  }
  const postgres = postgresPid > 0 ? (recordOf(postgresPid) ?? undefined) : undefined;
  const { start, 'Temporal dev server': temporal, ...children } = records;
  return { start, temporal, postgres, children };
}

let counter = 0;

/** Posts alerts back to back from `lanes` parallel senders until `stop()`; collects the delivery ids answered 2xx. */
export function load(running: Running, prefix: string, lanes = 4) {
  const accepted: string[] = [];
  const failed: number[] = [];
  let stopped = false;
  const lane = async () => {
    while (!stopped) {
      const deliveryId = `${prefix}-${process.pid}-${++counter}`;
      const status = await postAlert(running, deliveryId).catch(() => 0);
      if (status >= 200 && status < 300) accepted.push(deliveryId);
      else failed.push(status);
      if (status === 0 || status >= 500) await sleep(50); // down: do not spin
    }
  };
  const done = Promise.all(Array.from({ length: lanes }, lane));
  return {
    accepted,
    failed,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

export async function postAlert(
  running: { url: string; apiKey: string },
  deliveryId: string,
  asset = 'srv-1',
): Promise<number> {
  const res = await fetch(`${running.url}/api/webhooks/alerts?api_key=${running.apiKey}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      asset_name: asset,
      signature: 'disk_full',
      severity: 'high',
      message: 'm',
      tool_source: 'Prometheus',
      delivery_id: deliveryId,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Waits until every delivery id is stored and routed; returns what is still missing or unrouted if time runs out. */
export async function waitRouted(site: Site, ids: string[], timeoutMs: number) {
  const sql = postgres(site.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await sql<Array<{ delivery_id: string; routed: boolean }>>`
        SELECT delivery_id, routed_at IS NOT NULL AS routed FROM alerts WHERE delivery_id = ANY(${ids})`;
      const stored = new Set(rows.map((r) => r.delivery_id));
      const missing = ids.filter((id) => !stored.has(id));
      const unrouted = rows.filter((r) => !r.routed).map((r) => r.delivery_id);
      if ((missing.length === 0 && unrouted.length === 0) || Date.now() > deadline) return { missing, unrouted };
      await sleep(100);
    }
  } finally {
    await sql.end();
  }
}

/** What still runs of npm start after it stopped: a port still listened on, a recorded process still running. */
export async function nothingLeft(site: Site, processes: Array<ProcessRecord | undefined>): Promise<string[]> {
  const left: string[] = [];
  for (const [name, port] of Object.entries(site.ports)) if (await portInUse(port)) left.push(`port ${name} ${port}`);
  for (const p of processes) if (p && stillRunning(p)) left.push(`pid ${p.pid}: ${p.command}`);
  return left;
}

export async function waitFor(what: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await sleep(100);
  }
  return false;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often `pattern` occurs in the text. */
export function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** Every live process below `root` (children, their children…) with its command line, read from /proc. */
export function processTree(root: number): Array<{ pid: number; ppid: number; command: string }> {
  const all: Array<{ pid: number; ppid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      all.push({ pid: Number(entry), ppid: Number(ppid), command });
    } catch {
      // gone meanwhile
    }
  }
  const below = new Set([root]);
  const tree: typeof all = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        tree.push(p);
        grew = true;
      }
    }
  }
  return tree;
}
