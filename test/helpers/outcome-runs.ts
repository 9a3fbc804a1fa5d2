// Earlier incidents with one finished SSM run each, written as the workflow leaves them, for tests of outcome memory
// (domain/outcome-memory.ts) and run statistics without running SSM.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';

export interface PastRunCompany {
  companyId: string;
  /** The runbook the past incidents' decisions ran (named "Clean temp files", version 1). */
  diskRunbook: string;
}

/** The id of the company's disk_full runbook (fixtures.ts DEFAULT_RUNBOOKS). */
export async function diskRunbookOf(sql: Sql, companyId: string): Promise<string> {
  const [rb] = await sql<{ id: string }[]>`
    SELECT id FROM runbooks WHERE company_id = ${companyId} AND signature = 'disk_full'`;
  return rb!.id;
}

/**
 * An earlier disk_full incident on `assetName` whose run ended `minutesAgo` minutes ago: resolved `seconds` after it
 * opened when the run succeeded, escalated when it failed.
 */
export async function pastRun(
  sql: Sql,
  c: PastRunCompany,
  assetName: string,
  status: 'Success' | 'Failed',
  minutesAgo: number,
  seconds = 40,
): Promise<string> {
  const id = `inc-${randomUUID().slice(0, 8)}`;
  const decision = {
    action: 'auto_remediate',
    runbook: { id: c.diskRunbook, name: 'Clean temp files', version: 1, riskLevel: 'low' },
    reasoning: 'past',
    source: 'rules',
    confidence: 1,
  };
  const ok = status === 'Success';
  const opened = sql`now() - make_interval(mins => ${minutesAgo})`;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
      status, priority_score, alert_count, decision, sla_response_deadline, sla_resolution_deadline, version,
      created_at, resolved_at)
    VALUES (${id}, ${c.companyId}, ${`past:${id}`}, ${randomUUID()}, ${`${assetName}|disk_full`}, ${assetName},
      'disk_full', 'high', ${ok ? 'resolved' : 'escalated'}, 10, 1, ${sql.json(decision)},
      now() + interval '30 minutes', now() + interval '1 day', 1, ${opened},
      ${ok ? sql`${opened} + make_interval(secs => ${seconds})` : null})`;
  await sql`
    INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands, status,
      company_id, asset_name, runbook_id, started_at, finished_at)
    VALUES (${id}, 1, 'ssm', ${`cmd-${id}`}, 'AWS-RunShellScript', '{i-0123456789abcdef0}', '{true}', ${status},
      ${c.companyId}, ${assetName}, ${c.diskRunbook}, ${opened}, ${opened} + make_interval(secs => ${seconds}))`;
  return id;
}

/** Two fixed elsewhere (30 s and 50 s), then three failures in a row on `assetName`. */
export async function failingHistory(sql: Sql, c: PastRunCompany, assetName: string): Promise<void> {
  await pastRun(sql, c, 'srv-other-01', 'Success', 60, 30);
  await pastRun(sql, c, 'srv-other-02', 'Success', 50, 50);
  for (const minutesAgo of [30, 20, 10]) await pastRun(sql, c, assetName, 'Failed', minutesAgo);
}
