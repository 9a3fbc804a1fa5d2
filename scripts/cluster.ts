// `npm run cluster`: the multi-process layout on a real Temporal server, on this machine — what compose runs, with
// two of each of our processes: PostgreSQL (embedded in a fresh folder, or DATABASE_URL's server), Temporal 1.28.1 on
// it, two workers, two routers and two APIs. Ctrl-C stops all of it. For a look at how the parts behave together
// (kill one, watch the others take over); `npm start` is the everyday single-machine run.
//   CLUSTER_APIS / CLUSTER_ROUTERS / CLUSTER_WORKERS (2 each), CLUSTER_DIR (a fresh temp folder, removed on exit),
//   CLUSTER_VERBOSE=1 prints every process's output, prefixed by its name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSql } from '../db/sql.ts';
import { errorMessage, fatal } from '../lib/fatal.ts';
import { startCluster, type Cluster } from './cluster-up.ts';
import { demoCredentials, seedDemo } from './seed.ts';

function count(name: string): number {
  const raw = process.env[name] ?? '2';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new Error(`${name} must be a whole number from 1 to 8, not "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const started = Date.now();
  const [apis, routers, workers] = [count('CLUSTER_APIS'), count('CLUSTER_ROUTERS'), count('CLUSTER_WORKERS')];
  const ownDir = !process.env.CLUSTER_DIR;
  const dir = process.env.CLUSTER_DIR ?? mkdtempSync(path.join(tmpdir(), 'aw-cluster-'));
  const verbose = process.env.CLUSTER_VERBOSE === '1';
  let cluster: Cluster | null = null;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await cluster?.stop();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    cluster = await startCluster({
      dir,
      apis,
      routers,
      workers,
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      log: (line) => console.log(line),
      output: (name, line) => {
        if (verbose) console.log(`${name.padEnd(9)}| ${line}`);
      },
    });
    // A process that dies is reported, not restarted: this run is for watching the others take over its work.
    for (const p of cluster.processes()) {
      void p.exited.then((how) => !stopping && console.warn(`[cluster] ${p.name} (pid ${p.pid}) ${how}`));
    }
    const demo = demoCredentials(process.env);
    const sql = createSql(cluster.databaseUrl, { max: 1 });
    await seedDemo(sql, demo).finally(() => sql.end({ timeout: 5 }));
    const rows = cluster.processes().map((p) => `  ${p.name.padEnd(9)} pid ${String(p.pid).padEnd(8)} ${p.url ?? ''}`);
    const api = cluster.apis[0]!.url!;
    console.log(`
The cluster is up (${((Date.now() - started) / 1000).toFixed(1)} s)

  Temporal      ${cluster.temporalAddress} (namespace ${cluster.namespace})
  PostgreSQL    ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
${rows.join('\n')}
  API key       ${demo.apiKey}   (company "Acme Corp")
  Admin login   ${demo.adminEmail} / ${demo.adminPassword}

Send an alert to either API:
  curl -sS -X POST "${api}/api/webhooks/alerts?api_key=${demo.apiKey}" -H 'Content-Type: application/json' \\
    -d '{"asset_name":"srv-app-01","signature":"disk_full","severity":"high","message":"disk 97%","tool_source":"Prometheus"}'

Kill one process (kill -9 <pid>) and the others carry on. Press Ctrl-C to stop everything.
`);
  } catch (err) {
    console.error(`\n${errorMessage(err)}`);
    await stop(1);
  }
}

main().catch(fatal('cluster'));
