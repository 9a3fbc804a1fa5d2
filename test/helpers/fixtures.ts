// Test tenants, people and runbooks, each with fresh ids so test files never see each other's data.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { hashApiKey, keyHint } from '../../domain/api-keys.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import type { Sql } from '../../db/sql.ts';
import type { CompanyScope } from '../../router/routing/queue.ts';
import type { RiskLevel, Role } from '../../domain/types.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';

/** The ENCRYPTION_KEY of every test stack, so fixtures can seal secrets the API opens. */
export const TEST_ENCRYPTION_KEY = 'test-encryption-key-that-is-long-enough';

/**
 * Fixture companies' ids start with this family, then the test file's token. 't' is no hex digit, so no company the
 * API creates (comp-<uuid>) is of the family.
 */
const FIXTURE_FAMILY = 'comp-t';
/** A fresh token of the family, for one test file. */
const newFilePrefix = (): string => `${FIXTURE_FAMILY}${randomUUID().slice(0, 8)}-`;

/**
 * What every router a test stack starts claims: this file's fixture companies, and companies made by other paths
 * (GraphQL, hand-written rows), as every router may; never another file's fixture companies. Test files share one
 * database, and a router of another file (held, or refusing as Temporal does in an outage test) must not claim or
 * back off this file's alerts. One token per test file: test/file-setup.ts draws a new one before each file, as
 * test files share one module graph (vitest.config.ts) and a module-level value would outlive its file.
 */
export const FILE_COMPANY_SCOPE: CompanyScope = { idPrefix: newFilePrefix(), sharedUnlessPrefix: FIXTURE_FAMILY };

/** Draws this file's token (test/file-setup.ts): stacks and fixtures made from now on use it. */
export function renewFileCompanyScope(): void {
  FILE_COMPANY_SCOPE.idPrefix = newFilePrefix();
}

/** A fresh id of this file's fixture family, for a test writing its company row by hand. */
export function fixtureCompanyId(suffix = randomUUID().slice(0, 8)): string {
  return `${FILE_COMPANY_SCOPE.idPrefix}${suffix}`;
}

export interface TestCompany {
  companyId: string;
  apiKey: string;
}

export const DEFAULT_RUNBOOKS: Array<{ signature: string; riskLevel: RiskLevel; name: string; actions: string[] }> = [
  {
    signature: 'disk_full',
    riskLevel: 'low',
    name: 'Clean temp files',
    actions: ['find /tmp -type f -mtime +1 -delete', 'df -h /'],
  },
  {
    signature: 'service_down:nginx',
    riskLevel: 'high',
    name: 'Restart nginx',
    actions: ['sudo systemctl restart nginx'],
  },
  { signature: 'memory_high', riskLevel: 'medium', name: 'Recycle app pool', actions: ['sudo systemctl restart app'] },
];

export async function createCompany(
  sql: Sql,
  opts: {
    /** Another id than this file's fixture family (a test standing in for another file, or the API's comp-<uuid>). */
    id?: string;
    name?: string;
    settings?: CompanySettings;
    hmacSecret?: string;
    runbooks?: typeof DEFAULT_RUNBOOKS;
    assets?: Array<{ name: string; instanceId?: string; critical?: boolean }>;
  } = {},
): Promise<TestCompany> {
  const suffix = randomUUID().slice(0, 8);
  const companyId = opts.id ?? fixtureCompanyId(suffix);
  const apiKey = `ak_test_${randomUUID()}`;
  const sealed = opts.hmacSecret ? createSecretBox(TEST_ENCRYPTION_KEY).seal(opts.hmacSecret) : null;
  await sql`
    INSERT INTO companies (id, name, hmac_secret_sealed, settings)
    VALUES (${companyId}, ${opts.name ?? `Company ${suffix}`}, ${sealed},
            ${sql.json((opts.settings ?? { groupWaitSeconds: 0 }) as never)})`;
  await sql`
    INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint)
    VALUES (${`key-${suffix}`}, ${companyId}, 'Test key', ${hashApiKey(apiKey)}, ${keyHint(apiKey)})`;
  for (const rb of opts.runbooks ?? DEFAULT_RUNBOOKS) {
    await sql`
      INSERT INTO runbooks (id, company_id, name, signature, risk_level, actions)
      VALUES (${`rb-${randomUUID().slice(0, 8)}`}, ${companyId}, ${rb.name}, ${rb.signature}, ${rb.riskLevel}, ${rb.actions})`;
  }
  for (const a of opts.assets ?? []) {
    await sql`
      INSERT INTO assets (company_id, name, instance_id, criticality)
      VALUES (${companyId}, ${a.name}, ${a.instanceId ?? null}, ${a.critical ? 'critical' : 'medium'})`;
  }
  return { companyId, apiKey };
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
  companyIds: string[];
}

/**
 * bcrypt's lowest cost for fixture people: the hash is still a real bcrypt hash checked by the service's own
 * verifyPassword at sign-in, but the service's cost 10 (api/auth.ts hashPassword, which its own tests cover through
 * invitations and password changes) took ~0.1 s to store each fixture user and as long again to sign each one in.
 */
const FIXTURE_BCRYPT_COST = 4;

export async function createUser(sql: Sql, role: Role, companyIds: string[]): Promise<TestUser> {
  const id = `user-${randomUUID().slice(0, 8)}`;
  const user = { id, email: `${id}@example.test`, password: `pw-${randomUUID()}`, role, companyIds };
  const hash = await bcrypt.hash(user.password, FIXTURE_BCRYPT_COST);
  await sql`INSERT INTO users (id, email, name, role, password_hash) VALUES (${id}, ${user.email}, ${id}, ${role}, ${hash})`;
  for (const c of companyIds) await sql`INSERT INTO user_companies (user_id, company_id) VALUES (${id}, ${c})`;
  return user;
}
