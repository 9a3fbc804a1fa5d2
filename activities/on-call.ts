// Assignment from the on-call rotation, as an activity for the incident workflow.
import type { Sql } from '../db/sql.ts';
import { shownAs } from '../domain/staff-label.ts';
import { nextAssignee } from './on-call-lookup.ts';

export function createOnCallActivities(deps: { sql: Sql }) {
  return {
    /** The person to give the incident to now (rotation, else round-robin among the category's technicians). */
    async pickAssignee(input: {
      companyId: string;
      category: string | null;
      exclude: string[];
    }): Promise<{ userId: string; email: string } | null> {
      const p = await nextAssignee(deps.sql, input.companyId, input.category, Date.now(), input.exclude);
      // `email` is what the incident records and the tenant reads: an MSP admin by label, not by address.
      return p ? { userId: p.id, email: shownAs(p) } : null;
    },
  };
}
