// A company's own AWS account, reached through an IAM role it creates and we assume (seed 003 "Cross-Account
// Access"): what a role ARN and region must look like, the trust policy and CloudFormation the company pastes, the
// session name AWS logs, and how long assumed credentials are used before a fresh AssumeRole.

/** arn:aws:iam::<12 digits>:role/<path/name>; partitions other than aws (aws-cn, aws-us-gov) included. */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface AwsConnectionInput {
  roleArn: string;
  region: string;
}

export interface FieldIssue {
  field: string;
  message: string;
}

export function checkAwsConnection(input: AwsConnectionInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!ROLE_ARN.test(input.roleArn.trim()) || input.roleArn.trim().length > 2048) {
    issues.push({
      field: 'roleArn',
      message: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/AlertWhispererRemediation',
    });
  }
  if (!REGION.test(input.region.trim())) {
    issues.push({ field: 'region', message: 'must be an AWS region such as us-east-1 or eu-west-2' });
  }
  return issues;
}

/** The 12-digit account of a role ARN checked by checkAwsConnection. */
export function accountOfRoleArn(roleArn: string): string | null {
  return ROLE_ARN.exec(roleArn.trim())?.[2] ?? null;
}

/**
 * RoleSessionName: AWS allows 2–64 of [\w+=,.@-]. It names the company, so the client's CloudTrail shows whose
 * incidents the calls were made for.
 */
export function roleSessionName(companyId: string): string {
  const safe = companyId.replace(/[^\w+=,.@-]/g, '-');
  return `alert-whisperer-${safe}`.slice(0, 64);
}

/** The trust policy the company attaches to its role: only our install's account, only with its ExternalId. */
export function trustPolicy(installAccountId: string, externalId: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${installAccountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** The least the role needs: Run Command and reading its results and the managed-instance inventory. */
const ROLE_PERMISSIONS = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'ssm:SendCommand',
        'ssm:ListCommands',
        'ssm:GetCommandInvocation',
        'ssm:DescribeInstanceInformation',
        'ssm:DescribeInstancePatchStates',
      ],
      Resource: '*',
    },
  ],
};

/** A CloudFormation template (JSON) creating the role with the trust policy and the permissions above. */
export function cloudFormationTemplate(installAccountId: string, externalId: string): string {
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'Role Alert Whisperer assumes to run remediation runbooks through AWS Systems Manager',
    Resources: {
      AlertWhispererRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'AlertWhispererRemediation',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: trustPolicy(installAccountId, externalId),
          Policies: [{ PolicyName: 'AlertWhispererSsm', PolicyDocument: ROLE_PERMISSIONS }],
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['AlertWhispererRole', 'Arn'] } } },
  };
  return JSON.stringify(template, null, 2);
}

/** How long we ask AssumeRole's credentials to live (AWS's minimum is 900 s, the default role maximum 3600 s). */
export const ASSUMED_SESSION_SECONDS = 3600;
/**
 * Credentials are replaced this long before they expire: a command's send, its ListCommands look-up and its polls
 * all run within a few minutes, so none starts on credentials that run out under it.
 */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/** True while cached credentials expiring at `expiresAt` may still be handed out at `now`. */
export function credentialsUsable(expiresAt: Date, now: Date, marginMs = REFRESH_BEFORE_EXPIRY_MS): boolean {
  return expiresAt.getTime() - now.getTime() > marginMs;
}
