// An instance id belongs to one asset in the whole install (db/migrations/011_asset_instance_unique.sql), because
// remediation runs a company's runbooks on the instance ids of its own assets. Saving or importing an id another
// asset holds is refused by field; another company's holder is never named, not even to the process: the query
// below only returns the names of the caller's own assets.
import postgres from 'postgres';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { invalid, type FieldProblem } from './errors.ts';

export const TAKEN_BY_ANOTHER_COMPANY = 'is registered to another company';

/** One asset being written: its name, the instance id it asks for, and how problems address it. */
export interface InstanceClaim {
  name: string;
  instanceId: string | null;
  /** Prefix of the problem's field ("" on the form, "line 3: " in a CSV). */
  prefix: string;
  /** How another claim refers to this one in a message ("line 3"); unset on the form. */
  label?: string;
}

/** The instance ids several claims of one batch share, named by the first claim that gave each. */
function repeats(claims: InstanceClaim[]): FieldProblem[] {
  const first = new Map<string, InstanceClaim>();
  const problems: FieldProblem[] = [];
  for (const c of claims) {
    if (!c.instanceId) continue;
    const earlier = first.get(c.instanceId);
    if (earlier)
      problems.push({ field: `${c.prefix}instanceId`, message: `repeats ${earlier.label ?? 'another row'}` });
    else first.set(c.instanceId, c);
  }
  return problems;
}

/**
 * Problems for the claims whose instance id another asset holds: another company's, or one of this company's
 * assets the batch does not rewrite (an asset the batch rewrites gives its id up first, so two can swap ids).
 */
export async function instanceConflicts(
  sql: Sql | TransactionSql,
  companyId: string,
  claims: InstanceClaim[],
): Promise<FieldProblem[]> {
  const problems = repeats(claims);
  const ids = [...new Set(claims.map((c) => c.instanceId).filter((id): id is string => Boolean(id)))];
  if (!ids.length) return problems;
  const held = await sql<{ instanceId: string; ownName: string | null }[]>`
    SELECT instance_id AS "instanceId", CASE WHEN company_id = ${companyId} THEN name END AS "ownName"
    FROM assets WHERE instance_id = ANY(${ids})`;
  const rewritten = new Set(claims.map((c) => c.name));
  const repeated = new Set(problems.map((p) => p.field));
  for (const c of claims) {
    // A repeat is told once, as a repeat; the first claim of that id answers for the holder.
    if (repeated.has(`${c.prefix}instanceId`)) continue;
    const holder = held.find((h) => h.instanceId === c.instanceId);
    if (!holder || holder.ownName === c.name || (holder.ownName !== null && rewritten.has(holder.ownName))) continue;
    problems.push({
      field: `${c.prefix}instanceId`,
      message: holder.ownName === null ? TAKEN_BY_ANOTHER_COMPANY : `is registered to asset "${holder.ownName}"`,
    });
  }
  return problems;
}

/** When a racing writer took an id and let it go again before the re-check could say who holds it. */
const TAKEN_MEANWHILE = 'was just registered to another asset; try again';

/**
 * Runs a write that claims instance ids: refused by field when another asset holds one, checked before the write
 * and again when the unique index stops a writer that raced past the check.
 */
export async function claimingInstances<T>(
  sql: Sql,
  companyId: string,
  claims: InstanceClaim[],
  write: () => Promise<T>,
): Promise<T> {
  const before = await instanceConflicts(sql, companyId, claims);
  if (before.length) throw invalid(before.slice(0, 50));
  try {
    return await write();
  } catch (err) {
    if (!isInstanceTaken(err)) throw err;
    const after = await instanceConflicts(sql, companyId, claims);
    // The racing holder may have let go again meanwhile: the write still lost, so say so on the ids it asked for.
    const problems = after.length
      ? after
      : claims.filter((c) => c.instanceId).map((c) => ({ field: `${c.prefix}instanceId`, message: TAKEN_MEANWHILE }));
    throw invalid(problems.slice(0, 50));
  }
}

/** True for the unique-index violation two writers racing for one instance id end in. */
function isInstanceTaken(err: unknown): boolean {
  return (
    err instanceof postgres.PostgresError && err.code === '23505' && err.constraint_name === 'assets_instance_id_unique'
  );
}

/**
 * Lets the assets a batch rewrites give their instance ids up before any is written, so ids can move between them
 * within one import without tripping the unique index on the way.
 */
export async function releaseInstances(tx: TransactionSql, companyId: string, names: string[]): Promise<void> {
  await tx`
    UPDATE assets SET instance_id = NULL
    WHERE company_id = ${companyId} AND name = ANY(${names}) AND instance_id IS NOT NULL`;
}
