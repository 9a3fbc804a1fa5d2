// `npm run api`: webhook, GraphQL, dashboard and (unless ROUTER=off) the alert router, against TEMPORAL_ADDRESS and
// DATABASE_URL.
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { loadConfig, requireSecrets } from '../lib/config.ts';
import { exitAfterDeadline } from '../lib/shutdown-deadline.ts';
import { fatal } from '../lib/fatal.ts';
import { createLogger } from '../lib/log.ts';
import { AlertRouter } from '../router/alert-router.ts';
import { createApiServer } from './server.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for `npm run api` (npm start provides one itself)');
  const serviceConfig = requireSecrets(config);
  const sql = createSql(config.databaseUrl);
  await migrate(sql);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const log = createLogger({ production: config.production });
  const api = await createApiServer({ sql, temporal, config: serviceConfig, log });
  // ROUTER=off: the router runs as its own process (`npm run router`; npm start and compose run it so).
  const router = config.runRouter
    ? new AlertRouter({
        sql,
        temporal,
        taskQueue: config.taskQueue,
        maxActiveSilences: config.maxActiveSilences,
        leaseSeconds: config.routerLeaseSeconds,
        log: (m) => log.warn({ component: 'router' }, m),
      })
    : null;
  await router?.start();
  const port = await api.listen(config.port, config.host);
  // The one plain line on stdout: supervisors and tests wait for it (everything else is JSON on the logger).
  console.log(`[api] listening on ${config.publicUrl} (port ${port})`);

  const shutdown = async (): Promise<void> => {
    exitAfterDeadline('api');
    await router?.stop();
    await api.close();
    await connection.close();
    await sql.end({ timeout: 5 });
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch(fatal('api'));
