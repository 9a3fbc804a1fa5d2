// Chooses what to do about an incident. Rules are always available; LLM providers plug in here later.
import type { Sql } from '../db/sql.ts';
import { decideByRules, type Decision } from '../domain/rules.ts';
import { loadRunbooks } from '../db/runbooks.ts';
import type { Severity } from '../domain/types.ts';

export interface DecisionDeps {
  sql: Sql;
}

export interface DecideInput {
  companyId: string;
  incidentId: string;
  assetName: string;
  signature: string;
  severity: Severity;
  alertCount: number;
}

// Runbooks come from their current versions (db/runbooks.ts); re-exported here for the decision engine's callers.
export { loadRunbooks };

export function createDecisionActivities(deps: DecisionDeps) {
  return {
    async decideIncident(input: DecideInput): Promise<Decision> {
      const runbooks = await loadRunbooks(deps.sql, input.companyId);
      return decideByRules(input.signature, runbooks);
    },
  };
}
