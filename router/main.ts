// `npm run router`: the alert router alone, against DATABASE_URL and TEMPORAL_ADDRESS. It moves stored alerts to
// their incident workflows; the API (with ROUTER=off) only stores them. Several may run at once: each holds its share of
// the companies' partitions while it routes them (routing/partitions.ts).
// It applies no migrations: the schema belongs to `npm run migrate` (compose) or to the API that starts first.
import { setPriority } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { createSql } from '../db/sql.ts';
import { loadConfig } from '../lib/config.ts';
import { exitAfterDeadline } from '../lib/shutdown-deadline.ts';
import { fatal } from '../lib/fatal.ts';
import { createLogger } from '../lib/log.ts';
import { AlertRouter } from './alert-router.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for `npm run router` (npm start provides one itself)');
  // ROUTER_NICE: on a machine the router shares with the API (npm start), the webhook gets the CPU first.
  if (config.routerNice !== 0) setPriority(config.routerNice);
  const log = createLogger({ production: config.production });
  const sql = createSql(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const router = new AlertRouter({
    sql,
    temporal,
    taskQueue: config.taskQueue,
    maxActiveSilences: config.maxActiveSilences,
    leaseSeconds: config.routerLeaseSeconds,
    log: (m) => log.warn({ component: 'router' }, m),
  });
  await router.start();
  // The one plain line on stdout: supervisors and tests wait for it (everything else is JSON on the logger).
  console.log('[router] routing');

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    exitAfterDeadline('router');
    // The pass in flight cancels its calls to Temporal, records what it routed and lets go of its partitions; the
    // alerts it had not signalled wait for the next router, uncounted. Nothing new is claimed.
    await router.stop();
    await connection.close();
    await sql.end({ timeout: 5 });
    process.exit(0);
  };
  // `on`: a terminal's Ctrl-C reaches this process both directly and from npm start; the second must not kill it.
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch(fatal('router'));
