// `npm run worker`: the Temporal worker alone, against TEMPORAL_ADDRESS and DATABASE_URL.
import { setPriority } from 'node:os';
import { makeTelemetryFilterString, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createSql } from '../db/sql.ts';
import { loadConfig } from '../lib/config.ts';
import { exitAfterDeadline } from '../lib/shutdown-deadline.ts';
import { fatal } from '../lib/fatal.ts';
import { createLogger, temporalLogger } from '../lib/log.ts';
import { createWorker, startPatchSchedule, startReportSchedule } from './create-worker.ts';
import { metricsExporter } from './metrics.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for `npm run worker` (npm start provides one itself)');
  // WORKER_NICE: first, so the threads started below (Temporal's core, the workflow threads) inherit it. On a machine
  // the worker shares with the API (npm start), a storm's workflow tasks then yield the CPU to the webhook.
  if (config.workerNice !== 0) setPriority(config.workerNice);
  // JSON lines carrying each workflow's and activity's ids (lib/log.ts); WORKER_METRICS_ADDRESS: Temporal's and our
  // activity metrics on one Prometheus endpoint (worker/metrics.ts).
  const metrics = metricsExporter(process.env.WORKER_METRICS_ADDRESS);
  // While Temporal is down its Rust client warns about every retried poll, several times a second. Outside
  // production (npm start, whose supervisor says once that the server went and once that it is back) those
  // warnings stay quiet unless LOG_LEVEL is set; production keeps the SDK's own filter.
  const level = (process.env.LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? 'WARN';
  const quietRetries = process.env.LOG_LEVEL ? '' : ',temporalio_client::retry=ERROR';
  const logging = { filter: makeTelemetryFilterString({ core: level }) + quietRetries };
  Runtime.install({
    logger: temporalLogger(createLogger({ production: config.production })),
    telemetryOptions: { ...(config.production ? {} : { logging }), ...(metrics ? { metrics } : {}) },
  });
  const sql = createSql(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  // WORKFLOW_BUNDLE: a bundle npm start wrote once, so a restarted worker does not bundle workflows/ again.
  const bundle = process.env.WORKFLOW_BUNDLE;
  const worker = await createWorker({
    connection,
    sql,
    config,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  await startPatchSchedule(connection, config);
  await startReportSchedule(connection, config);
  console.log(`[worker] polling task queue on ${config.temporalAddress}`);
  // Worker installs SIGINT/SIGTERM handlers that drain in-flight tasks before run() resolves; the drain is bounded.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => exitAfterDeadline('worker'));
  await worker.run();
  await connection.close();
  await sql.end();
}

main().catch(fatal('worker'));
