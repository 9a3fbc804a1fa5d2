// The client report query's rules: a member of the company asks for a month at most 24 back (domain/client-report.ts
// parseMonth); the report itself is read by db/client-report.ts.
import { readCompanyMonthReport, type ClientReport } from '../db/client-report.ts';
import type { Sql } from '../db/sql.ts';
import { parseMonth } from '../domain/client-report.ts';
import type { AuthUser } from './auth.ts';
import { requireCompanyMember } from './tenants/access.ts';
import { invalid, TenantError } from './tenants/errors.ts';

export async function clientReport(
  sql: Sql,
  user: AuthUser,
  input: { companyId: string; month: string },
  nowMs = Date.now(),
): Promise<ClientReport> {
  requireCompanyMember(user, input.companyId);
  const month = parseMonth(input.month, nowMs);
  if ('problem' in month) throw invalid([{ field: 'month', message: month.problem }]);
  const report = await readCompanyMonthReport(sql, input.companyId, month);
  if (!report) throw new TenantError('NOT_FOUND', `Company ${input.companyId} not found`);
  return report;
}
