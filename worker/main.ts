// `npm run worker`: the Temporal worker alone, against TEMPORAL_ADDRESS and DATABASE_URL.
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createSql } from '../db/sql.ts';
import { loadConfig } from '../lib/config.ts';
import { fatal } from '../lib/fatal.ts';
import { createLogger, temporalLogger } from '../lib/log.ts';
import { createWorker, startPatchSchedule, startReportSchedule } from './create-worker.ts';
import { metricsExporter } from './metrics.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for `npm run worker` (npm start provides one itself)');
  // JSON lines carrying each workflow's and activity's ids (lib/log.ts); WORKER_METRICS_ADDRESS: Temporal's and our
  // activity metrics on one Prometheus endpoint (worker/metrics.ts).
  const metrics = metricsExporter(process.env.WORKER_METRICS_ADDRESS);
  Runtime.install({
    logger: temporalLogger(createLogger({ production: config.production })),
    telemetryOptions: metrics ? { metrics } : {},
  });
  const sql = createSql(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({ connection, sql, config });
  await startPatchSchedule(connection, config);
  await startReportSchedule(connection, config);
  console.log(`[worker] polling task queue on ${config.temporalAddress}`);
  // Worker installs SIGINT/SIGTERM handlers that drain in-flight tasks before run() resolves.
  await worker.run();
  await connection.close();
  await sql.end();
}

main().catch(fatal('worker'));
