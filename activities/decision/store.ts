// What the decide activity reads besides the runbooks (the company's decision settings, the incident's latest
// alert messages) and the row it writes for every decision (migration 016).
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { MAX_ALERT_MESSAGES } from '../../domain/decision-prompt.ts';
import type { DecisionRecordDraft } from './engine.ts';

export async function loadDecisionSettings(sql: Sql, companyId: string): Promise<CompanySettings['decision']> {
  const [row] = await sql<{ decision: CompanySettings['decision'] | null }[]>`
    SELECT settings->'decision' AS decision FROM companies WHERE id = ${companyId}`;
  return row?.decision ?? undefined;
}

/** The company's own Gemini key, still sealed (api/tenants/decision-keys.ts); null = the install's key. */
export async function loadSealedGeminiKey(sql: Sql, companyId: string): Promise<string | null> {
  const [row] = await sql<{ sealed: string | null }[]>`
    SELECT gemini_key_sealed AS sealed FROM companies WHERE id = ${companyId}`;
  return row?.sealed ?? null;
}

/** The incident's newest alert messages, newest first. */
export async function recentAlertMessages(sql: Sql, companyId: string, incidentId: string): Promise<string[]> {
  const rows = await sql<{ message: string }[]>`
    SELECT message FROM alerts WHERE incident_id = ${incidentId} AND company_id = ${companyId}
     ORDER BY received_at DESC LIMIT ${MAX_ALERT_MESSAGES}`;
  return rows.map((r) => r.message);
}

export async function insertDecisionRecord(
  sql: Sql,
  ids: { incidentId: string; companyId: string },
  r: DecisionRecordDraft,
  requestedBy: string | null = null,
  recordId?: string,
): Promise<string> {
  // Written once under its id: the same decision asked again (a retried workflow task or activity) keeps the first.
  const id = recordId ?? `dec-${randomUUID()}`;
  await sql`
    INSERT INTO decisions (id, incident_id, company_id, provider, model, prompt_version, input_digest, output,
                           latency_ms, tokens_in, tokens_out, fallback_reason, requested_by)
    VALUES (${id}, ${ids.incidentId}, ${ids.companyId}, ${r.provider}, ${r.model}, ${r.promptVersion},
            ${r.inputDigest}, ${sql.json(r.output as never)}, ${r.latencyMs}, ${r.tokensIn}, ${r.tokensOut},
            ${r.fallbackReason}, ${requestedBy})
    ON CONFLICT (id) DO NOTHING`;
  return id;
}
