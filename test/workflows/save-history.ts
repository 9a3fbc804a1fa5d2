// `npm run history:save`: records fresh incidentWorkflow histories into test/workflows/histories/
// for the replay test. Run it after a deliberate, compatible workflow change (and commit the files);
// the replay test then proves that runs already in flight still replay on the new code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { execFileSync } from 'node:child_process';
import { findTemporalCli, freePort, startTemporalDevServer } from '../../lib/temporal-dev-server.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { approveIncident, stateQuery } from '../../workflows/messages.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { actor, alert, sendAlert } from './helpers.ts';

const OUT = fileURLToPath(new URL('./histories/', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'aw-history-'));
const db = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
const server = await startTemporalDevServer({});
const sql = createSql(db.url);
try {
  await migrate(sql);
  const config = { ...loadConfig({ REMEDIATION_MODE: 'dry_run' }), databaseUrl: db.url, temporalAddress: server.address };
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection: nativeConnection, sql, config });
  const temporal = new Client({ connection: await Connection.connect({ address: server.address }) });
  await worker.runUntil(async () => {
    const company = await createCompany(sql);
    const auto = await sendAlert(temporal, company.companyId, 'srv-app-01', 'disk_full', alert('high'));
    await auto.result();
    const approved = await sendAlert(temporal, company.companyId, 'srv-web-01', 'service_down:nginx', alert('critical'));
    await sendAlert(temporal, company.companyId, 'srv-web-01', 'service_down:nginx', alert('high', 'Datadog'));
    let s: IncidentState;
    do {
      await new Promise((r) => setTimeout(r, 200));
      s = await approved.query(stateQuery).catch(() => ({ status: 'new' }) as IncidentState);
    } while (s.status !== 'awaiting_approval');
    await approved.executeUpdate(approveIncident, { args: [{ incidentId: s.incidentId, actor: actor('msp_admin', []) }] });
    await approved.result();
    for (const [name, handle] of [['auto-remediated', auto], ['approved', approved]] as const) {
      // The CLI writes the standard proto3 JSON that historyFromJSON reads (and Temporal Web downloads).
      const json = execFileSync(findTemporalCli() ?? 'temporal', ['workflow', 'show', '--address', server.address, '--workflow-id', handle.workflowId, '--run-id', (await handle.describe()).runId, '--output', 'json']);
      writeFileSync(path.join(OUT, `${name}.json`), json);
      console.log(`saved ${name}.json`);
    }
  });
  await nativeConnection.close();
} finally {
  await sql.end();
  await server.stop();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
