// The runbook library (api/graphql/types/runbook.ts): list, versions with their changes, save, archive, import.
import type { RiskLevel } from './generated'
export type { RiskLevel }

export interface RunbookVersion {
  version: number
  name: string
  description: string
  signatures: string[]
  riskLevel: RiskLevel
  documentName: string
  commands: string[]
  parameters: Array<{ name: string; value: string }>
  timeoutSeconds: number
  preCheck: string[]
  postCheck: string[]
  targetTag: string | null
  createdBy: string
  createdAt: string
  changes?: Array<{ field: string; before: string; after: string }>
}

export interface RunbookRunStats {
  runs: number
  succeeded: number
  dryRuns: number
  successRate: number | null
  medianSeconds: number | null
  lastRunAt: string | null
}

export interface Runbook {
  id: string
  currentVersion: number
  archivedAt: string | null
  current: RunbookVersion
  runStats?: RunbookRunStats
}

export interface RunbookPreview {
  version: number
  documentName: string
  shell: string
  instanceIds: string[]
  target: string
  commands: string[]
  preCheck: string[]
  postCheck: string[]
  timeoutSeconds: number
  blockedReason: string | null
}

export interface RunbookInput {
  id?: string
  companyId: string
  name: string
  description: string
  signatures: string[]
  riskLevel: RiskLevel
  documentName: string
  commands: string[]
  parameters: Array<{ name: string; value: string }>
  timeoutSeconds: number
  preCheck: string[]
  postCheck: string[]
  targetTag: string | null
}

const VERSION = `version name description signatures riskLevel documentName commands parameters { name value }
  timeoutSeconds preCheck postCheck targetTag createdBy createdAt`
const RUNBOOK = `id currentVersion archivedAt current { ${VERSION} }`

export const RUNBOOKS = /* GraphQL */ `
  query Runbooks($companyId: ID!) {
    runbooks(companyId: $companyId) { ${RUNBOOK} runStats { runs succeeded dryRuns successRate medianSeconds lastRunAt } }
  }
`

export const RUNBOOK_PREVIEW = /* GraphQL */ `
  query RunbookPreview($runbookId: ID!, $incidentId: ID!) {
    runbookPreview(runbookId: $runbookId, incidentId: $incidentId) {
      version
      documentName
      shell
      instanceIds
      target
      commands
      preCheck
      postCheck
      timeoutSeconds
      blockedReason
    }
  }
`

export const RUNBOOK_VERSIONS = /* GraphQL */ `
  query RunbookVersions($id: ID!) {
    runbook(id: $id) { id versions(limit: 20) { ${VERSION} changes { field before after } } }
  }
`

export const SAVE_RUNBOOK = /* GraphQL */ `
  mutation SaveRunbook($input: RunbookInput!) { saveRunbook(input: $input) { ${RUNBOOK} } }
`

export const ARCHIVE_RUNBOOK = /* GraphQL */ `
  mutation ArchiveRunbook($id: ID!) {
    archiveRunbook(id: $id) {
      id
    }
  }
`

export const IMPORT_RUNBOOK_CATALOGUE = /* GraphQL */ `
  mutation ImportRunbookCatalogue($companyId: ID!) {
    importRunbookCatalogue(companyId: $companyId) {
      imported {
        id
      }
      skipped {
        key
        name
        reason
      }
    }
  }
`
