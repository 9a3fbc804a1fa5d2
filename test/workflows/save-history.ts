// `npm run history:save`: records fresh incidentWorkflow histories into test/workflows/histories/
// for the replay test. Run it after a deliberate, compatible workflow change (and commit the files);
// the replay test then proves that runs already in flight still replay on the new code.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { execFileSync } from 'node:child_process';
import { findTemporalCli, freePort, startTemporalDevServer } from '../../lib/temporal-dev-server.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { createActivities } from '../../activities/index.ts';
import { ensureSearchAttributes } from '../../lib/search-attributes.ts';
import { loadRunbooks } from '../../db/runbooks.ts';
import {
  absorbIncident,
  acknowledgeIncident,
  approveIncident,
  assignIncident,
  mergeIncident,
  rejectIncident,
  reopenIncident,
  resolveIncident,
  runRunbook,
  sourceResolved,
  startIncidentWork,
  stateQuery,
} from '../../workflows/messages.ts';
import { redecideIncident } from '../../workflows/redecide.ts';
import { TASK_QUEUE, type IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { actor, alert, sendAlert, sendAlerts } from './helpers.ts';

const OUT = fileURLToPath(new URL('./histories/', import.meta.url));
// Dated names: earlier recordings stay, so the replay test keeps proving compatibility with them.
const day = new Date().toISOString().slice(0, 10);
/** The next free name for today's recording: a second recording on one day must not replace the first. */
function outFile(name: string): string {
  for (let n = 1; ; n++) {
    const file = path.join(OUT, `${name}.${day}${n === 1 ? '' : `-${n}`}.json`);
    if (!existsSync(file)) return file;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'aw-history-'));
const db = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
const server = await startTemporalDevServer({});
const sql = createSql(db.url);
try {
  await migrate(sql);
  const config = {
    ...loadConfig({ REMEDIATION_MODE: 'dry_run' }),
    databaseUrl: db.url,
    temporalAddress: server.address,
  };
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  // The failure paths: a runbook AWS refuses to send, and a save PostgreSQL refuses (a NUL, in that company's first).
  // Runs carry their search attributes, as under a worker that registered them.
  const real = createActivities({
    sql,
    config,
    searchAttributes: await ensureSearchAttributes(nativeConnection, config.temporalNamespace),
  });
  const refuseSend = new Set<string>();
  const refuseSave = new Set<string>();
  const worker = await createWorker({
    connection: nativeConnection,
    sql,
    config,
    activities: {
      ...real,
      sendSsmCommand: async (input: Parameters<typeof real.sendSsmCommand>[0]) => {
        if (!refuseSend.has(input.companyId)) return real.sendSsmCommand(input);
        throw ApplicationFailure.nonRetryable(
          'User: arn:aws:sts::123456789012:assumed-role/aw-worker/i-0abc is not authorized to perform: ssm:SendCommand',
          'AccessDeniedException',
        );
      },
      saveIncident: async (input: Parameters<typeof real.saveIncident>[0]) =>
        real.saveIncident(
          refuseSave.delete(input.state.companyId)
            ? { ...input, state: { ...input.state, assetName: `${input.state.assetName}\u0000` } }
            : input,
        ),
    },
  });
  const temporal = new Client({ connection: await Connection.connect({ address: server.address }) });
  await worker.runUntil(async () => {
    const company = await createCompany(sql);
    const auto = await sendAlert(temporal, company.companyId, 'srv-app-01', 'disk_full', alert('high'));
    await auto.result();
    const approved = await sendAlert(
      temporal,
      company.companyId,
      'srv-web-01',
      'service_down:nginx',
      alert('critical'),
    );
    await sendAlert(temporal, company.companyId, 'srv-web-01', 'service_down:nginx', alert('high', 'Datadog'));
    const waitFor = async (
      handle: typeof approved,
      status: IncidentState['status'],
      also: (s: IncidentState) => boolean = () => true,
    ): Promise<IncidentState> => {
      for (;;) {
        const s = await handle.query(stateQuery).catch(() => null);
        if (s?.status === status && also(s)) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const pending = await waitFor(approved, 'awaiting_approval');
    await approved.executeUpdate(approveIncident, {
      args: [{ incidentId: pending.incidentId, actor: actor('msp_admin', []) }],
    });
    await approved.result();

    const rejected = await sendAlert(
      temporal,
      company.companyId,
      'srv-web-02',
      'service_down:nginx',
      alert('critical'),
    );
    const toReject = await waitFor(rejected, 'awaiting_approval');
    await rejected.executeUpdate(rejectIncident, {
      args: [{ incidentId: toReject.incidentId, actor: actor('msp_admin', []), comment: 'not now' }],
    });
    const escalated = await waitFor(rejected, 'escalated');
    await rejected.executeUpdate(resolveIncident, {
      args: [
        { incidentId: escalated.incidentId, actor: actor('technician', [company.companyId]), comment: 'fixed by hand' },
      ],
    });
    await rejected.result();

    // The router's coalesced lane (alerts in full plus repeats by id), then every alert recovering at source.
    const coalesced = await sendAlerts(
      temporal,
      company.companyId,
      'srv-db-02',
      'replication_lag',
      [alert('high')],
      ['r-1', 'r-2'],
    );
    await sendAlerts(
      temporal,
      company.companyId,
      'srv-db-02',
      'replication_lag',
      [alert('critical', 'Zabbix')],
      ['r-3'],
    );
    // Once both batches are in (2 alerts and 3 repeats): a decision by the rules escalates within the first workflow
    // task, before the second batch is folded in, and a recovery then would leave it to open the next incident.
    const open = await waitFor(coalesced, 'escalated', (s) => s.alertCount >= 5);
    await coalesced.signal(sourceResolved, { incidentId: open.incidentId, resolvedAt: new Date().toISOString() });
    await coalesced.result();

    // People walk an escalated incident: acknowledge, start work, hand it over, resolve with a note; then a
    // reopen starts a run of the closed incident (update-with-start) that a second resolution ends.
    const walked = await sendAlert(temporal, company.companyId, 'srv-q-01', 'queue_stuck', alert('high'));
    const held = await waitFor(walked, 'escalated');
    const tech = actor('technician', [company.companyId]);
    const lead = actor('company_admin', [company.companyId]);
    const cmd = (a = tech, comment?: string) => ({
      incidentId: held.incidentId,
      actor: a,
      ...(comment ? { comment } : {}),
    });
    await walked.executeUpdate(acknowledgeIncident, { args: [cmd()] });
    await walked.executeUpdate(startIncidentWork, { args: [cmd()] });
    await walked.executeUpdate(assignIncident, {
      args: [{ ...cmd(lead), assignee: { userId: lead.userId, email: lead.email } }],
    });
    const final = await walked.executeUpdate(resolveIncident, { args: [cmd(lead, 'restarted consumers')] });
    await walked.result();
    const walkedRunId = (await walked.describe()).runId;
    await temporal.workflow.executeUpdateWithStart(reopenIncident, {
      args: [cmd(tech, 'lag is back')],
      startWorkflowOperation: new WithStartWorkflowOperation('incidentWorkflow', {
        workflowId: walked.workflowId,
        taskQueue: TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [
          {
            companyId: company.companyId,
            assetName: 'srv-q-01',
            signature: 'queue_stuck',
            aggregationKey: held.aggregationKey,
            resume: final,
          },
        ],
      }),
    });
    const reopened = temporal.workflow.getHandle(walked.workflowId);
    await reopened.executeUpdate(resolveIncident, { args: [cmd(tech, 'scaled consumers')] });
    await reopened.result();

    // The correlation folds a symptom's incident into its host fault's (the router's Updates, one retried).
    const symptom = await sendAlert(temporal, company.companyId, 'srv-m-01', 'queue_stuck', alert('high'));
    const fault = await sendAlert(temporal, company.companyId, 'srv-m-01', 'host_down', alert('critical', 'Zabbix'));
    const [s1, f1] = [await waitFor(symptom, 'escalated'), await waitFor(fault, 'escalated')];
    const correlation = { ...actor('msp_admin', []), userId: 'correlation', email: 'correlation' };
    const into = { incidentId: f1.incidentId, label: `srv-m-01 / host_down (${f1.incidentId.slice(0, 8)})` };
    await symptom.executeUpdate(mergeIncident, {
      args: [{ incidentId: s1.incidentId, actor: correlation, into, byCorrelation: true }],
    });
    await symptom.result();
    const absorb = {
      incidentId: f1.incidentId,
      actor: correlation,
      byCorrelation: true,
      source: {
        incidentId: s1.incidentId,
        label: `srv-m-01 / queue_stuck (${s1.incidentId.slice(0, 8)})`,
        alertCount: 1,
        severity: 'high' as const,
        toolSources: ['Prometheus'],
      },
    };
    await fault.executeUpdate(absorbIncident, { args: [absorb] });
    await fault.executeUpdate(absorbIncident, { args: [absorb] });
    await fault.executeUpdate(resolveIncident, {
      args: [{ incidentId: f1.incidentId, actor: actor('technician', [company.companyId]), comment: 'host back' }],
    });
    await fault.result();

    // AWS refuses the runbook: the tenant reads a sentence, the raw error stays in the escalation's data.
    const refusing = await createCompany(sql);
    refuseSend.add(refusing.companyId);
    const sendRefused = await sendAlert(temporal, refusing.companyId, 'srv-app-09', 'disk_full', alert('high'));
    const unsent = await waitFor(sendRefused, 'escalated');
    await sendRefused.executeUpdate(resolveIncident, {
      args: [{ incidentId: unsent.incidentId, actor: actor('technician', [refusing.companyId]), comment: 'by hand' }],
    });
    await sendRefused.result();

    // PostgreSQL refuses the first save: saved without the NUL, escalated, and people's Updates still answer.
    const nul = await createCompany(sql);
    refuseSave.add(nul.companyId);
    const saveRefused = await sendAlert(temporal, nul.companyId, 'srv-q-09', 'queue_stuck', alert('high'));
    const unsaved = await waitFor(saveRefused, 'escalated');
    const nulCmd = { incidentId: unsaved.incidentId, actor: actor('technician', [nul.companyId]) };
    await saveRefused.executeUpdate(acknowledgeIncident, { args: [nulCmd] });
    await saveRefused.executeUpdate(resolveIncident, { args: [{ ...nulCmd, comment: 'checked' }] });
    await saveRefused.result();

    // A person runs a high-risk runbook on an escalated incident (runRunbook): approvers are paged, another
    // person approves, the dry run resolves it.
    const byHand = await sendAlert(temporal, company.companyId, 'srv-web-05', 'nginx_stuck', alert('high'));
    const stuck = await waitFor(byHand, 'escalated');
    const restart = (await loadRunbooks(sql, company.companyId)).find((r) => r.name === 'Restart nginx')!;
    await byHand.executeUpdate(runRunbook, {
      args: [
        {
          incidentId: stuck.incidentId,
          actor: actor('company_admin', [company.companyId]),
          runbookId: restart.id,
          runbook: restart,
          runbookCompanyId: company.companyId,
          fourEyes: true,
        },
      ],
    });
    await byHand.executeUpdate(approveIncident, {
      args: [{ incidentId: stuck.incidentId, actor: actor('msp_admin', []) }],
    });
    await byHand.result();

    // A person asks for a fresh decision (redecideIncident) once a runbook for the signature exists: the rules now
    // choose it, a new choice at low risk, and the dry run resolves the incident.
    const late = await sendAlert(temporal, company.companyId, 'srv-c-01', 'cache_full', alert('high'));
    const undecided = await waitFor(late, 'escalated');
    await sql`INSERT INTO runbooks (id, company_id, name, signature, risk_level, actions)
      VALUES (${`rb-late-${company.companyId}`}, ${company.companyId}, 'Flush cache', 'cache_full', 'low',
              ${['echo flush']})`;
    await late.executeUpdate(redecideIncident, {
      args: [{ incidentId: undecided.incidentId, actor: actor('technician', [company.companyId]), fourEyes: false }],
    });
    await late.result();

    const recorded = [
      ['redecided', late],
      ['run-by-hand', byHand],
      ['send-refused', sendRefused],
      ['save-refused', saveRefused],
      ['merged-by-correlation', symptom],
      ['absorbed-by-correlation', fault],
      ['auto-remediated', auto],
      ['approved', approved],
      ['rejected-resolved', rejected],
      ['coalesced-resolved-at-source', coalesced],
      ['lifecycle', temporal.workflow.getHandle(walked.workflowId, walkedRunId)],
      ['reopened', reopened],
    ] as const;
    for (const [name, handle] of recorded) {
      // The CLI writes the standard proto3 JSON that historyFromJSON reads (and Temporal Web downloads).
      const json = execFileSync(findTemporalCli() ?? 'temporal', [
        'workflow',
        'show',
        '--address',
        server.address,
        '--workflow-id',
        handle.workflowId,
        '--run-id',
        (await handle.describe()).runId,
        '--output',
        'json',
      ]);
      const file = outFile(name);
      writeFileSync(file, json);
      console.log(`saved ${path.basename(file)}`);
    }
  });
  await nativeConnection.close();

  // The resume path: a dev server that suggests continue-as-new after 40 events, and an alert flood on an
  // escalated incident. Both runs are saved: the one that continued and the one that resumed.
  const small = await startTemporalDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  try {
    const smallConnection = await NativeConnection.connect({ address: small.address });
    const smallWorker = await createWorker({
      connection: smallConnection,
      sql,
      config: { ...config, temporalAddress: small.address },
    });
    const smallClient = new Client({ connection: await Connection.connect({ address: small.address }) });
    await smallWorker.runUntil(async () => {
      const company = await createCompany(sql);
      const handle = await sendAlert(smallClient, company.companyId, 'srv-db-01', 'replication_lag', alert('high'));
      let s: IncidentState | null = null;
      while (s?.status !== 'escalated') {
        await new Promise((r) => setTimeout(r, 200));
        s = await handle.query(stateQuery).catch(() => null);
      }
      const firstRunId = s.runId;
      for (let i = 0; i < 25; i++)
        await sendAlert(smallClient, company.companyId, 'srv-db-01', 'replication_lag', alert('high', 'Zabbix'));
      const latest = smallClient.workflow.getHandle(handle.workflowId);
      while ((s = await latest.query(stateQuery).catch(() => null))?.runId === firstRunId || s?.alertCount !== 26) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await latest.executeUpdate(resolveIncident, {
        args: [{ incidentId: s.incidentId, actor: actor('technician', [company.companyId]) }],
      });
      await latest.result();
      for (const [name, runId] of [
        ['continued', firstRunId],
        ['resumed-resolved', s.runId],
      ] as const) {
        const json = execFileSync(findTemporalCli() ?? 'temporal', [
          'workflow',
          'show',
          '--address',
          small.address,
          '--workflow-id',
          handle.workflowId,
          '--run-id',
          runId,
          '--output',
          'json',
        ]);
        const file = outFile(name);
        writeFileSync(file, json);
        console.log(`saved ${path.basename(file)}`);
      }
    });
    await smallConnection.close();
  } finally {
    await small.stop();
  }
} finally {
  await sql.end();
  await server.stop();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
