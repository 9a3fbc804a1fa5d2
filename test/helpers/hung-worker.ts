// A worker whose process hangs in the middle of an incident's first workflow task (test/workflows/opening-retry
// .test.ts): the run's first save commits (the incident row, its opening alerts linked), the process says "saved" on
// stdout, and its event loop then blocks for good, so the workflow task is never completed and times out, as a loaded
// worker's did in the cluster test. Its incident runs go to TASK_QUEUE only.
//   DATABASE_URL, TEMPORAL_ADDRESS, TASK_QUEUE, WORKFLOW_BUNDLE (the tests' built bundle)
import { readFile } from 'node:fs/promises';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { createSql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { createWorker } from '../../worker/create-worker.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`hung-worker: ${name} is required`);
  return value;
};

const sql = createSql(env('DATABASE_URL'));
const config = { ...loadConfig({ REMEDIATION_MODE: 'dry_run' }), databaseUrl: env('DATABASE_URL') };
const real = createActivities({ sql, config });
const worker = await createWorker({
  connection: await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') }),
  sql,
  config,
  taskQueue: env('TASK_QUEUE'),
  workflowBundle: { code: await readFile(env('WORKFLOW_BUNDLE'), 'utf8') },
  activities: {
    ...real,
    saveIncident: async (input: Parameters<typeof real.saveIncident>[0]) => {
      await real.saveIncident(input);
      console.log('saved');
      // A blocked event loop: the local activity never reports, the workflow task is never completed.
      for (;;);
    },
  },
});
console.log('ready');
await worker.run();
