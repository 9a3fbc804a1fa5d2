// The wide-storm bench's reference worker: a process of its own, like `npm run worker`, with the same tuning
// (worker/create-worker.ts workerTuning) and niceness, running only storm-reference-workflow.ts on the task queue
// STORM_REFERENCE_QUEUE. Its Prometheus endpoint (WORKER_METRICS_ADDRESS) counts the workflow tasks it completed,
// which is how the bench knows each reference run has taken its steps.
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config.ts';
import { fatal } from '../../lib/fatal.ts';
import { workerTuning } from '../../worker/create-worker.ts';
import { metricsExporter } from '../../worker/metrics.ts';
import type { ReferenceActivities } from './storm-reference-workflow.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.workerNice !== 0) setPriority(config.workerNice);
  const metrics = metricsExporter(process.env.WORKER_METRICS_ADDRESS);
  Runtime.install({ telemetryOptions: metrics ? { metrics } : {} });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const activities: ReferenceActivities = { step: async (n) => n };
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.STORM_REFERENCE_QUEUE ?? 'storm-reference',
    workflowsPath: fileURLToPath(new URL('./storm-reference-workflow.ts', import.meta.url)),
    activities,
    ...workerTuning(config),
  });
  console.log('[reference] polling');
  await worker.run();
  await connection.close();
}

main().catch(fatal('reference worker'));
