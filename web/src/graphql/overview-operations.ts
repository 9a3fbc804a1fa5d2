// The overview (api/graphql/types/overview.ts).
export interface CountBy {
  key: string
  count: number
}

export interface OverviewPoint {
  at: string
  alerts: number
  incidents: number
  selfHealed: number
  mttrSeconds: number | null
}

export interface Overview {
  from: string
  to: string
  bucket: 'hour' | 'day'
  alerts: number
  alertsMuted: number
  incidents: number
  noiseReduction: number | null
  openBySeverity: CountBy[]
  openByStatus: CountBy[]
  acknowledged: number
  mttaSeconds: number | null
  resolved: number
  mttrSeconds: number | null
  mttrSelfHealedSeconds: number | null
  mttrOtherSeconds: number | null
  selfHealed: number
  selfHealedShare: number | null
  slaMet: number
  slaMissed: number
  slaCompliance: number | null
  decisionsBySource: CountBy[]
  topAssets: CountBy[]
  topSignatures: CountBy[]
  series: OverviewPoint[]
}

export const OVERVIEW = /* GraphQL */ `
  query Overview($companyId: ID, $from: DateTime, $to: DateTime) {
    overview(companyId: $companyId, from: $from, to: $to) {
      from
      to
      bucket
      alerts
      alertsMuted
      incidents
      noiseReduction
      openBySeverity {
        key
        count
      }
      openByStatus {
        key
        count
      }
      acknowledged
      mttaSeconds
      resolved
      mttrSeconds
      mttrSelfHealedSeconds
      mttrOtherSeconds
      selfHealed
      selfHealedShare
      slaMet
      slaMissed
      slaCompliance
      decisionsBySource {
        key
        count
      }
      topAssets {
        key
        count
      }
      topSignatures {
        key
        count
      }
      series {
        at
        alerts
        incidents
        selfHealed
        mttrSeconds
      }
    }
  }
`
