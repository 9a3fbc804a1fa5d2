// Inhibition rules of one company (domain/inhibition.ts): its admins (and MSP admins) write them, every member reads
// them; each change is audited. A company holds at most the install's MAX_INHIBITION_RULES, all of which the router
// compiles each pass. Deleting a rule releases the alerts it still inhibits, to be routed afresh.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { releaseInhibited } from '../../db/inhibited-alerts.ts';
import {
  DEFAULT_MAX_INHIBITION_RULES,
  inhibitionRuleProblem,
  inhibitionRuleSchema,
  type InhibitionRuleInput,
} from '../../domain/inhibition.ts';
import { PatternCache } from '../../domain/matchers.ts';
import type { Matcher } from '../../domain/silences.ts';
import { shownAs } from '../../domain/staff-label.ts';
import type { AuthUser } from '../auth.ts';
import { canSeeCompany, requireCompanyAdmin, requireCompanyMember } from './access.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export interface InhibitionRuleRecord {
  id: string;
  companyId: string;
  name: string;
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
  comment: string;
  createdBy: string;
  createdAt: string;
  /** Alerts it inhibited, released or not. */
  inhibitedCount: number;
  /** Why it inhibits nothing (a pattern RE2 refuses, saved before the check or by hand), or null. */
  invalidReason: string | null;
}

const SELECT = (where: string) => `
  SELECT r.id, r.company_id AS "companyId", r.name, r.source_matchers AS "sourceMatchers",
    r.target_matchers AS "targetMatchers", r.equal, r.comment, r.created_by AS "createdBy", r.created_at AS "createdAt",
    (SELECT count(*)::int FROM alerts a WHERE a.inhibited_by IS NOT NULL AND a.inhibited_by->>'ruleId' = r.id)
      AS "inhibitedCount"
  FROM inhibition_rules r WHERE ${where}`;

async function read(sql: Sql, query: string, params: string[]): Promise<InhibitionRuleRecord[]> {
  const rows = await sql.unsafe<Omit<InhibitionRuleRecord, 'invalidReason'>[]>(query, params);
  const cache = new PatternCache();
  return rows.map((r) => ({ ...r, invalidReason: inhibitionRuleProblem(r, cache) }));
}

/** Oldest first: the order the router asks them in. */
export async function listInhibitionRules(sql: Sql, user: AuthUser, companyId: string) {
  requireCompanyMember(user, companyId);
  return read(sql, `${SELECT('r.company_id = $1')} ORDER BY r.created_at, r.id`, [companyId]);
}

export interface InhibitionLimits {
  /** MAX_INHIBITION_RULES: rules per company. */
  maxInhibitionRules: number;
}

export async function createInhibitionRule(
  sql: Sql,
  user: AuthUser,
  actor: Actor,
  input: InhibitionRuleInput & { companyId: string },
  limits: InhibitionLimits = { maxInhibitionRules: DEFAULT_MAX_INHIBITION_RULES },
): Promise<InhibitionRuleRecord> {
  const { companyId, ...rule } = input;
  // Who may, before what: another tenant's company reads as missing whatever the input holds.
  requireCompanyAdmin(user, companyId);
  const parsed = inhibitionRuleSchema.safeParse(rule);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message })));
  }
  const v = parsed.data;
  const id = randomUUID();
  await sql.begin(async (tx) => {
    // One company's saves in turn, so two at the ceiling cannot both pass the count.
    await tx`SELECT pg_advisory_xact_lock(hashtext('inhibition_rules'), hashtext(${companyId}))`;
    const [held] = await tx<{ n: number }[]>`
      SELECT count(*)::int AS n FROM inhibition_rules WHERE company_id = ${companyId}`;
    if (held!.n >= limits.maxInhibitionRules) {
      throw new TenantError(
        'CONFLICT',
        `This company already has ${held!.n} inhibition rules, the most this install allows ` +
          `(MAX_INHIBITION_RULES = ${limits.maxInhibitionRules}): delete one before adding another`,
      );
    }
    await tx`
      INSERT INTO inhibition_rules (id, company_id, name, source_matchers, target_matchers, equal, comment, created_by)
      VALUES (${id}, ${companyId}, ${v.name}, ${tx.json(v.sourceMatchers as never)},
        ${tx.json(v.targetMatchers as never)}, ${v.equal}, ${v.comment ?? ''}, ${shownAs(user)})`;
    await audit(tx, actor, {
      companyId,
      action: 'inhibition_rule.created',
      targetType: 'inhibition_rule',
      targetId: id,
      data: { ...v },
    });
  });
  return (await read(sql, SELECT('r.id = $1'), [id]))[0]!;
}

/** Deletes the rule; the alerts it still inhibits go back to be routed (another rule may still inhibit them). */
export async function deleteInhibitionRule(sql: Sql, user: AuthUser, actor: Actor, id: string): Promise<boolean> {
  const [row] = await sql<{ companyId: string; name: string }[]>`
    SELECT company_id AS "companyId", name FROM inhibition_rules WHERE id = ${id}`;
  // Another tenant's rule reads as missing, as for silences.
  if (!row || !canSeeCompany(user, row.companyId)) {
    throw new TenantError('NOT_FOUND', `Inhibition rule ${id} not found`);
  }
  requireCompanyAdmin(user, row.companyId);
  await sql.begin(async (tx) => {
    const deleted = await tx`DELETE FROM inhibition_rules WHERE id = ${id} RETURNING 1`;
    if (deleted.length === 0) return;
    const released = await releaseInhibited(tx, { ruleId: id, companyId: row.companyId });
    await audit(tx, actor, {
      companyId: row.companyId,
      action: 'inhibition_rule.deleted',
      targetType: 'inhibition_rule',
      targetId: id,
      data: { name: row.name, released },
    });
  });
  return true;
}

/** Per incident: its attached alerts an inhibition holds (not released). One query for a page of incidents. */
export async function inhibitedCounts(sql: Sql, incidentIds: string[]): Promise<Map<string, number>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await sql<{ incidentId: string; n: number }[]>`
    SELECT incident_id AS "incidentId", count(*)::int AS n FROM alerts
    WHERE incident_id = ANY(${incidentIds}) AND inhibited_by IS NOT NULL AND inhibition_released_at IS NULL
    GROUP BY incident_id`;
  return new Map(rows.map((r) => [r.incidentId, r.n]));
}
