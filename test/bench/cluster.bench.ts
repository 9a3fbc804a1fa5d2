// `npm run bench:cluster`: the multi-process layout (two APIs, two routers, two workers as processes of their own;
// scripts/cluster-up.ts) on the real Temporal server (1.28.1, PostgreSQL persistence, 4 history shards) beside the
// same layout on the Temporal dev server (one shard, SQLite on a file), one after the other on this machine: the
// router drain of a backlog, the batched storm on 100 keys to exact counts, and each server's raw signalWithStart
// ceiling with no worker. Prints figures; only a storm that does not end exact sets a non-zero exit code.
//   CLUSTER_BENCH_STORM (100000 alerts), CLUSTER_BENCH_DRAIN (20000 alerts), CLUSTER_BENCH_RAW_SECONDS (15)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createSql } from '../../db/sql.ts';
import { startCluster } from '../../scripts/cluster-up.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { drainPhase, rawSignalWithStart, stormPhase, type DrainFigures, type StormFigures } from './cluster-phases.ts';

function env(name: string, fallback: number): number {
  const v = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, not ${process.env[name]}`);
  return v;
}
const STORM = env('CLUSTER_BENCH_STORM', 100_000);
const DRAIN = env('CLUSTER_BENCH_DRAIN', 20_000);
const RAW_SECONDS = env('CLUSTER_BENCH_RAW_SECONDS', 15);
if (STORM % 500 || DRAIN % 500) throw new Error('CLUSTER_BENCH_STORM and CLUSTER_BENCH_DRAIN: multiples of 500');

const f0 = (v: number) => v.toFixed(0);
const f1 = (v: number) => v.toFixed(1);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

interface Figures {
  upMs: number;
  drain: DrainFigures;
  storm: StormFigures;
  raw: { calls: number; errors: number; perSecond: number };
  load: string;
}

async function measure(temporal: 'server' | 'dev'): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmpdir(), `aw-bench-cluster-${temporal}-`));
  const t0 = Date.now();
  const cluster = await startCluster({
    dir,
    temporal,
    env: { REMEDIATION_MODE: 'dry_run', GROUP_WAIT_SECONDS: '0', WEBHOOK_RATE_PER_MINUTE: '0', LOG_LEVEL: 'warn' },
    log: (line) => console.log(`  ${line}`),
  });
  const sql = createSql(cluster.databaseUrl, { max: 4 });
  try {
    const upMs = Date.now() - t0;
    const company = () => createCompany(sql, { settings: { groupWaitSeconds: 0 }, runbooks: [] });
    console.log(`  up in ${f1(upMs / 1000)} s; drain of ${DRAIN}…`);
    const drain = await drainPhase(cluster, sql, await company(), DRAIN);
    console.log(`  ${JSON.stringify(drain)}\n  storm of ${STORM}…`);
    const storm = await stormPhase(cluster, sql, await company(), STORM);
    console.log(`  ${JSON.stringify(storm)}\n  raw signalWithStart for ${RAW_SECONDS} s…`);
    const raw = await rawSignalWithStart(cluster.temporalAddress, cluster.namespace, RAW_SECONDS);
    console.log(`  ${JSON.stringify(raw)}`);
    return { upMs, drain, storm, raw, load: load() };
  } finally {
    await sql.end({ timeout: 5 });
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<boolean> {
  console.log(
    `Cluster benchmark: drain ${DRAIN}, storm ${STORM} on 100 keys (batches of 500 over both APIs), raw ` +
      `signalWithStart ${RAW_SECONDS} s (100 keys, 64 in flight); ${cpus().length} cores, load average ${load()}\n`,
  );
  const results: Array<[string, Figures]> = [];
  for (const [name, temporal] of [
    ['real cluster (1.28.1, PostgreSQL, 4 shards)', 'server'],
    ['dev server (SQLite file, 1 shard)', 'dev'],
  ] as const) {
    console.log(`${name}:`);
    results.push([name, await measure(temporal)]);
  }
  const rows: string[][] = [['', ...results.map(([name]) => name)]];
  const row = (label: string, cell: (f: Figures) => string) => rows.push([label, ...results.map(([, f]) => cell(f))]);
  row('layout up (PostgreSQL, Temporal, 6 processes)', (f) => `${f1(f.upMs / 1000)} s`);
  row(`router drain, ${DRAIN} on 100 keys`, (f) => {
    const d = f.drain;
    const late = d.drained ? '' : `, NOT drained (${d.routed}/${d.backlog})`;
    return `${f0(d.perSecond)} alerts/s (${f1(d.wallMs / 1000)} s with start-up)${late}`;
  });
  row(`storm posts, ${STORM} alerts`, (f) => `${f0((f.storm.accepted / f.storm.postMs) * 1000)} alerts/s`);
  row('storm, every alert routed', (f) => `${f1(f.storm.routedMs / 1000)} s after the first post`);
  row(`storm exact (100 × ${STORM / 100})`, (f) =>
    f.storm.exact ? `${f1(f.storm.settledMs / 1000)} s` : `NOT exact: ${JSON.stringify(f.storm.counts)}`,
  );
  row(
    'raw signalWithStart, no worker',
    (f) => `${f0(f.raw.perSecond)}/s${f.raw.errors ? ` (${f.raw.errors} errors)` : ''}`,
  );
  row('load average after', (f) => f.load);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('');
  for (const r of rows) console.log(`  ${r.map((v, i) => v.padEnd(w[i]!)).join('  ')}`.trimEnd());
  return results.some(([, f]) => !f.storm.exact);
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
