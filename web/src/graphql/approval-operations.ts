import type { RiskLevel, RunbookPreview } from './runbook-operations'

export interface PendingApproval {
  incident: {
    id: string
    companyId: string
    companyName: string
    assetName: string
    signature: string
    severity: string
    /** What runbooks did before for this company, signature and asset (outcome memory). */
    memory: { sentence: string } | null
  }
  runbook: { id: string; name: string; version: number | null; riskLevel: RiskLevel }
  requestedAt: string
  deadline: string
  requestedBy: string | null
  fourEyes: boolean
  mayApprove: boolean
  preview: RunbookPreview
}

export const PENDING_APPROVALS = /* GraphQL */ `
  query PendingApprovals {
    pendingApprovals {
      incident {
        id
        companyId
        companyName
        assetName
        signature
        severity
        memory {
          sentence
        }
      }
      runbook {
        id
        name
        version
        riskLevel
      }
      requestedAt
      deadline
      requestedBy
      fourEyes
      mayApprove
      preview {
        runbookId
        version
        incidentId
        documentName
        shell
        instanceIds
        commands
        timeoutSeconds
        blockedReason
      }
    }
  }
`

const decision = (name: 'approveIncident' | 'rejectIncident') => /* GraphQL */ `
  mutation ${name[0]!.toUpperCase()}${name.slice(1)}Queued($id: ID!, $comment: String) {
    ${name}(id: $id, comment: $comment) { id status }
  }
`
export const APPROVE_QUEUED = decision('approveIncident')
export const REJECT_QUEUED = decision('rejectIncident')

export const RUN_RUNBOOK = /* GraphQL */ `
  mutation RunRunbook($incidentId: ID!, $runbookId: ID!, $comment: String) {
    runRunbook(incidentId: $incidentId, runbookId: $runbookId, comment: $comment) {
      id
      status
    }
  }
`
