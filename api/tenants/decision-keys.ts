// A company's own Gemini API key for its decisions: set by its admins (or an MSP admin), sealed with ENCRYPTION_KEY
// (lib/secret-box.ts), never read back: only the hint (last four characters) is shown. Every change is audited with
// the hint alone. The worker opens it for that company's decisions (activities/decision.ts); without one the
// install's GEMINI_API_KEY is used.
import type { Sql } from '../../db/sql.ts';
import { checkGeminiKey, keyHint } from '../../domain/decision-key.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export interface DecisionKeys {
  /** The company's own Gemini key's hint; null = the install's key (if any) is used. */
  geminiKeyHint: string | null;
}

export async function readDecisionKeys(sql: Sql, companyId: string): Promise<DecisionKeys> {
  const [row] = await sql<DecisionKeys[]>`
    SELECT gemini_key_hint AS "geminiKeyHint" FROM companies WHERE id = ${companyId}`;
  if (!row) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
  return row;
}

export async function setGeminiKey(
  sql: Sql,
  box: SecretBox,
  actor: Actor,
  companyId: string,
  apiKey: string,
): Promise<DecisionKeys> {
  const checked = checkGeminiKey(apiKey);
  if (!checked.ok) throw invalid([{ field: 'apiKey', message: checked.message }]);
  const hint = keyHint(checked.key);
  return sql.begin(async (tx) => {
    const [row] = await tx<{ had: boolean }[]>`
      UPDATE companies c SET gemini_key_sealed = ${box.seal(checked.key)}, gemini_key_hint = ${hint},
        updated_at = now()
      FROM (SELECT id, gemini_key_sealed IS NOT NULL AS had FROM companies WHERE id = ${companyId} FOR UPDATE) old
      WHERE c.id = old.id RETURNING old.had`;
    if (!row) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
    await audit(tx, actor, {
      companyId,
      action: row.had ? 'decision_key.replaced' : 'decision_key.set',
      targetType: 'company',
      targetId: companyId,
      data: { provider: 'gemini', hint },
    });
    return { geminiKeyHint: hint };
  });
}

/** The company's decisions go back to the install's GEMINI_API_KEY. */
export async function removeGeminiKey(sql: Sql, actor: Actor, companyId: string): Promise<DecisionKeys> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ hint: string | null }[]>`
      UPDATE companies c SET gemini_key_sealed = NULL, gemini_key_hint = NULL, updated_at = now()
      FROM (SELECT id, gemini_key_hint AS hint FROM companies WHERE id = ${companyId} FOR UPDATE) old
      WHERE c.id = old.id RETURNING old.hint`;
    if (!row) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
    if (row.hint !== null) {
      await audit(tx, actor, {
        companyId,
        action: 'decision_key.removed',
        targetType: 'company',
        targetId: companyId,
        data: { provider: 'gemini', hint: row.hint },
      });
    }
    return { geminiKeyHint: null };
  });
}
