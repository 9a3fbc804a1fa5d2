// The pure parts of per-client AWS access: role ARN and region checks, the trust policy and CloudFormation a
// company pastes, the session name, and when cached assumed credentials are replaced.
import { describe, expect, it } from 'vitest';
import {
  accountOfRoleArn,
  checkAwsConnection,
  cloudFormationTemplate,
  credentialsUsable,
  REFRESH_BEFORE_EXPIRY_MS,
  roleSessionName,
  trustPolicy,
} from '../../domain/aws-account.ts';

describe('checkAwsConnection', () => {
  it('accepts a role ARN with 12 digits (paths and other partitions included) and a region', () => {
    for (const roleArn of [
      'arn:aws:iam::123456789012:role/AlertWhisperer',
      'arn:aws:iam::123456789012:role/ops/remediation/AlertWhisperer',
      'arn:aws-us-gov:iam::123456789012:role/aw+=,.@-x',
    ]) {
      expect(checkAwsConnection({ roleArn, region: 'eu-west-2' })).toEqual([]);
    }
    expect(accountOfRoleArn('arn:aws:iam::123456789012:role/x')).toBe('123456789012');
  });

  it('names the field of a malformed ARN or region', () => {
    for (const roleArn of [
      '',
      'arn:aws:iam::12345678901:role/short-account',
      'arn:aws:iam::123456789012:user/not-a-role',
      'arn:aws:sts::123456789012:role/x',
      'arn:aws:iam::123456789012:role/',
      'arn:aws:iam::123456789012:role/has space',
    ]) {
      expect(checkAwsConnection({ roleArn, region: 'us-east-1' }).map((i) => i.field)).toEqual(['roleArn']);
    }
    expect(checkAwsConnection({ roleArn: 'arn:aws:iam::123456789012:role/x', region: 'mars' })).toEqual([
      { field: 'region', message: 'must be an AWS region such as us-east-1 or eu-west-2' },
    ]);
  });
});

describe('trust policy and CloudFormation', () => {
  it('lets only the install account assume the role, and only with the ExternalId', () => {
    expect(trustPolicy('999988887777', 'ext-123')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'ext-123' } },
        },
      ],
    });
  });

  it('creates the role with that trust policy and the SSM permissions remediation uses', () => {
    const t = JSON.parse(cloudFormationTemplate('999988887777', 'ext-123')) as {
      Resources: { AlertWhispererRole: { Type: string; Properties: Record<string, unknown> } };
    };
    const role = t.Resources.AlertWhispererRole;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument).toEqual(trustPolicy('999988887777', 'ext-123'));
    expect(JSON.stringify(role.Properties.Policies)).toContain('ssm:SendCommand');
    expect(JSON.stringify(role.Properties.Policies)).toContain('ssm:DescribeInstanceInformation');
  });
});

describe('roleSessionName', () => {
  it('names the company within what AWS allows (2–64 of [\\w+=,.@-])', () => {
    expect(roleSessionName('comp-1234')).toBe('alert-whisperer-comp-1234');
    const long = roleSessionName(`c/${'x'.repeat(100)} y`);
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('credentialsUsable', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  it('hands out cached credentials until shortly before they expire, then asks for new ones', () => {
    expect(credentialsUsable(at(60 * 60_000), now)).toBe(true);
    expect(credentialsUsable(at(REFRESH_BEFORE_EXPIRY_MS + 1), now)).toBe(true);
    expect(credentialsUsable(at(REFRESH_BEFORE_EXPIRY_MS), now)).toBe(false);
    expect(credentialsUsable(at(1_000), now)).toBe(false);
    expect(credentialsUsable(at(-1_000), now)).toBe(false);
  });
});
