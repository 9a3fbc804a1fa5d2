// The monthly report of one client company: the overview's KPIs for that calendar month, an SLA scorecard by
// severity, the problems that kept coming back and patch compliance where known, for a printable page, a CSV
// (domain/client-report.ts) and the monthly email (activities/report-mail.ts).
import { readPatchCompliance } from '../db/patch-compliance.ts';
import type { Sql } from '../db/sql.ts';
import {
  monthPatches,
  parseMonth,
  type Month,
  type RecurringProblem,
  type ReportFigures,
  type SeverityScore,
} from '../domain/client-report.ts';
import { SEVERITIES } from '../domain/types.ts';
import type { AuthUser } from './auth.ts';
import { overview } from './overview.ts';
import { requireCompanyMember } from './tenants/access.ts';
import { invalid, TenantError } from './tenants/errors.ts';

/** Recurring problems listed: the signatures with the most incidents. */
export const RECURRING_TOP = 10;

export interface ClientReport extends ReportFigures {
  companyId: string;
  from: string;
  to: string;
}

export async function clientReport(
  sql: Sql,
  user: AuthUser,
  input: { companyId: string; month: string },
  nowMs = Date.now(),
): Promise<ClientReport> {
  requireCompanyMember(user, input.companyId);
  const month = parseMonth(input.month, nowMs);
  if ('problem' in month) throw invalid([{ field: 'month', message: month.problem }]);
  return companyMonthReport(sql, input.companyId, month);
}

/**
 * The report of one company and month with no person asking: the monthly email's activity calls it. The overview is
 * read as a member of that one company only, so nothing of another tenant can reach it.
 */
export async function companyMonthReport(sql: Sql, companyId: string, month: Month): Promise<ClientReport> {
  const reader: AuthUser = {
    id: 'monthly-report',
    email: '',
    name: 'Monthly report',
    role: 'technician',
    companyIds: [companyId],
  };
  const [company] = await sql<{ name: string }[]>`SELECT name FROM companies WHERE id = ${companyId}`;
  if (!company) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
  const { from, to } = month;
  const [o, severities, recurring, patchStore] = await Promise.all([
    overview(sql, reader, { companyId, from, to }),
    sql<SeverityScore[]>`
      SELECT severity, count(*)::int AS incidents,
        (count(*) FILTER (WHERE status = 'resolved' AND NOT sla_breached))::int AS "slaMet",
        (count(*) FILTER (WHERE sla_breached))::int AS "slaMissed"
      FROM incidents
      WHERE company_id = ${companyId} AND merged_into IS NULL AND created_at >= ${from} AND created_at < ${to}
      GROUP BY severity`,
    sql<RecurringProblem[]>`
      SELECT signature, count(*)::int AS incidents, count(DISTINCT asset_name)::int AS assets,
        (count(*) FILTER (WHERE auto_remediated))::int AS "selfHealed"
      FROM incidents
      WHERE company_id = ${companyId} AND merged_into IS NULL AND created_at >= ${from} AND created_at < ${to}
      GROUP BY signature HAVING count(*) > 1
      ORDER BY incidents DESC, signature LIMIT ${RECURRING_TOP}`,
    readPatchCompliance(sql, companyId),
  ]);
  // Every severity gets its line, an empty one included, so months compare side by side.
  const bySeverity = SEVERITIES.map(
    (severity) =>
      severities.find((s) => s.severity === severity) ?? { severity, incidents: 0, slaMet: 0, slaMissed: 0 },
  );
  return {
    companyId,
    companyName: company.name,
    month: month.month,
    from,
    to,
    alerts: o.alerts,
    incidents: o.incidents,
    noiseReduction: o.noiseReduction,
    mttaSeconds: o.mttaSeconds,
    mttrSeconds: o.mttrSeconds,
    selfHealed: o.selfHealed,
    selfHealedShare: o.selfHealedShare,
    slaCompliance: o.slaCompliance,
    bySeverity,
    recurring,
    patches: monthPatches(patchStore.refresh?.asked ?? [], patchStore.states, month),
  };
}
