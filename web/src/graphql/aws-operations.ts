// A company's own AWS account (api/graphql/types/aws-account.ts): the connection, saving the role, a new
// ExternalId, and the connection test.

export interface AwsConnection {
  roleArn: string | null
  region: string | null
  externalId: string
  installAccountId: string | null
  trustPolicy: string | null
  cloudFormation: string | null
  updatedAt: string
}

export interface AwsConnectionTest {
  ok: boolean
  message: string
  accountId: string | null
}

const FIELDS = 'roleArn region externalId installAccountId trustPolicy cloudFormation updatedAt'

export const AWS_CONNECTION = `query AwsConnection($companyId: ID!) {
  awsConnection(companyId: $companyId) { ${FIELDS} }
}`

export const SAVE_AWS_CONNECTION = `mutation SaveAwsConnection($companyId: ID!, $roleArn: String!, $region: String!) {
  saveAwsConnection(companyId: $companyId, roleArn: $roleArn, region: $region) { ${FIELDS} }
}`

export const REGENERATE_AWS_EXTERNAL_ID = `mutation RegenerateAwsExternalId($companyId: ID!) {
  regenerateAwsExternalId(companyId: $companyId) { ${FIELDS} }
}`

export const TEST_AWS_CONNECTION = `mutation TestAwsConnection($companyId: ID!) {
  testAwsConnection(companyId: $companyId) { ok message accountId }
}`
