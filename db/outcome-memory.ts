// The runs outcome memory is made of (domain/outcome-memory.ts): finished SSM runs (executions, migrations 001/015)
// with their incident's signature, resolution time, approval and the runbook version its decision ran. Every read is
// bounded and kept to one company; the incident being decided (or shown) is left out, its own run is not "past".
import type { Sql } from './sql.ts';
import {
  MEMORY_INCIDENTS,
  summariseOutcomes,
  type ApprovalAnswer,
  type OutcomeMemory,
  type OutcomeRun,
} from '../domain/outcome-memory.ts';

/** Runs read per signature: enough for MEMORY_INCIDENTS incidents even with a few retried ones. */
export const SIGNATURE_RUNS = 50;
/** Runs read per asset for the failure streak (any signature: a runbook may handle several). */
export const ASSET_RUNS = 20;

export interface MemoryKey {
  companyId: string;
  signature: string;
  assetName: string;
  /** The incident the memory is for: its own runs are not part of it. */
  incidentId: string;
}

function selectRuns(sql: Sql, key: MemoryKey, where: ReturnType<Sql>, limit: number) {
  // Migration 020's indexes start the asset's read at its own runs and the signature's at its own incidents.
  return sql<OutcomeRun[]>`
    SELECT e.incident_id AS "incidentId", e.attempt,
      COALESCE(e.runbook_id, i.decision -> 'runbook' ->> 'id') AS "runbookId",
      i.decision -> 'runbook' ->> 'name' AS "runbookName",
      (i.decision -> 'runbook' ->> 'version')::int AS "runbookVersion",
      i.asset_name AS "assetName", i.signature, e.status, e.finished_at AS "finishedAt",
      CASE WHEN i.resolved_at IS NOT NULL
        THEN greatest(extract(epoch FROM i.resolved_at - i.created_at), 0)::float8 END AS "secondsToResolve",
      CASE WHEN i.approval ->> 'status' = 'approved' THEN i.approval ->> 'decidedBy' END AS "approvedBy"
    FROM executions e JOIN incidents i ON i.id = e.incident_id
    WHERE e.company_id = ${key.companyId} AND i.company_id = ${key.companyId}
      AND e.executor = 'ssm' AND e.finished_at IS NOT NULL AND e.incident_id <> ${key.incidentId} AND ${where}
    ORDER BY e.started_at DESC, e.attempt DESC
    LIMIT ${limit}`;
}

/** The company's latest runs for the signature, any asset, newest first. */
export function signatureRuns(sql: Sql, key: MemoryKey): Promise<OutcomeRun[]> {
  return selectRuns(sql, key, sql`i.signature = ${key.signature}`, SIGNATURE_RUNS);
}

/** The asset's latest runs, any signature, newest first. */
export function assetRuns(sql: Sql, key: MemoryKey): Promise<OutcomeRun[]> {
  return selectRuns(sql, key, sql`e.asset_name = ${key.assetName}`, ASSET_RUNS);
}

/**
 * The company's latest incidents of the signature whose proposed runbook an approver answered, newest first (an
 * expired approval is nobody's answer). A rejection is a person overriding the decision.
 */
export function approvalAnswers(sql: Sql, key: MemoryKey): Promise<ApprovalAnswer[]> {
  return sql<ApprovalAnswer[]>`
    SELECT i.id AS "incidentId", i.asset_name AS "assetName", i.decision -> 'runbook' ->> 'name' AS "runbookName",
      (i.decision -> 'runbook' ->> 'version')::int AS "runbookVersion", i.approval ->> 'status' AS status,
      i.approval ->> 'decidedBy' AS "decidedBy", i.approval ->> 'decidedAt' AS "decidedAt",
      i.approval ->> 'comment' AS comment
    FROM incidents i
    WHERE i.company_id = ${key.companyId} AND i.signature = ${key.signature} AND i.id <> ${key.incidentId}
      AND i.approval ->> 'status' IN ('approved', 'rejected')
    ORDER BY i.created_at DESC
    LIMIT ${MEMORY_INCIDENTS}`;
}

/** The memory people read for an incident. */
export async function loadOutcomeMemory(sql: Sql, key: MemoryKey): Promise<OutcomeMemory> {
  const [runs, answers] = await Promise.all([signatureRuns(sql, key), approvalAnswers(sql, key)]);
  return summariseOutcomes(key.signature, key.assetName, runs, answers);
}
