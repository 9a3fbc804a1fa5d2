// Integration keys: several per company (one per monitoring tool), shown once, rotated with an overlap so the
// tool can be reconfigured without losing alerts, revoked at once. The key cache hears of every change
// through the integration_keys trigger.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { generateApiKey, hashApiKey, keyHint } from '../../domain/api-keys.ts';
import { audit, type Actor } from './audit.ts';
import { invalid, TenantError } from './errors.ts';

export interface IntegrationKeyRecord {
  id: string;
  companyId: string;
  name: string;
  keyHint: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  replacedBy: string | null;
}

/** A key with its secret, returned exactly once: by create or rotate. */
export interface IssuedKey {
  key: IntegrationKeyRecord;
  apiKey: string;
}

/** The longest overlap a rotation may keep the old key working. */
export const MAX_OVERLAP_HOURS = 24 * 30;

const COLUMNS = (sql: Sql) => sql`
  id, company_id AS "companyId", name, key_hint AS "keyHint", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", replaced_by AS "replacedBy"`;

export async function listKeys(sql: Sql, companyId: string): Promise<IntegrationKeyRecord[]> {
  return sql<IntegrationKeyRecord[]>`
    SELECT ${COLUMNS(sql)} FROM integration_keys WHERE company_id = ${companyId}
    ORDER BY (revoked_at IS NOT NULL OR expires_at < now()), created_at DESC`;
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 80) throw invalid([{ field: 'name', message: 'must be 1–80 characters' }]);
  return n;
}

export async function createKey(sql: Sql, actor: Actor, companyId: string, name: string): Promise<IssuedKey> {
  const clean = checkName(name);
  const apiKey = generateApiKey();
  return sql.begin(async (tx) => {
    const [company] = await tx`SELECT archived_at FROM companies WHERE id = ${companyId}`;
    if (!company) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
    if (company.archived_at) throw new TenantError('CONFLICT', 'This company is archived; restore it first');
    const [key] = await tx<IntegrationKeyRecord[]>`
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint, created_by)
      VALUES (${`key-${randomUUID()}`}, ${companyId}, ${clean}, ${hashApiKey(apiKey)}, ${keyHint(apiKey)}, ${actor.id})
      RETURNING ${COLUMNS(sql)}`;
    await audit(tx, actor, {
      companyId,
      action: 'key.created',
      targetType: 'integration_key',
      targetId: key!.id,
      data: { name: clean, hint: key!.keyHint },
    });
    return { key: key!, apiKey };
  });
}

async function activeKey(sql: Sql, companyId: string, keyId: string): Promise<IntegrationKeyRecord> {
  const [key] = await sql<IntegrationKeyRecord[]>`
    SELECT ${COLUMNS(sql)} FROM integration_keys WHERE id = ${keyId} AND company_id = ${companyId} FOR UPDATE`;
  if (!key) throw new TenantError('NOT_FOUND', `Integration key ${keyId} not found`);
  if (key.revokedAt || (key.expiresAt && Date.parse(key.expiresAt) <= Date.now())) {
    throw new TenantError('CONFLICT', `Integration key "${key.name}" no longer works; create a new one`);
  }
  return key;
}

/** A new key under the same name; the old one keeps working for `overlapHours` (0 = stops now). */
export async function rotateKey(
  sql: Sql,
  actor: Actor,
  companyId: string,
  keyId: string,
  overlapHours: number,
): Promise<IssuedKey> {
  if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS) {
    throw invalid([{ field: 'overlapHours', message: `must be between 0 and ${MAX_OVERLAP_HOURS}` }]);
  }
  const apiKey = generateApiKey();
  return sql.begin(async (tx) => {
    const old = await activeKey(tx as unknown as Sql, companyId, keyId);
    const [key] = await tx<IntegrationKeyRecord[]>`
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint, created_by)
      VALUES (${`key-${randomUUID()}`}, ${companyId}, ${old.name}, ${hashApiKey(apiKey)}, ${keyHint(apiKey)}, ${actor.id})
      RETURNING ${COLUMNS(sql)}`;
    await tx`
      UPDATE integration_keys SET replaced_by = ${key!.id},
        expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => ${overlapHours * 3600}))
      WHERE id = ${keyId}`;
    await audit(tx, actor, {
      companyId,
      action: 'key.rotated',
      targetType: 'integration_key',
      targetId: keyId,
      data: { name: old.name, newKeyId: key!.id, overlapHours },
    });
    return { key: key!, apiKey };
  });
}

export async function revokeKey(
  sql: Sql,
  actor: Actor,
  companyId: string,
  keyId: string,
): Promise<IntegrationKeyRecord> {
  return sql.begin(async (tx) => {
    const old = await activeKey(tx as unknown as Sql, companyId, keyId);
    const [key] = await tx<IntegrationKeyRecord[]>`
      UPDATE integration_keys SET revoked_at = now() WHERE id = ${keyId} RETURNING ${COLUMNS(sql)}`;
    await audit(tx, actor, {
      companyId,
      action: 'key.revoked',
      targetType: 'integration_key',
      targetId: keyId,
      data: { name: old.name },
    });
    return key!;
  });
}
