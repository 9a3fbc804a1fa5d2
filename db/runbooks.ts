// Runbooks as the database holds them: an identity per runbook pointing at its current immutable version
// (migration 017). Decisions read only live runbooks' current versions; history reads every version.
import type { Sql, TransactionSql } from './sql.ts';
import type { RunbookDraft } from '../domain/runbook.ts';
import { AUTO_APPROVE_LEVELS, autoApproves } from '../domain/rules.ts';
import type { TemplateFields } from '../domain/runbook-template.ts';
import type { Runbook } from '../domain/types.ts';

export interface RunbookVersionRow extends RunbookDraft {
  preCheck: string[];
  postCheck: string[];
  targetTag: string | null;
  runbookId: string;
  version: number;
  createdBy: string;
  createdAt: string;
}

export interface RunbookRow {
  id: string;
  companyId: string;
  currentVersion: number;
  archivedAt: string | null;
  archivedBy: string | null;
  createdAt: string;
  /** The current version. */
  current: RunbookVersionRow;
}

const VERSION_COLUMNS = `
  v.runbook_id AS "runbookId", v.version, v.name, v.description, v.signatures, v.risk_level AS "riskLevel",
  v.document_name AS "documentName", v.commands, v.parameters, v.timeout_seconds AS "timeoutSeconds",
  v.pre_check AS "preCheck", v.post_check AS "postCheck", v.target_tag AS "targetTag",
  v.created_by AS "createdBy", v.created_at AS "createdAt"`;

const RUNBOOK_SELECT = `
  SELECT r.id, r.company_id AS "companyId", r.current_version AS "currentVersion", r.archived_at AS "archivedAt",
    r.archived_by AS "archivedBy", r.created_at AS "createdAt", json_build_object(
      'runbookId', v.runbook_id, 'version', v.version, 'name', v.name, 'description', v.description,
      'signatures', v.signatures, 'riskLevel', v.risk_level, 'documentName', v.document_name,
      'commands', v.commands, 'parameters', v.parameters, 'timeoutSeconds', v.timeout_seconds,
      'preCheck', v.pre_check, 'postCheck', v.post_check, 'targetTag', v.target_tag,
      'createdBy', v.created_by, 'createdAt', v.created_at) AS current
  FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id AND v.version = r.current_version`;

/** The workflow's view of a version: the Runbook type its decision carries and its history records. */
export function toRunbook(v: RunbookVersionRow): Runbook {
  return {
    id: v.runbookId,
    name: v.name,
    signature: v.signatures[0]!,
    riskLevel: v.riskLevel,
    documentName: v.documentName,
    actions: v.commands,
    version: v.version,
    signatures: v.signatures,
    parameters: v.parameters,
    timeoutSeconds: v.timeoutSeconds,
    // Only when set, so a run without checks carries the same Runbook as before checks existed.
    ...(v.preCheck.length ? { preCheck: v.preCheck } : {}),
    ...(v.postCheck.length ? { postCheck: v.postCheck } : {}),
    ...(v.targetTag ? { targetTag: v.targetTag } : {}),
  };
}

/**
 * The company's live runbooks at their current versions, oldest first (the decision engine's input). When the
 * company set an approval policy (approval.autoApproveUpTo), each carries whether it may run without a person, so
 * the rules and the guard over a model's pick (domain/rules.ts) follow the policy without reading settings.
 */
export async function loadRunbooks(sql: Sql, companyId: string): Promise<Runbook[]> {
  const [rows, [company]] = await Promise.all([
    sql.unsafe<RunbookRow[]>(
      `${RUNBOOK_SELECT} WHERE r.company_id = $1 AND r.archived_at IS NULL ORDER BY r.created_at, r.id`,
      [companyId],
    ),
    sql<{ upTo: string | null }[]>`
      SELECT settings -> 'approval' ->> 'autoApproveUpTo' AS "upTo" FROM companies WHERE id = ${companyId}`,
  ]);
  const upTo = AUTO_APPROVE_LEVELS.find((l) => l === company?.upTo);
  return rows.map((r) => {
    const runbook = toRunbook(r.current);
    return upTo ? { ...runbook, autoApprove: autoApproves(runbook.riskLevel, upTo) } : runbook;
  });
}

/** Every runbook of a company, archived ones after the live ones when asked for. */
export async function selectRunbooks(sql: Sql, companyId: string, includeArchived: boolean): Promise<RunbookRow[]> {
  return sql.unsafe<RunbookRow[]>(
    `${RUNBOOK_SELECT} WHERE r.company_id = $1 ${includeArchived ? '' : 'AND r.archived_at IS NULL'}
     ORDER BY r.archived_at IS NOT NULL, lower(v.name), r.id LIMIT 1000`,
    [companyId],
  );
}

export async function selectRunbook(sql: Sql | TransactionSql, id: string): Promise<RunbookRow | null> {
  const [row] = await sql.unsafe<RunbookRow[]>(`${RUNBOOK_SELECT} WHERE r.id = $1`, [id]);
  return row ?? null;
}

/** A runbook's versions, newest first, at most `limit`. */
export async function selectVersions(sql: Sql, runbookId: string, limit: number): Promise<RunbookVersionRow[]> {
  return sql.unsafe<RunbookVersionRow[]>(
    `SELECT ${VERSION_COLUMNS} FROM runbook_versions v WHERE v.runbook_id = $1 ORDER BY v.version DESC LIMIT $2`,
    [runbookId, limit],
  );
}

/** Adds `version` of a runbook (the caller holds the runbook's row lock or has just created it). */
export async function insertVersion(
  tx: TransactionSql,
  runbookId: string,
  version: number,
  d: RunbookDraft,
  createdBy: string,
): Promise<void> {
  await tx`
    INSERT INTO runbook_versions (runbook_id, version, name, description, signatures, risk_level, document_name,
                                  commands, parameters, timeout_seconds, pre_check, post_check, target_tag,
                                  created_by)
    VALUES (${runbookId}, ${version}, ${d.name}, ${d.description}, ${d.signatures}, ${d.riskLevel}, ${d.documentName},
            ${d.commands}, ${tx.json(d.parameters)}, ${d.timeoutSeconds}, ${d.preCheck ?? []}, ${d.postCheck ?? []},
            ${d.targetTag ?? null}, ${createdBy})`;
  await tx`UPDATE runbooks SET current_version = ${version} WHERE id = ${runbookId}`;
}

/** Creates a runbook at version 1. */
export async function insertRunbook(
  tx: TransactionSql,
  id: string,
  companyId: string,
  d: RunbookDraft,
  createdBy: string,
): Promise<void> {
  await tx`INSERT INTO runbooks (id, company_id, current_version) VALUES (${id}, ${companyId}, 1)`;
  await insertVersion(tx, id, 1, d, createdBy);
}

/**
 * Exact signatures of `signatures` another live runbook of the company already handles, with that runbook's name:
 * two runbooks claiming one exact signature would leave the choice to row order.
 */
export async function exactSignatureClaims(
  tx: TransactionSql,
  companyId: string,
  signatures: string[],
  exceptRunbookId: string | null,
): Promise<Array<{ signature: string; name: string }>> {
  const exact = signatures.filter((s) => !s.includes('*'));
  if (!exact.length) return [];
  return tx<{ signature: string; name: string }[]>`
    SELECT s AS signature, v.name FROM runbooks r
    JOIN runbook_versions v ON v.runbook_id = r.id AND v.version = r.current_version
    CROSS JOIN LATERAL unnest(v.signatures) s
    WHERE r.company_id = ${companyId} AND r.archived_at IS NULL AND s = ANY(${exact})
      AND r.id IS DISTINCT FROM ${exceptRunbookId}`;
}

export interface IncidentTarget {
  fields: TemplateFields;
  /** The instance id of the incident's asset, when the incident's company registered one (the only target). */
  instanceId: string | null;
}

/**
 * What a runbook's templates and target come from for an incident of `companyId`: its own fields, the labels of
 * its latest alert, and the instance its company registered for its asset. null when the company has no such
 * incident.
 */
export async function incidentTarget(sql: Sql, companyId: string, incidentId: string): Promise<IncidentTarget | null> {
  const [row] = await sql<
    {
      assetName: string;
      signature: string;
      severity: string;
      labels: Record<string, unknown> | null;
      instanceId: string | null;
    }[]
  >`
    SELECT i.asset_name AS "assetName", i.signature, i.severity,
      (SELECT a.labels FROM alerts a WHERE a.incident_id = i.id ORDER BY a.received_at DESC LIMIT 1) AS labels,
      (SELECT s.instance_id FROM assets s WHERE s.company_id = i.company_id AND s.name = i.asset_name) AS "instanceId"
    FROM incidents i WHERE i.id = ${incidentId} AND i.company_id = ${companyId}`;
  if (!row) return null;
  const labels = Object.fromEntries(
    Object.entries(row.labels ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return {
    fields: { asset: row.assetName, signature: row.signature, severity: row.severity, incidentId, labels },
    instanceId: row.instanceId,
  };
}

/**
 * Instance ids of `companyId`'s assets tagged `tag` that have one registered, by asset name, at most `limit` (read
 * one more than a cap to know it is passed). Only that company's rows: a tag names nothing in another company.
 */
export async function taggedInstances(sql: Sql, companyId: string, tag: string, limit: number): Promise<string[]> {
  const rows = await sql<{ instanceId: string }[]>`
    SELECT instance_id AS "instanceId" FROM assets
    WHERE company_id = ${companyId} AND ${tag} = ANY(tags) AND instance_id IS NOT NULL
    ORDER BY name LIMIT ${limit}`;
  return rows.map((r) => r.instanceId);
}

export interface RunbookRunStats {
  /** Finished runs through SSM in the window (dry runs apart: they ran nothing). */
  runs: number;
  succeeded: number;
  dryRuns: number;
  /** succeeded / runs, or null before the first run. */
  successRate: number | null;
  /** Median seconds from send to the command's end, over SSM runs. */
  medianSeconds: number | null;
  lastRunAt: string | null;
}

export const RUN_STATS_DAYS = 90;

/**
 * How a runbook fared over the last RUN_STATS_DAYS days, every version together: the runs of the incidents whose
 * decision chose it. Read from the incidents' own decisions, so a run is counted whatever executor recorded it.
 */
export async function runbookRunStats(sql: Sql, companyId: string, runbookId: string): Promise<RunbookRunStats> {
  const [row] = await sql<Omit<RunbookRunStats, 'successRate'>[]>`
    SELECT count(*) FILTER (WHERE e.executor = 'ssm')::int AS runs,
      count(*) FILTER (WHERE e.executor = 'ssm' AND e.status = 'Success')::int AS succeeded,
      count(*) FILTER (WHERE e.executor = 'dry_run')::int AS "dryRuns",
      (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.finished_at - e.started_at))
        FILTER (WHERE e.executor = 'ssm'))::float8 AS "medianSeconds",
      max(e.finished_at) AS "lastRunAt"
    FROM incidents i JOIN executions e ON e.incident_id = i.id
    WHERE i.company_id = ${companyId} AND i.decision -> 'runbook' ->> 'id' = ${runbookId}
      AND e.finished_at IS NOT NULL AND e.started_at > now() - make_interval(days => ${RUN_STATS_DAYS})`;
  const r = row!;
  return { ...r, successRate: r.runs ? r.succeeded / r.runs : null };
}
