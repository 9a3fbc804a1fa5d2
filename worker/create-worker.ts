// Wires the incident workflow and its activities onto the task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { Sql } from '../db/sql.ts';
import type { Config } from '../lib/config.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

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
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: deps.activities ?? createActivities({ sql: deps.sql, config: deps.config }),
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
