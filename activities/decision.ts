// Chooses what to do about an incident. Rules are always available; LLM providers plug in here later.
import type { Sql } from '../db/sql.ts';
import { decideByRules, type Decision } from '../domain/rules.ts';
import type { RiskLevel, Runbook, Severity } from '../domain/types.ts';

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

export async function loadRunbooks(sql: Sql, companyId: string): Promise<Runbook[]> {
  const rows = await sql<
    { id: string; name: string; signature: string; risk_level: RiskLevel; document_name: string; actions: string[] }[]
  >`
    SELECT id, name, signature, risk_level, document_name, actions FROM runbooks WHERE company_id = ${companyId} ORDER BY created_at`;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    signature: r.signature,
    riskLevel: r.risk_level,
    documentName: r.document_name,
    actions: r.actions,
  }));
}

export function createDecisionActivities(deps: DecisionDeps) {
  return {
    async decideIncident(input: DecideInput): Promise<Decision> {
      const runbooks = await loadRunbooks(deps.sql, input.companyId);
      return decideByRules(input.signature, runbooks);
    },
  };
}
