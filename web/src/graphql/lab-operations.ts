// The correlation lab (api/graphql/types/correlation-lab.ts).
export const CORRELATION_LAB = /* GraphQL */ `
  query CorrelationLab($companyId: ID!, $settings: JSON!) {
    correlationLab(companyId: $companyId, settings: $settings) {
      alertCount
      truncated
      from
      to
      happenedIncidentCount
      proposed {
        incidentCount
        heldAlerts
        noiseReduction
      }
      current {
        incidentCount
        heldAlerts
        noiseReduction
      }
      diff {
        mergeCount
        splitCount
        unchanged
        merges {
          key
          incidentIds
        }
        splits {
          incidentId
          keys
        }
      }
      incidents {
        key
        assetName
        signature
        alertCount
        firstAlertAt
        lastAlertAt
        tools
        rule
      }
    }
  }
`

export interface LabRun {
  incidentCount: number
  heldAlerts: number
  noiseReduction: number
}

export interface LabResult {
  alertCount: number
  truncated: boolean
  from: string
  to: string
  happenedIncidentCount: number | null
  proposed: LabRun
  current: LabRun
  diff: {
    mergeCount: number
    splitCount: number
    unchanged: number
    merges: Array<{ key: string; incidentIds: string[] }>
    splits: Array<{ incidentId: string; keys: string[] }>
  } | null
  incidents: Array<{
    key: string
    assetName: string
    signature: string
    alertCount: number
    firstAlertAt: string
    lastAlertAt: string
    tools: string[]
    rule: string
  }>
}
