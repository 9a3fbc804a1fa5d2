// Assignment from the on-call rotation, as an activity for the incident workflow.
import type { Sql } from '../db/sql.ts';
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
      return p ? { userId: p.id, email: p.email } : null;
    },
  };
}
