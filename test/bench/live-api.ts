// The API process of `npm run bench:live` (live.bench.ts forks it): the real API server over the bench's PostgreSQL,
// with every statement it sends counted, answering the bench's questions over IPC (statements so far, its RSS; the
// incident feed's counts are on its /metrics). Temporal is never reached on the live path: its client is a lazy one
// that nobody dials.
import { Client, Connection } from '@temporalio/client';
import { createApiServer } from '../../api/server.ts';
import { createSql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL!;
let statements = 0;
const sql = createSql(databaseUrl, { onQuery: () => (statements += 1) });
const config = {
  ...loadConfig({ REMEDIATION_MODE: 'dry_run' }),
  databaseUrl,
  jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
  encryptionKey: TEST_ENCRYPTION_KEY,
};
const api = await createApiServer({
  sql,
  temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
  config,
  log: createLogger({ level: 'warn' }),
});
const port = await api.listen(0, '127.0.0.1');
let peakRss = process.memoryUsage().rss;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200).unref();

process.on('message', (m: { ask: string }) => {
  if (m.ask === 'stats') {
    const { user, system } = process.cpuUsage();
    process.send!({ statements, rss: process.memoryUsage().rss, peakRss, cpuMs: (user + system) / 1000 });
    peakRss = process.memoryUsage().rss;
  } else if (m.ask === 'stop') {
    void api.close().then(() => sql.end({ timeout: 5 }).then(() => process.exit(0)));
  }
});
process.send!({ ready: port });
