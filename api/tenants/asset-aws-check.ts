// An asset's instance id, for a company with its own AWS connection, must be an instance Systems Manager manages
// in that account: checked with DescribeInstanceInformation through the company's role before the asset is saved
// or imported. Without a connection nothing is asked of AWS (the install's own account, as before).
import type { Sql } from '../../db/sql.ts';
import { companyRole } from '../../db/aws-accounts.ts';
import { accountOfRoleArn } from '../../domain/aws-account.ts';
import { AssumeRoleRefused } from '../../activities/aws-role.ts';
import { instancesMissingFromAccount } from '../../activities/aws-connection.ts';
import type { InstanceClaim } from './asset-instances.ts';
import type { AwsAccess } from './aws-accounts.ts';
import type { FieldProblem } from './errors.ts';

export async function instancesOutsideAccount(
  sql: Sql,
  access: AwsAccess | undefined,
  companyId: string,
  claims: InstanceClaim[],
): Promise<FieldProblem[]> {
  const withIds = claims.filter((c): c is InstanceClaim & { instanceId: string } => Boolean(c.instanceId));
  if (!access || !withIds.length) return [];
  const role = await companyRole(sql, companyId);
  if (!role) return [];
  const problem = (c: InstanceClaim, message: string): FieldProblem => ({ field: `${c.prefix}instanceId`, message });
  try {
    const ids = [...new Set(withIds.map((c) => c.instanceId))];
    const missing = new Set(await instancesMissingFromAccount(access.roles, access.endpoints, companyId, role, ids));
    const where = `account ${accountOfRoleArn(role.roleArn)} in ${role.region}`;
    return withIds
      .filter((c) => missing.has(c.instanceId))
      .map((c) =>
        problem(
          c,
          `is not an instance Systems Manager manages in this company's AWS ${where}: check the id and region`,
        ),
      );
  } catch (err) {
    if (err instanceof AssumeRoleRefused) {
      return withIds
        .slice(0, 1)
        .map((c) =>
          problem(
            c,
            "could not be checked: the company's AWS role could not be assumed (check the ExternalId and trust policy)",
          ),
        );
    }
    // The raw AWS error stays in the server log.
    console.warn(`Instance check for company ${companyId} failed: ${(err as Error).name}: ${(err as Error).message}`);
    return withIds
      .slice(0, 1)
      .map((c) => problem(c, "could not be checked in the company's AWS account; try again later"));
  }
}
