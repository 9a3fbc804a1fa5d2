// A router whose process hangs in the middle of a pass (test/api/router-lease.test.ts): it takes its company's
// partition, places the company's alerts, says "hung" on stdout just before signalling them, and then blocks its
// event loop for good. Its connections stay open, so PostgreSQL sees an idle session holding the partition's lock.
//   DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, COMPANY_ID, LEASE_SECONDS
import { Client, Connection } from '@temporalio/client';
import { createSql } from '../../db/sql.ts';
import { AlertRouter } from '../../router/alert-router.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`hung-router: ${name} is required`);
  return value;
};

const sql = createSql(env('DATABASE_URL'));
const connection = await Connection.connect({ address: env('TEMPORAL_ADDRESS') });
const router = new AlertRouter({
  sql,
  temporal: new Client({ connection }),
  taskQueue: env('TEMPORAL_TASK_QUEUE'),
  companyIds: [env('COMPANY_ID')],
  leaseSeconds: Number(env('LEASE_SECONDS')),
  hold: async (stage) => {
    if (stage !== 'signalling') return;
    console.log('hung');
    // A blocked event loop: no timer, no heartbeat, no statement, until the test kills the process.
    for (;;);
  },
});
await router.routeBatch();
