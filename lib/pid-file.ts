// DATA_DIR/pids.json: which npm start owns the data folder, and the servers it started. SIGKILL gives npm start no
// chance to stop its children; the next start reads this file and stops what the dead one left, after checking
// that each pid still runs the very command (and started at the very time) that was recorded.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive, processArgs, processStartTime, terminate } from './processes.ts';

export interface ProcessRecord {
  pid: number;
  command: string;
  /** Process start time: with the pid it names one process, so a reused pid is never mistaken for ours. */
  started: string | null;
}

export type PidFile = Record<string, ProcessRecord>;

export function recordOf(pid: number): ProcessRecord | null {
  const args = processArgs(pid);
  return args ? { pid, command: args.join(' '), started: processStartTime(pid) } : null;
}

/** True when the recorded process still runs: same pid, same command line, same start time. */
export function stillRunning(record: ProcessRecord): boolean {
  if (!isAlive(record.pid)) return false;
  const now = recordOf(record.pid);
  return now !== null && now.command === record.command && (record.started === null || now.started === record.started);
}

export function readPidFile(file: string): PidFile {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object') return {};
    const records: PidFile = {};
    for (const [name, r] of Object.entries(parsed as Record<string, Partial<ProcessRecord>>)) {
      if (typeof r?.pid === 'number' && typeof r.command === 'string') {
        records[name] = { pid: r.pid, command: r.command, started: typeof r.started === 'string' ? r.started : null };
      }
    }
    return records;
  } catch {
    return {}; // a torn write from a killed run: nothing to trust in it
  }
}

export function writePidFile(file: string, records: PidFile): void {
  // Write then rename, so a kill mid-write never leaves half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(records, null, 2));
  renameSync(`${file}.tmp`, file);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Makes this process the owner of the data folder: refuses while another npm start runs on it, stops the servers a
 * killed one left running, then records this process. `owner` names the owning entry; every other entry is a child.
 */
export async function claimDataDir(
  file: string,
  opts: { dataDir: string; log: (line: string) => void; owner?: string },
): Promise<void> {
  const owner = opts.owner ?? 'start';
  const records = readPidFile(file);
  const previous = records[owner];
  if (previous && previous.pid !== process.pid && stillRunning(previous)) {
    throw new Error(
      `npm start is already running on ${opts.dataDir} (pid ${previous.pid}). ` +
        `Stop it first (Ctrl-C in its terminal, or kill ${previous.pid}), or set DATA_DIR to another folder.`,
    );
  }
  for (const [name, record] of Object.entries(records)) {
    if (name === owner || !stillRunning(record)) continue;
    opts.log(`• Stopping the ${name} an earlier npm start left running (pid ${record.pid})…`);
    await terminate(record.pid, [['SIGTERM', 15_000]]);
  }
  const self = recordOf(process.pid);
  writePidFile(file, self ? { [owner]: self } : {});
}

/** Records (or, with null, forgets) one child of this run. */
export function recordChild(file: string, name: string, pid: number | null): void {
  const records = readPidFile(file);
  const child = pid === null ? null : recordOf(pid);
  if (child) records[name] = child;
  else delete records[name];
  writePidFile(file, records);
}
