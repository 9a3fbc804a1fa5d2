// The monthly report of one client company, read from the database: the overview's KPIs for that calendar month,
// an SLA scorecard by severity, the problems that kept coming back and patch compliance where known. The printable
// page and CSV (api/client-report.ts, domain/client-report.ts) and the monthly email (activities/report-mail.ts)
// read it here; who may ask is their concern.
import {
  monthPatches,
  type Month,
  type RecurringProblem,
  type ReportFigures,
  type SeverityScore,
} from '../domain/client-report.ts';
import { SEVERITIES } from '../domain/types.ts';
import { readOverview } from './overview.ts';
import { readPatchCompliance } from './patch-compliance.ts';
import type { Sql } from './sql.ts';

/** Recurring problems listed: the signatures with the most incidents. */
export const RECURRING_TOP = 10;

export interface ClientReport extends ReportFigures {
  companyId: string;
  from: string;
  to: string;
}

/** The report of one company and month; null when there is no such company. Only that company's rows are read. */
export async function readCompanyMonthReport(sql: Sql, companyId: string, month: Month): Promise<ClientReport | null> {
  const [company] = await sql<{ name: string }[]>`SELECT name FROM companies WHERE id = ${companyId}`;
  if (!company) return null;
  const { from, to } = month;
  const [o, severities, recurring, patchStore] = await Promise.all([
    readOverview(sql, [companyId], Date.parse(from), Date.parse(to)),
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
