// The overview query's rules: which period (default the last 7 days) and which companies the caller may see; the
// figures themselves are read by db/overview.ts.
import { readOverview, type Overview } from '../db/overview.ts';
import type { Sql } from '../db/sql.ts';
import { checkPeriod, DAY_MS } from '../domain/kpi.ts';
import type { AuthUser } from './auth.ts';
import { companyScope } from './auth.ts';
import { requireCompanyMember } from './tenants/access.ts';
import { invalid } from './tenants/errors.ts';

export interface OverviewInput {
  companyId: string | null;
  from: string | null;
  to: string | null;
}

export async function overview(sql: Sql, user: AuthUser, input: OverviewInput): Promise<Overview> {
  const toMs = input.to ? Date.parse(input.to) : Date.now();
  const fromMs = input.from ? Date.parse(input.from) : toMs - 7 * DAY_MS;
  const problem = checkPeriod(fromMs, toMs);
  if (problem) throw invalid([problem]);
  if (input.companyId) requireCompanyMember(user, input.companyId);
  return readOverview(sql, input.companyId ? [input.companyId] : companyScope(user), fromMs, toMs);
}
