// A company's own AWS connection as its admins manage it: the role ARN and region they save, the ExternalId we
// generated (shown, regenerable), the trust policy and CloudFormation to paste, and "Test connection". Every
// answer is a sentence of our own: never AWS's raw error text, never a credential.
import type { Sql } from '../../db/sql.ts';
import {
  companyRole,
  ensureAwsAccount,
  regenerateExternalId,
  saveAwsRole,
  type AwsAccountRow,
} from '../../db/aws-accounts.ts';
import { checkAwsConnection, cloudFormationTemplate, trustPolicy } from '../../domain/aws-account.ts';
import { createRoleAssumer, type RoleAssumer } from '../../activities/aws-role.ts';
import { probeAwsConnection, type AwsEndpoints } from '../../activities/aws-connection.ts';
import { awsCredentialsConfigured, type Config } from '../../lib/config.ts';
import { audit, type Actor } from './audit.ts';
import { invalid } from './errors.ts';

/** The API process's way into companies' accounts: one credential cache per configuration. */
export interface AwsAccess {
  roles: RoleAssumer;
  endpoints: AwsEndpoints;
  /** False when the install has no AWS credentials and no AWS_INSTALL_ACCOUNT_ID: nothing to ask STS with. */
  knowsInstall: boolean;
}

const accessByConfig = new WeakMap<Config, AwsAccess>();

export function awsAccessFor(config: Config): AwsAccess {
  let access = accessByConfig.get(config);
  if (!access) {
    access = {
      roles: createRoleAssumer({
        region: config.awsRegion,
        ...(config.stsEndpoint ? { stsEndpoint: config.stsEndpoint } : {}),
        ...(config.awsInstallAccountId ? { installAccountId: config.awsInstallAccountId } : {}),
      }),
      endpoints: { ssmEndpoint: config.ssmEndpoint, stsEndpoint: config.stsEndpoint },
      knowsInstall: Boolean(config.awsInstallAccountId) || awsCredentialsConfigured(),
    };
    accessByConfig.set(config, access);
  }
  return access;
}

export interface AwsConnectionView {
  companyId: string;
  roleArn: string | null;
  region: string | null;
  externalId: string;
  /** The account the trust policy names; null when the install's own identity cannot be told. */
  installAccountId: string | null;
  trustPolicy: string | null;
  cloudFormation: string | null;
  updatedAt: string;
}

async function view(access: AwsAccess, row: AwsAccountRow): Promise<AwsConnectionView> {
  const install = !access.knowsInstall
    ? null
    : await access.roles.installAccountId().catch((err: unknown) => {
        console.warn(`AWS install account look-up failed: ${(err as Error).message}`);
        return null;
      });
  return {
    companyId: row.companyId,
    roleArn: row.roleArn || null,
    region: row.region || null,
    externalId: row.externalId,
    installAccountId: install,
    trustPolicy: install ? JSON.stringify(trustPolicy(install, row.externalId), null, 2) : null,
    cloudFormation: install ? cloudFormationTemplate(install, row.externalId) : null,
    updatedAt: row.updatedAt,
  };
}

/** The company's connection; the first look creates its ExternalId (it goes into the role before the ARN exists). */
export async function getAwsConnection(sql: Sql, access: AwsAccess, companyId: string): Promise<AwsConnectionView> {
  return view(access, await ensureAwsAccount(sql, companyId));
}

export async function saveAwsConnection(
  sql: Sql,
  access: AwsAccess,
  actor: Actor,
  companyId: string,
  input: { roleArn: string; region: string },
): Promise<AwsConnectionView> {
  const problems = checkAwsConnection(input);
  if (problems.length) throw invalid(problems);
  const row = await saveAwsRole(sql, companyId, input.roleArn.trim(), input.region.trim());
  access.roles.forget(companyId);
  await audit(sql, actor, {
    companyId,
    action: 'aws_account.saved',
    targetType: 'aws_account',
    targetId: companyId,
    data: { roleArn: row.roleArn, region: row.region },
  });
  return view(access, row);
}

export async function regenerateAwsExternalId(
  sql: Sql,
  access: AwsAccess,
  actor: Actor,
  companyId: string,
): Promise<AwsConnectionView> {
  const row = await regenerateExternalId(sql, companyId);
  access.roles.forget(companyId);
  // The ExternalId itself stays out of the audit log: it is half of what lets us into the account.
  await audit(sql, actor, {
    companyId,
    action: 'aws_account.external_id_regenerated',
    targetType: 'aws_account',
    targetId: companyId,
  });
  return view(access, row);
}

export interface AwsConnectionTest {
  ok: boolean;
  message: string;
  accountId: string | null;
}

export const ROLE_NOT_ASSUMED =
  'The role could not be assumed: AWS refused it. Check that its trust policy is the one shown here, with this ' +
  'ExternalId (paste it again after regenerating the ExternalId).';

export async function testAwsConnection(sql: Sql, access: AwsAccess, companyId: string): Promise<AwsConnectionTest> {
  const role = await companyRole(sql, companyId);
  if (!role)
    return { ok: false, message: 'No role is saved yet: save the role ARN and region first.', accountId: null };
  // Test afresh: cached credentials would hide a trust policy changed since.
  access.roles.forget(companyId);
  const outcome = await probeAwsConnection(access.roles, access.endpoints, companyId, role);
  switch (outcome.kind) {
    case 'connected': {
      const n = `${outcome.managedInstances}${outcome.more ? '+' : ''}`;
      return {
        ok: true,
        message:
          `Connected: the role was assumed in account ${outcome.accountId}, and Systems Manager manages ${n} ` +
          `instance${outcome.managedInstances === 1 && !outcome.more ? '' : 's'} there in ${role.region}.`,
        accountId: outcome.accountId,
      };
    }
    case 'refused':
      return { ok: false, message: ROLE_NOT_ASSUMED, accountId: null };
    case 'ssm_denied':
      return {
        ok: false,
        message:
          `The role was assumed in account ${outcome.accountId}, but it may not list Systems Manager's instances: ` +
          'give it the permissions in the CloudFormation snippet.',
        accountId: outcome.accountId,
      };
    case 'failed':
      // The raw error (hosts, principals) goes to the server log only.
      console.warn(`testAwsConnection for company ${companyId} failed: ${outcome.detail}`);
      return {
        ok: false,
        message:
          'AWS could not be reached or answered with an error; try again later (the details are in the server log for the MSP).',
        accountId: null,
      };
  }
}
