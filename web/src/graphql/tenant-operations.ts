// Companies, integration keys, signing secrets, assets and people (api/graphql/types/*.ts).

const COMPANY_SUMMARY = 'id name archivedAt createdAt'
const COMPANY_DETAIL = `${COMPANY_SUMMARY} settings signingSecretHint previousSigningSecretExpiresAt`
const KEY_FIELDS = 'id name keyHint createdAt lastUsedAt expiresAt revokedAt signing receiver active'
const ISSUED_KEY = `key { ${KEY_FIELDS} } apiKey webhookUrls { receiver tool url }`
const ASSET_FIELDS = 'name instanceId assetType os tags criticality createdAt'
const PERSON_FIELDS = 'id email name role companyIds categories disabledAt invitePending lastSeenAt createdAt'

export const COMPANIES = /* GraphQL */ `
  query Companies($includeArchived: Boolean) { companies(includeArchived: $includeArchived) { ${COMPANY_SUMMARY} } }
`

export const COMPANY = /* GraphQL */ `
  query Company($id: ID!) { company(id: $id) { ${COMPANY_DETAIL} } }
`

export const CREATE_COMPANY = /* GraphQL */ `
  mutation CreateCompany($input: CreateCompanyInput!) { createCompany(input: $input) { ${COMPANY_SUMMARY} } }
`

export const UPDATE_COMPANY = /* GraphQL */ `
  mutation UpdateCompany($id: ID!, $input: UpdateCompanyInput!) {
    updateCompany(id: $id, input: $input) { ${COMPANY_DETAIL} }
  }
`

export const ARCHIVE_COMPANY = /* GraphQL */ `
  mutation ArchiveCompany($id: ID!) { archiveCompany(id: $id) { ${COMPANY_SUMMARY} } }
`

export const RESTORE_COMPANY = /* GraphQL */ `
  mutation RestoreCompany($id: ID!) { restoreCompany(id: $id) { ${COMPANY_SUMMARY} } }
`

export const INTEGRATIONS = /* GraphQL */ `
  query Integrations($id: ID!) {
    company(id: $id) { id signingSecretHint previousSigningSecretExpiresAt integrationKeys { ${KEY_FIELDS} } }
  }
`

export const CREATE_KEY = /* GraphQL */ `
  mutation CreateIntegrationKey($companyId: ID!, $name: String!, $signing: KeySigning, $receiver: KeyReceiver) {
    createIntegrationKey(companyId: $companyId, name: $name, signing: $signing, receiver: $receiver) { ${ISSUED_KEY} }
  }
`

export const SET_KEY_POLICY = /* GraphQL */ `
  mutation SetIntegrationKeyPolicy($companyId: ID!, $keyId: ID!, $signing: KeySigning!, $receiver: KeyReceiver) {
    setIntegrationKeyPolicy(companyId: $companyId, keyId: $keyId, signing: $signing, receiver: $receiver) {
      ${KEY_FIELDS}
    }
  }
`

export const ROTATE_KEY = /* GraphQL */ `
  mutation RotateIntegrationKey($companyId: ID!, $keyId: ID!, $overlapHours: Float) {
    rotateIntegrationKey(companyId: $companyId, keyId: $keyId, overlapHours: $overlapHours) { ${ISSUED_KEY} }
  }
`

export const REVOKE_KEY = /* GraphQL */ `
  mutation RevokeIntegrationKey($companyId: ID!, $keyId: ID!) {
    revokeIntegrationKey(companyId: $companyId, keyId: $keyId) { ${KEY_FIELDS} }
  }
`

export const ROTATE_SIGNING_SECRET = /* GraphQL */ `
  mutation RotateSigningSecret($companyId: ID!, $overlapHours: Float) {
    rotateSigningSecret(companyId: $companyId, overlapHours: $overlapHours) {
      secret
      example
    }
  }
`

export const REMOVE_SIGNING_SECRET = /* GraphQL */ `
  mutation RemoveSigningSecret($companyId: ID!) {
    removeSigningSecret(companyId: $companyId)
  }
`

export const ASSETS = /* GraphQL */ `
  query Assets($id: ID!) {
    company(id: $id) { id assets { ${ASSET_FIELDS} } unregisteredAssets { name alertCount lastSeenAt toolSources } }
  }
`

export const SAVE_ASSET = /* GraphQL */ `
  mutation SaveAsset($companyId: ID!, $input: AssetInput!) {
    saveAsset(companyId: $companyId, input: $input) { ${ASSET_FIELDS} }
  }
`

export const DELETE_ASSET = /* GraphQL */ `
  mutation DeleteAsset($companyId: ID!, $name: String!) {
    deleteAsset(companyId: $companyId, name: $name)
  }
`

export const IMPORT_ASSETS = /* GraphQL */ `
  mutation ImportAssets($companyId: ID!, $csv: String!) {
    importAssets(companyId: $companyId, csv: $csv) {
      created
      updated
    }
  }
`

export const PEOPLE = /* GraphQL */ `
  query People($companyId: ID) { people(companyId: $companyId) { ${PERSON_FIELDS} } }
`

export const INVITE_PERSON = /* GraphQL */ `
  mutation InvitePerson($input: InviteInput!) {
    invitePerson(input: $input) { person { ${PERSON_FIELDS} } url email { sent error } }
  }
`

export const UPDATE_PERSON = /* GraphQL */ `
  mutation UpdatePerson($id: ID!, $input: UpdatePersonInput!) {
    updatePerson(id: $id, input: $input) { ${PERSON_FIELDS} }
  }
`

export const DISABLE_PERSON = /* GraphQL */ `
  mutation DisablePerson($id: ID!) { disablePerson(id: $id) { ${PERSON_FIELDS} } }
`

export const ENABLE_PERSON = /* GraphQL */ `
  mutation EnablePerson($id: ID!) { enablePerson(id: $id) { ${PERSON_FIELDS} } }
`

export const ISSUE_PASSWORD_LINK = /* GraphQL */ `
  mutation IssuePasswordLink($id: ID!) {
    issuePasswordLink(id: $id) { person { ${PERSON_FIELDS} } url email { sent error } }
  }
`

const SILENCE_FIELDS =
  'id companyId matchers { field op value } startsAt endsAt effectiveEndsAt comment createdBy createdAt untilResolved state mutedCount invalidReason'

export const SILENCES = /* GraphQL */ `
  query Silences($companyId: ID!) {
    company(id: $companyId) {
      id
      silences { ${SILENCE_FIELDS} }
      mutedAlerts(limit: 50) {
        total
        alerts { id assetName signature severity toolSource message receivedAt mutedByKind silenceId maintenanceWindow }
      }
    }
  }
`

export const CREATE_SILENCE = /* GraphQL */ `
  mutation CreateSilence($input: SilenceInput!) {
    createSilence(input: $input) { ${SILENCE_FIELDS} }
  }
`

export const EXPIRE_SILENCE = /* GraphQL */ `
  mutation ExpireSilence($id: ID!) {
    expireSilence(id: $id) { ${SILENCE_FIELDS} }
  }
`

const INHIBITION_RULE_FIELDS = `id companyId name sourceMatchers { field op value } targetMatchers { field op value }
  equal comment createdBy createdAt inhibitedCount invalidReason`

/** A company's inhibition rules (api/graphql/types/inhibition.ts): while a source fires, matching targets wait. */
export const INHIBITION_RULES = /* GraphQL */ `
  query InhibitionRules($companyId: ID!) {
    company(id: $companyId) { id inhibitionRules { ${INHIBITION_RULE_FIELDS} } }
  }
`

export const CREATE_INHIBITION_RULE = /* GraphQL */ `
  mutation CreateInhibitionRule($input: InhibitionRuleInput!) {
    createInhibitionRule(input: $input) { ${INHIBITION_RULE_FIELDS} }
  }
`

export const DELETE_INHIBITION_RULE = /* GraphQL */ `
  mutation DeleteInhibitionRule($id: ID!) {
    deleteInhibitionRule(id: $id)
  }
`
