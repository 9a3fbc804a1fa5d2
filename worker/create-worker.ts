// Wires the incident workflow and its activities onto the task queue.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { Sql } from '../db/sql.ts';
import type { Config } from '../lib/config.ts';
import { ensurePatchSchedule } from '../lib/patch-schedule.ts';
import { ensureReportSchedule } from '../lib/report-schedule.ts';
import { metricsInterceptor } from './metrics.ts';
import { ensureSearchAttributes } from '../lib/search-attributes.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Written by `npm run build` (scripts/build.ts) at the top of dist/, next to the compiled worker/. */
export const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/**
 * Chosen by how this file runs, not by a setting: compiled (dist/, the production image) the worker loads the bundle
 * the build wrote, so it starts without webpack and runs exactly the workflow code that was built; from source
 * (npm start, tests, tsx) it bundles workflows/ itself, so an edit takes effect at the next start.
 */
function workflowSource(explicit?: WorkerOptions['workflowBundle']): Partial<WorkerOptions> {
  if (explicit) return { workflowBundle: explicit };
  if (!import.meta.url.endsWith('.js')) return { workflowsPath: WORKFLOWS_PATH };
  if (!existsSync(PREBUILT_BUNDLE))
    throw new Error(`the compiled worker needs its workflow bundle ${PREBUILT_BUNDLE}: run \`npm run build\``);
  return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
}

/**
 * Sized for a storm of new incidents (issue 16 item 3; `npm run bench:storm` measures them). Each new incident's first
 * workflow task lands on the normal queue, where by default only 2 of 10 pollers wait (the rest poll this worker's
 * sticky queue): with the server a few hundred ms from each poll under load, new incidents were opened at 3 to 4 a
 * second while their tasks waited 9 s to be picked up. More pollers, and half as many on the normal queue as on the
 * sticky one, keep both fed; the execution slots are raised with them (local activities run inside them). The cache
 * is bounded by count (WORKER_MAX_CACHED_WORKFLOWS) rather than by the heap, so the worker's memory stays flat
 * whatever the number of open incidents. Workflow code runs on WORKER_WORKFLOW_THREADS threads (2; the SDK's default
 * is 1): a profile of a storm showed the one thread busy three quarters of the time, mostly in the SDK's own work per
 * activation, and the storm of 10,000 went from 385 s to 303 s with the one-statement saves and a second thread.
 */
export function workerTuning(config: Config): Partial<WorkerOptions> {
  return {
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    workflowThreadPoolSize: config.workerWorkflowThreads,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentWorkflowTaskPolls: 40,
    nonStickyToStickyPollRatio: 0.5,
    maxConcurrentActivityTaskPolls: 20,
  };
}

export async function createWorker(deps: {
  connection: NativeConnection;
  sql: Sql;
  config: Config;
  taskQueue?: string;
  activities?: WorkerOptions['activities'];
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporalNamespace,
    taskQueue: deps.taskQueue ?? deps.config.taskQueue,
    ...workflowSource(deps.workflowBundle),
    ...workerTuning(deps.config),
    activities:
      deps.activities ??
      createActivities({
        sql: deps.sql,
        config: deps.config,
        searchAttributes: await ensureSearchAttributes(deps.connection, deps.config.temporalNamespace),
      }),
    interceptors: { activity: [metricsInterceptor] },
  });
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves if the worker stops on its own, rejects if it fails. */
  done: Promise<void>;
  /** Drains in-flight tasks, then closes the worker's connection. */
  stop(): Promise<void>;
}

/** Connects to Temporal and runs a worker in this process (npm start, tests, benchmark). */
export async function startWorker(
  deps: Omit<Parameters<typeof createWorker>[0], 'connection'> & { address: string },
): Promise<RunningWorker> {
  const { address, ...rest } = deps;
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({ ...rest, connection });
  await startPatchSchedule(connection, rest.config, rest.taskQueue);
  await startReportSchedule(connection, rest.config, rest.taskQueue);
  const done = worker.run();
  return {
    worker,
    done,
    async stop() {
      worker.shutdown();
      await done;
      await connection.close();
    },
  };
}

/** The patch-compliance Schedule of this worker's task queue, created or updated (lib/patch-schedule.ts). */
export async function startPatchSchedule(
  connection: NativeConnection,
  config: Config,
  taskQueue = config.taskQueue,
): Promise<void> {
  const client = new Client({ connection, namespace: config.temporalNamespace });
  await ensurePatchSchedule(client, { taskQueue, intervalMinutes: config.patchRefreshMinutes });
}

/** The monthly client-report Schedule of this worker's task queue, created or updated (lib/report-schedule.ts). */
export async function startReportSchedule(
  connection: NativeConnection,
  config: Config,
  taskQueue = config.taskQueue,
): Promise<void> {
  const client = new Client({ connection, namespace: config.temporalNamespace });
  await ensureReportSchedule(client, { taskQueue });
}
