// Who may administer what. One company's admin never reaches another company; only MSP admins create or
// archive companies and grant the msp_admin role. Not-found and forbidden read the same for another tenant's
// ids, so an id cannot be probed.
import type { AuthUser } from '../auth.ts';
import { TenantError } from './errors.ts';

export function isMspAdmin(user: AuthUser): boolean {
  return user.role === 'msp_admin';
}

export function canSeeCompany(user: AuthUser, companyId: string): boolean {
  return isMspAdmin(user) || user.companyIds.includes(companyId);
}

export function canAdministerCompany(user: AuthUser, companyId: string): boolean {
  return isMspAdmin(user) || (user.role === 'company_admin' && user.companyIds.includes(companyId));
}

export function requireMspAdmin(user: AuthUser): void {
  if (!isMspAdmin(user)) throw new TenantError('FORBIDDEN', 'Only an MSP admin may do this');
}

export function requireCompanyAdmin(user: AuthUser, companyId: string): void {
  if (canAdministerCompany(user, companyId)) return;
  if (canSeeCompany(user, companyId)) {
    throw new TenantError('FORBIDDEN', `Only an admin of company ${companyId} may do this`);
  }
  throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
}

export function requireCompanyMember(user: AuthUser, companyId: string): void {
  if (!canSeeCompany(user, companyId)) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
}
