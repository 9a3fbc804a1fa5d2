// What the signed-in user may do, as the server decides it (api/tenants/access.ts); the UI only hides what would
// be refused anyway.
import type { User } from './graphql/types'

export const isMspAdmin = (user: User | null): boolean => user?.role === 'msp_admin'

export const isAdmin = (user: User | null): boolean => user?.role === 'msp_admin' || user?.role === 'company_admin'

export function canAdminister(user: User | null, companyId: string): boolean {
  return isMspAdmin(user) || (user?.role === 'company_admin' && user.companyIds.includes(companyId))
}
