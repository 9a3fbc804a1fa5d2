// Patch compliance of a company (api/graphql/types/patch-compliance.ts): the stored summary and "refresh now".

export interface PatchInstanceState {
  instanceId: string
  assetName: string | null
  compliant: boolean
  missingCount: number
  criticalNonCompliantCount: number
  securityNonCompliantCount: number
  failedCount: number
  installedPendingRebootCount: number
  operation: string
  operationEndTime: string
  scanAgeHours: number | null
  stale: boolean
}

export interface PatchCompliance {
  refreshedAt: string | null
  attemptedAt: string | null
  failure: string | null
  instanceCount: number
  scannedCount: number
  compliantCount: number
  compliantPercent: number | null
  criticalMissing: number
  securityMissing: number
  oldestScanAt: string | null
  oldestScanAgeHours: number | null
  stale: boolean
  staleAfterHours: number
  unscanned: string[]
  instances: PatchInstanceState[]
}

const FIELDS = `refreshedAt attemptedAt failure instanceCount scannedCount compliantCount compliantPercent
  criticalMissing securityMissing oldestScanAt oldestScanAgeHours stale staleAfterHours unscanned
  instances { instanceId assetName compliant missingCount criticalNonCompliantCount securityNonCompliantCount
    failedCount installedPendingRebootCount operation operationEndTime scanAgeHours stale }`

export const PATCH_COMPLIANCE = `query PatchCompliance($companyId: ID!) {
  patchCompliance(companyId: $companyId) { ${FIELDS} }
}`

export const REFRESH_PATCH_COMPLIANCE = `mutation RefreshPatchCompliance($companyId: ID!) {
  refreshPatchCompliance(companyId: $companyId) { ${FIELDS} }
}`
