// The aws_accounts rows (db/migrations/018_aws_accounts.sql): a company's role ARN, region and the ExternalId we
// generated for it. The ExternalId is random and unguessable (AWS's confused-deputy guard), made here, never typed.
import { randomBytes } from 'node:crypto';
import type { Sql } from './sql.ts';

export interface AwsAccountRow {
  companyId: string;
  /** '' until the company saves its role. */
  roleArn: string;
  region: string;
  externalId: string;
  updatedAt: string;
}

/** 32 random bytes, URL-safe: 43 characters AWS accepts in sts:ExternalId ([\w+=,.@:/-]). */
export function newExternalId(): string {
  return randomBytes(32).toString('base64url');
}

const COLUMNS = (sql: Sql) => sql`
  company_id AS "companyId", role_arn AS "roleArn", region, external_id AS "externalId", updated_at AS "updatedAt"`;

export async function readAwsAccount(sql: Sql, companyId: string): Promise<AwsAccountRow | null> {
  const [row] = await sql<AwsAccountRow[]>`SELECT ${COLUMNS(sql)} FROM aws_accounts WHERE company_id = ${companyId}`;
  return row ?? null;
}

/** The company's row, created with a fresh ExternalId (and no role yet) the first time anyone looks. */
export async function ensureAwsAccount(sql: Sql, companyId: string): Promise<AwsAccountRow> {
  const [row] = await sql<AwsAccountRow[]>`
    INSERT INTO aws_accounts (company_id, external_id) VALUES (${companyId}, ${newExternalId()})
    ON CONFLICT (company_id) DO UPDATE SET company_id = EXCLUDED.company_id
    RETURNING ${COLUMNS(sql)}`;
  return row!;
}

export async function saveAwsRole(
  sql: Sql,
  companyId: string,
  roleArn: string,
  region: string,
): Promise<AwsAccountRow> {
  const [row] = await sql<AwsAccountRow[]>`
    INSERT INTO aws_accounts (company_id, role_arn, region, external_id)
    VALUES (${companyId}, ${roleArn}, ${region}, ${newExternalId()})
    ON CONFLICT (company_id) DO UPDATE SET role_arn = EXCLUDED.role_arn, region = EXCLUDED.region, updated_at = now()
    RETURNING ${COLUMNS(sql)}`;
  return row!;
}

/** A new ExternalId: the old one stops working as soon as the company puts the new one in its trust policy. */
export async function regenerateExternalId(sql: Sql, companyId: string): Promise<AwsAccountRow> {
  const [row] = await sql<AwsAccountRow[]>`
    INSERT INTO aws_accounts (company_id, external_id) VALUES (${companyId}, ${newExternalId()})
    ON CONFLICT (company_id) DO UPDATE SET external_id = EXCLUDED.external_id, updated_at = now()
    RETURNING ${COLUMNS(sql)}`;
  return row!;
}

/** The role to assume for this company, or null: no role saved, so the install's own credentials apply. */
export async function companyRole(
  sql: Sql,
  companyId: string,
): Promise<{ roleArn: string; region: string; externalId: string } | null> {
  const row = await readAwsAccount(sql, companyId);
  return row && row.roleArn ? { roleArn: row.roleArn, region: row.region, externalId: row.externalId } : null;
}
