// What the dashboard's "Test connection" and asset registration ask of a company's own AWS account, through its
// assumed role: GetCallerIdentity, then DescribeInstanceInformation. Outcomes are typed; the raw AWS text only
// travels in `detail`, for the server log, never to a tenant.
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SDK_CONNECTION_TIMEOUT_MS, SDK_MAX_ATTEMPTS, SDK_REQUEST_TIMEOUT_MS } from '../domain/ssm-timing.ts';
import { AssumeRoleRefused, type CompanyRole, type RoleAssumer } from './aws-role.ts';
import { createSsmClient, unmanagedInstances } from './ssm-aws.ts';

/** The install's endpoints (SSM_ENDPOINT, STS_ENDPOINT): never a company's choice. */
export interface AwsEndpoints {
  ssmEndpoint?: string | undefined;
  stsEndpoint?: string | undefined;
}

export type ProbeOutcome =
  | { kind: 'connected'; accountId: string; managedInstances: number; more: boolean }
  | { kind: 'refused' }
  | { kind: 'ssm_denied'; accountId: string }
  | { kind: 'failed'; detail: string };

const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

async function companyClients(roles: RoleAssumer, endpoints: AwsEndpoints, companyId: string, role: CompanyRole) {
  const credentials = await roles.credentialsFor(companyId, role);
  const sts = new STSClient({
    region: role.region,
    credentials,
    ...(endpoints.stsEndpoint ? { endpoint: endpoints.stsEndpoint } : {}),
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS },
  });
  const ssm = createSsmClient(role.region, endpoints.ssmEndpoint, credentials);
  return { sts, ssm };
}

/** Assumes the company's role, asks who it is, then lists (a page of) the instances SSM manages there. */
export async function probeAwsConnection(
  roles: RoleAssumer,
  endpoints: AwsEndpoints,
  companyId: string,
  role: CompanyRole,
): Promise<ProbeOutcome> {
  let accountId = '';
  try {
    const { sts, ssm } = await companyClients(roles, endpoints, companyId, role);
    try {
      accountId = (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
      const out = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 50 }));
      return {
        kind: 'connected',
        accountId,
        managedInstances: out.InstanceInformationList?.length ?? 0,
        more: Boolean(out.NextToken),
      };
    } finally {
      sts.destroy();
      ssm.destroy();
    }
  } catch (err) {
    if (err instanceof AssumeRoleRefused) return { kind: 'refused' };
    if (accountId && err instanceof Error && DENIED.has(err.name)) return { kind: 'ssm_denied', accountId };
    return { kind: 'failed', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** The ids SSM does not manage in the company's account. Throws AssumeRoleRefused or the SDK's error. */
export async function instancesMissingFromAccount(
  roles: RoleAssumer,
  endpoints: AwsEndpoints,
  companyId: string,
  role: CompanyRole,
  instanceIds: string[],
): Promise<string[]> {
  if (!instanceIds.length) return [];
  const { sts, ssm } = await companyClients(roles, endpoints, companyId, role);
  try {
    return await unmanagedInstances(ssm, instanceIds);
  } finally {
    sts.destroy();
    ssm.destroy();
  }
}
