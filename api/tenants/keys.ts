// Integration keys: several per company (one per monitoring tool), shown once, rotated with an overlap so the
// tool can be reconfigured without losing alerts, revoked at once. Each has a signing policy and may be limited
// to one receiver (domain/key-policy.ts). The key cache hears of every change through the integration_keys
// trigger.
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../../db/sql.ts';
import { generateApiKey, hashApiKey, keyHint } from '../../domain/api-keys.ts';
import type { KeyPolicy, KeySigning } from '../../domain/key-policy.ts';
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
  signing: KeySigning;
  receiver: KeyPolicy['receiver'];
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
  last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", replaced_by AS "replacedBy",
  signing, receiver`;

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

/** Whether the company has a signing secret, with its row locked so the answer holds until commit. */
async function lockCompany(tx: TransactionSql, companyId: string): Promise<{ hasSecret: boolean }> {
  const [company] = await tx<{ archivedAt: string | null; hasSecret: boolean }[]>`
    SELECT archived_at AS "archivedAt", hmac_secret_sealed IS NOT NULL AS "hasSecret"
    FROM companies WHERE id = ${companyId} FOR SHARE`;
  if (!company) throw new TenantError('NOT_FOUND', `Company ${companyId} not found`);
  if (company.archivedAt) throw new TenantError('CONFLICT', 'This company is archived; restore it first');
  return { hasSecret: company.hasSecret };
}

/**
 * The policy a key gets. Unsaid signing: 'signed_only' when the company has a secret (a new key is safe by
 * default), otherwise 'unsigned_allowed'. 'signed_only' needs the secret: without one nothing could be verified.
 */
function policyFor(requested: Partial<KeyPolicy>, hasSecret: boolean): KeyPolicy {
  const signing = requested.signing ?? (hasSecret ? 'signed_only' : 'unsigned_allowed');
  if (signing === 'signed_only' && !hasSecret) {
    throw invalid([
      {
        field: 'signing',
        message: '"signed only" needs a signing secret: generate the company\'s signing secret first',
      },
    ]);
  }
  return { signing, receiver: requested.receiver ?? null };
}

export async function createKey(
  sql: Sql,
  actor: Actor,
  companyId: string,
  name: string,
  requested: Partial<KeyPolicy> = {},
): Promise<IssuedKey> {
  const clean = checkName(name);
  const apiKey = generateApiKey();
  return sql.begin(async (tx) => {
    const policy = policyFor(requested, (await lockCompany(tx, companyId)).hasSecret);
    const [key] = await tx<IntegrationKeyRecord[]>`
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint, created_by, signing, receiver)
      VALUES (${`key-${randomUUID()}`}, ${companyId}, ${clean}, ${hashApiKey(apiKey)}, ${keyHint(apiKey)}, ${actor.id},
              ${policy.signing}, ${policy.receiver})
      RETURNING ${COLUMNS(sql)}`;
    await audit(tx, actor, {
      companyId,
      action: 'key.created',
      targetType: 'integration_key',
      targetId: key!.id,
      data: { name: clean, hint: key!.keyHint, ...policy },
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

/** A new key under the same name and policy; the old one keeps working for `overlapHours` (0 = stops now). */
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
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint, created_by, signing, receiver)
      VALUES (${`key-${randomUUID()}`}, ${companyId}, ${old.name}, ${hashApiKey(apiKey)}, ${keyHint(apiKey)},
              ${actor.id}, ${old.signing}, ${old.receiver})
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

/** Changes a working key's signing policy and receiver limit; the next delivery with the key is held to them. */
export async function setKeyPolicy(
  sql: Sql,
  actor: Actor,
  companyId: string,
  keyId: string,
  requested: KeyPolicy,
): Promise<IntegrationKeyRecord> {
  return sql.begin(async (tx) => {
    const policy = policyFor(requested, (await lockCompany(tx, companyId)).hasSecret);
    const old = await activeKey(tx as unknown as Sql, companyId, keyId);
    const [key] = await tx<IntegrationKeyRecord[]>`
      UPDATE integration_keys SET signing = ${policy.signing}, receiver = ${policy.receiver}
      WHERE id = ${keyId} RETURNING ${COLUMNS(sql)}`;
    await audit(tx, actor, {
      companyId,
      action: 'key.policy_changed',
      targetType: 'integration_key',
      targetId: keyId,
      data: {
        name: old.name,
        signing: { from: old.signing, to: policy.signing },
        receiver: { from: old.receiver, to: policy.receiver },
      },
    });
    return key!;
  });
}
