// How a person is named in what a tenant reads about an incident (timeline, acknowledgement, assignee, approval,
// and the pages, emails and chat messages built from them). A company's own people are named by address; MSP
// staff serve every tenant, so their address stays with the MSP: a tenant reads their name marked "(MSP)".
import type { Role } from './types.ts';

/** The label when an MSP staff member's name would give nothing better (empty, or itself an address). */
export const MSP_STAFF = 'MSP staff';

export interface NamedPerson {
  email: string;
  name: string | null;
  role: Role;
}

/** The identity recorded in tenant-visible text: the address, or for MSP staff "Name (MSP)" / "MSP staff". */
export function shownAs(p: NamedPerson): string {
  if (p.role !== 'msp_admin') return p.email;
  const name = (p.name ?? '').replace(/\s+/g, ' ').trim();
  // An MSP admin named with an address (theirs or any) would show one after all.
  if (!name || name.includes('@')) return MSP_STAFF;
  return `${name} (MSP)`;
}
