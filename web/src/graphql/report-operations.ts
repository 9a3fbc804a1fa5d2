// The monthly client report (api/graphql/types/client-report.ts).
export interface SeverityScore {
  severity: string
  incidents: number
  slaMet: number
  slaMissed: number
}

export interface RecurringProblem {
  signature: string
  incidents: number
  assets: number
  selfHealed: number
}

/** Patch compliance as far as the month knows it; null on the report when nothing is. */
export interface ReportPatches {
  instancesScanned: number
  compliant: number
  nonCompliant: number
  criticalMissing: number
  securityMissing: number
  lastScanAt: string
}

export interface ClientReport {
  companyId: string
  companyName: string
  month: string
  from: string
  to: string
  alerts: number
  incidents: number
  noiseReduction: number | null
  mttaSeconds: number | null
  mttrSeconds: number | null
  selfHealed: number
  selfHealedShare: number | null
  slaCompliance: number | null
  bySeverity: SeverityScore[]
  recurring: RecurringProblem[]
  patches: ReportPatches | null
}

export const CLIENT_REPORT = /* GraphQL */ `
  query ClientReport($companyId: ID!, $month: String!) {
    clientReport(companyId: $companyId, month: $month) {
      companyId
      companyName
      month
      from
      to
      alerts
      incidents
      noiseReduction
      mttaSeconds
      mttrSeconds
      selfHealed
      selfHealedShare
      slaCompliance
      bySeverity {
        severity
        incidents
        slaMet
        slaMissed
      }
      recurring {
        signature
        incidents
        assets
        selfHealed
      }
      patches {
        instancesScanned
        compliant
        nonCompliant
        criticalMissing
        securityMissing
        lastScanAt
      }
    }
  }
`

export const CLIENT_REPORT_CSV = /* GraphQL */ `
  query ClientReportCsv($companyId: ID!, $month: String!) {
    clientReportCsv(companyId: $companyId, month: $month)
  }
`

/** The calendar month before the one `now` is in, as YYYY-MM (UTC): the report people usually want. */
export function lastMonth(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7)
}
