// The executions row of one incident attempt: claimed (and committed) before AWS is called, under the
// blast-radius guard. Counting the company's runs and inserting the claim share one transaction and the company's
// advisory lock, so two incidents racing for the last slot cannot both pass.
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/sql.ts';
import { BLAST_RADIUS_EXCEEDED, judgeBlastRadius, type BlastRadiusLimits } from '../domain/blast-radius.ts';
import type { ExecutorKind } from '../workflows/types.ts';

export interface ClaimRow {
  executor: ExecutorKind;
  commandId: string;
  documentName: string;
  instanceIds: string[];
  commands: string[];
  startedAt: string;
}

export const CLAIM_COLUMNS = `executor, command_id AS "commandId", document_name AS "documentName",
  instance_ids AS "instanceIds", commands, started_at AS "startedAt"`;

export interface ClaimInput {
  companyId: string;
  incidentId: string;
  attempt: number;
  assetName: string;
  runbookId: string;
  runbookName: string;
  executor: ExecutorKind;
  documentName: string;
  instanceIds: string[];
  commands: string[];
  /** When SSM will have ended the run whatever happens; until then it counts as running. */
  deadlineMs: number;
  limits: BlastRadiusLimits;
}

/** The attempt's claim: the one already committed (a retry), or a new one the guard allowed. */
export async function claimRun(sql: Sql, c: ClaimInput): Promise<ClaimRow> {
  const existing = await readClaim(sql, c.incidentId, c.attempt);
  if (existing) return existing;
  return await sql.begin(async (tx) => {
    // One company's claims queue here; other companies' claims do not wait.
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`aw-blast-radius:${c.companyId}`}, 0))`;
    const [again] = await tx<ClaimRow[]>`
      SELECT ${tx.unsafe(CLAIM_COLUMNS)} FROM executions WHERE incident_id = ${c.incidentId} AND attempt = ${c.attempt}`;
    if (again) return again;
    // A dry run sends nothing, so it neither counts nor is held back: the guard protects hosts from commands.
    if (c.executor === 'ssm') {
      const [counts] = await tx<{ asset: number; runbook: number; running: number }[]>`
        SELECT count(*) FILTER (WHERE asset_name = ${c.assetName})::int AS asset,
               count(*) FILTER (WHERE runbook_id = ${c.runbookId})::int AS runbook,
               count(*) FILTER (WHERE finished_at IS NULL AND deadline_at > now())::int AS running
        FROM executions
        WHERE company_id = ${c.companyId} AND executor = 'ssm' AND status <> 'NotSent'
          AND (started_at > now() - interval '1 hour' OR (finished_at IS NULL AND deadline_at > now()))`;
      const verdict = judgeBlastRadius(
        {
          assetRunsLastHour: counts?.asset ?? 0,
          runbookRunsLastHour: counts?.runbook ?? 0,
          concurrentRuns: counts?.running ?? 0,
        },
        c.limits,
        c.runbookName,
      );
      if (!verdict.allowed) {
        throw ApplicationFailure.create({
          message: verdict.reason,
          type: BLAST_RADIUS_EXCEEDED,
          nonRetryable: true,
          details: [{ limit: verdict.limit }],
        });
      }
    }
    const [row] = await tx<ClaimRow[]>`
      INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands,
                              status, company_id, asset_name, runbook_id, deadline_at)
      VALUES (${c.incidentId}, ${c.attempt}, ${c.executor}, '', ${c.documentName}, ${c.instanceIds}, ${c.commands},
              'Claimed', ${c.companyId}, ${c.assetName}, ${c.runbookId},
              now() + make_interval(secs => ${c.deadlineMs / 1000}))
      RETURNING ${tx.unsafe(CLAIM_COLUMNS)}`;
    return row!;
  });
}

export async function readClaim(sql: Sql, incidentId: string, attempt: number): Promise<ClaimRow | null> {
  const [row] = await sql<ClaimRow[]>`
    SELECT ${sql.unsafe(CLAIM_COLUMNS)} FROM executions WHERE incident_id = ${incidentId} AND attempt = ${attempt}`;
  return row ?? null;
}
