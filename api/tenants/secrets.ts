// Per-company HMAC signing secrets: generated here (never chosen by hand), sealed with ENCRYPTION_KEY, shown once.
// Rotating keeps the previous secret verifying for an overlap so senders can switch without refused deliveries.
import { randomBytes } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';
import { MAX_OVERLAP_HOURS } from './keys.ts';

/** Seals any secret stored in clear before migration 003; run at API start, idempotent. */
export async function sealLegacySecrets(sql: Sql, box: SecretBox): Promise<number> {
  const rows = await sql<{ id: string; secret: string }[]>`
    SELECT id, hmac_secret_legacy AS secret FROM companies WHERE hmac_secret_legacy IS NOT NULL`;
  for (const r of rows) {
    await sql`
      UPDATE companies SET hmac_secret_sealed = ${box.seal(r.secret)}, hmac_secret_hint = ${hint(r.secret)},
        hmac_secret_legacy = NULL
      WHERE id = ${r.id} AND hmac_secret_legacy IS NOT NULL`;
  }
  return rows.length;
}

function hint(secret: string): string {
  return `${secret.slice(0, 9)}…`;
}

/**
 * A new signing secret; from then on every generic-route delivery must be signed. The old secret (if any)
 * keeps verifying for `overlapHours`.
 */
export async function rotateSigningSecret(
  sql: Sql,
  box: SecretBox,
  actor: Actor,
  companyId: string,
  overlapHours: number,
): Promise<string> {
  if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS) {
    throw invalid([{ field: 'overlapHours', message: `must be between 0 and ${MAX_OVERLAP_HOURS}` }]);
  }
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await sql.begin(async (tx) => {
    const [row] = await tx<{ sealed: string | null }[]>`
      SELECT hmac_secret_sealed AS sealed FROM companies WHERE id = ${companyId} FOR UPDATE`;
    if (!row) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
    const keepPrevious = row.sealed !== null && overlapHours > 0;
    await tx`
      UPDATE companies SET hmac_secret_sealed = ${box.seal(secret)}, hmac_secret_hint = ${hint(secret)},
        hmac_previous_sealed = ${keepPrevious ? row.sealed : null},
        hmac_previous_expires_at = ${keepPrevious ? tx`now() + make_interval(secs => ${overlapHours * 3600})` : null},
        updated_at = now()
      WHERE id = ${companyId}`;
    await audit(tx, actor, {
      companyId,
      action: row.sealed ? 'signing_secret.rotated' : 'signing_secret.created',
      targetType: 'company',
      targetId: companyId,
      data: { hint: hint(secret), overlapHours },
    });
  });
  return secret;
}

/** Deliveries no longer need a signature. */
export async function removeSigningSecret(sql: Sql, actor: Actor, companyId: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      UPDATE companies SET hmac_secret_sealed = NULL, hmac_secret_hint = NULL, hmac_previous_sealed = NULL,
        hmac_previous_expires_at = NULL, updated_at = now()
      WHERE id = ${companyId} RETURNING id`;
    if (!row) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
    await audit(tx, actor, { companyId, action: 'signing_secret.removed', targetType: 'company', targetId: companyId });
  });
}
