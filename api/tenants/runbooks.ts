// A company's runbook library: members read it, company admins (and MSP admins) write it. A save of an existing
// runbook adds a version (versions never change), an archive hides it from decisions, and the starter catalogue
// imports in one call. Every write is audited in its own transaction.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  exactSignatureClaims,
  insertRunbook,
  insertVersion,
  selectRunbook,
  selectRunbooks,
  selectVersions,
  type RunbookRow,
  type RunbookVersionRow,
} from '../../db/runbooks.ts';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { catalogueDraft, RUNBOOK_CATALOGUE } from '../../domain/runbook-catalogue.ts';
import {
  DEFAULT_TIMEOUT_SECONDS,
  diffDrafts,
  draftProblems,
  type FieldChange,
  type RunbookDraft,
} from '../../domain/runbook.ts';
import { RISK_LEVELS } from '../../domain/types.ts';
import type { AuthUser } from '../auth.ts';
import { requireCompanyAdmin, requireCompanyMember } from './access.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export type { RunbookRow, RunbookVersionRow };
// Run history is read per runbook the caller already may see (the Runbook's own field).
export { RUN_STATS_DAYS, runbookRunStats, type RunbookRunStats } from '../../db/runbooks.ts';

export interface RunbookVersionRecord extends RunbookVersionRow {
  /** What changed from the version before (empty for version 1). */
  changes: FieldChange[];
}

export const RUNBOOK_VERSIONS_LIMIT = { default: 20, max: 100 } as const;

const saveSchema = z
  .object({
    id: z.string().min(1).optional(),
    companyId: z.string().min(1),
    name: z.string(),
    description: z.string().default(''),
    signatures: z.array(z.string()),
    riskLevel: z.enum(RISK_LEVELS),
    documentName: z.string().default('AWS-RunShellScript'),
    commands: z.array(z.string()),
    parameters: z.array(z.object({ name: z.string(), value: z.string() }).strict()).default([]),
    timeoutSeconds: z.number().int().default(DEFAULT_TIMEOUT_SECONDS),
    preCheck: z.array(z.string()).default([]),
    postCheck: z.array(z.string()).default([]),
    targetTag: z.string().nullable().default(null),
  })
  .strict();

export type SaveRunbookInput = z.input<typeof saveSchema>;

/** Reads a runbook for `user`, another company's reading as missing. */
async function visible(sql: Sql | TransactionSql, user: AuthUser, id: string): Promise<RunbookRow> {
  const row = await selectRunbook(sql, id);
  if (!row) throw new TenantError('NOT_FOUND', `Runbook ${id} not found`);
  try {
    requireCompanyMember(user, row.companyId);
  } catch {
    throw new TenantError('NOT_FOUND', `Runbook ${id} not found`);
  }
  return row;
}

export async function listRunbooks(
  sql: Sql,
  user: AuthUser,
  companyId: string,
  includeArchived = false,
): Promise<RunbookRow[]> {
  requireCompanyMember(user, companyId);
  return selectRunbooks(sql, companyId, includeArchived);
}

export function getRunbook(sql: Sql, user: AuthUser, id: string): Promise<RunbookRow> {
  return visible(sql, user, id);
}

/** The newest `limit` versions, each with its changes from the one before. */
export async function runbookVersions(sql: Sql, runbookId: string, limit: number): Promise<RunbookVersionRecord[]> {
  const n = Math.min(Math.max(limit, 1), RUNBOOK_VERSIONS_LIMIT.max);
  // One more than shown, so the oldest shown version still has its predecessor to compare with.
  const rows = await selectVersions(sql, runbookId, n + 1);
  return rows.slice(0, n).map((v, i) => ({ ...v, changes: rows[i + 1] ? diffDrafts(rows[i + 1]!, v) : [] }));
}

function draftOf(v: z.output<typeof saveSchema>): RunbookDraft {
  return {
    name: v.name.trim(),
    description: v.description.trim(),
    signatures: v.signatures.map((s) => s.trim()),
    riskLevel: v.riskLevel,
    documentName: v.documentName.trim(),
    commands: v.commands,
    parameters: Object.fromEntries(v.parameters.map((p) => [p.name.trim(), p.value])),
    timeoutSeconds: v.timeoutSeconds,
    preCheck: v.preCheck,
    postCheck: v.postCheck,
    // An empty tag is no tag: the incident's asset.
    targetTag: v.targetTag?.trim() || null,
  };
}

/** Refuses a draft by field, including an exact signature another live runbook of the company handles. */
async function checkDraft(tx: TransactionSql, companyId: string, d: RunbookDraft, exceptId: string | null) {
  const problems = draftProblems(d);
  const claims = problems.length ? [] : await exactSignatureClaims(tx, companyId, d.signatures, exceptId);
  for (const c of claims) {
    problems.push({
      field: `signatures.${d.signatures.indexOf(c.signature)}`,
      message: `"${c.signature}" is already handled by runbook "${c.name}"`,
    });
  }
  if (problems.length) throw invalid(problems);
}

/** Creates a runbook at version 1, or adds the next version of `input.id`; an unchanged save adds nothing. */
export async function saveRunbook(sql: Sql, user: AuthUser, actor: Actor, input: SaveRunbookInput) {
  const parsed = saveSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
  }
  const v = parsed.data;
  requireCompanyAdmin(user, v.companyId);
  const draft = draftOf(v);
  const id = v.id ?? `rb-${randomUUID()}`;
  await sql.begin(async (tx) => {
    // Company-wide lock: two saves cannot both claim one exact signature.
    await tx`SELECT pg_advisory_xact_lock(hashtext('runbooks'), hashtext(${v.companyId}))`;
    if (!v.id) {
      await checkDraft(tx, v.companyId, draft, null);
      await insertRunbook(tx, id, v.companyId, draft, user.email);
      await audit(tx, actor, {
        companyId: v.companyId,
        action: 'runbook.created',
        targetType: 'runbook',
        targetId: id,
        data: { version: 1, ...draft },
      });
      return;
    }
    const current = await visible(tx, user, id);
    if (current.companyId !== v.companyId) throw new TenantError('NOT_FOUND', `Runbook ${id} not found`);
    if (current.archivedAt) throw new TenantError('CONFLICT', `Runbook "${current.current.name}" is archived`);
    const changes = diffDrafts(current.current, draft);
    if (!changes.length) return;
    await checkDraft(tx, v.companyId, draft, id);
    const version = current.currentVersion + 1;
    await insertVersion(tx, id, version, draft, user.email);
    await audit(tx, actor, {
      companyId: v.companyId,
      action: 'runbook.versioned',
      targetType: 'runbook',
      targetId: id,
      data: { version, changed: changes.map((c) => c.field) },
    });
  });
  return (await selectRunbook(sql, id))!;
}

export async function archiveRunbook(sql: Sql, user: AuthUser, actor: Actor, id: string): Promise<RunbookRow> {
  const row = await visible(sql, user, id);
  requireCompanyAdmin(user, row.companyId);
  await sql.begin(async (tx) => {
    const [done] = await tx<{ id: string }[]>`
      UPDATE runbooks SET archived_at = now(), archived_by = ${user.email}
      WHERE id = ${id} AND archived_at IS NULL RETURNING id`;
    if (!done) return;
    await audit(tx, actor, {
      companyId: row.companyId,
      action: 'runbook.archived',
      targetType: 'runbook',
      targetId: id,
      data: { version: row.currentVersion, name: row.current.name },
    });
  });
  return (await selectRunbook(sql, id))!;
}

export interface CatalogueImport {
  imported: RunbookRow[];
  /** Entries not imported, each with why (already there, or a signature another runbook handles). */
  skipped: Array<{ key: string; name: string; reason: string }>;
}

/**
 * Imports the starter catalogue (or the entries named by key). An entry whose name the company already has, or
 * whose exact signature another live runbook handles, is skipped with the reason: importing twice adds nothing.
 */
export async function importRunbookCatalogue(
  sql: Sql,
  user: AuthUser,
  actor: Actor,
  companyId: string,
  keys?: string[] | null,
): Promise<CatalogueImport> {
  requireCompanyAdmin(user, companyId);
  const unknown = (keys ?? []).flatMap((k, i) =>
    RUNBOOK_CATALOGUE.some((e) => e.key === k) ? [] : [{ field: `names.${i}`, message: `no catalogue entry "${k}"` }],
  );
  if (unknown.length) throw invalid(unknown);
  const entries = keys?.length ? RUNBOOK_CATALOGUE.filter((e) => keys.includes(e.key)) : RUNBOOK_CATALOGUE;
  const ids: string[] = [];
  const skipped: CatalogueImport['skipped'] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('runbooks'), hashtext(${companyId}))`;
    const names = new Set(
      (
        await tx<{ name: string }[]>`
        SELECT v.name FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id AND v.version = r.current_version
        WHERE r.company_id = ${companyId} AND r.archived_at IS NULL`
      ).map((r) => r.name),
    );
    for (const e of entries) {
      const draft = catalogueDraft(e);
      if (names.has(draft.name)) {
        skipped.push({ key: e.key, name: e.name, reason: 'a runbook of this name already exists' });
        continue;
      }
      const claims = await exactSignatureClaims(tx, companyId, draft.signatures, null);
      if (claims.length) {
        const c = claims[0]!;
        skipped.push({ key: e.key, name: e.name, reason: `"${c.signature}" is already handled by "${c.name}"` });
        continue;
      }
      const id = `rb-${randomUUID()}`;
      await insertRunbook(tx, id, companyId, draft, user.email);
      ids.push(id);
    }
    await audit(tx, actor, {
      companyId,
      action: 'runbook.catalogue_imported',
      targetType: 'company',
      targetId: companyId,
      data: { imported: ids.length, keys: entries.map((e) => e.key), skipped: skipped.map((s) => s.key) },
    });
  });
  const imported = await Promise.all(ids.map((id) => selectRunbook(sql, id)));
  return { imported: imported.filter((r): r is RunbookRow => r !== null), skipped };
}
