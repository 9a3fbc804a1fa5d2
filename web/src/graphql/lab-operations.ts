// The correlation lab (api/graphql/types/correlation-lab.ts).
export const CORRELATION_LAB = /* GraphQL */ `
  query CorrelationLab($companyId: ID!, $settings: JSON!, $alerts: [CorrelationLabAlertInput!]) {
    correlationLab(companyId: $companyId, settings: $settings, alerts: $alerts) {
      alertCount
      truncated
      from
      to
      happenedIncidentCount
      proposed {
        incidentCount
        heldAlerts
        inhibitedAlerts
        noiseReduction
      }
      current {
        incidentCount
        heldAlerts
        inhibitedAlerts
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
      inhibitionRules {
        ruleId
        name
        inhibitedAlerts
        invalidReason
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
  /** Alerts the company's inhibition rules held: no group of their own. */
  inhibitedAlerts: number
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
  inhibitionRules: Array<{ ruleId: string; name: string; inhibitedAlerts: number; invalidReason: string | null }>
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

/** One alert of an uploaded set, as the lab takes it. */
export interface LabAlert {
  id?: string
  at: string
  asset: string
  signature: string
  tool: string
  labels?: Record<string, string>
}

/**
 * A JSON array of alerts ({at, asset, signature, tool, labels?}; our webhook's field names work too) or CSV with a
 * header naming at, asset, signature and tool. Returns the alerts or a sentence saying what is wrong.
 */
export function parseLabAlerts(text: string): LabAlert[] | string {
  const t = text.trim()
  if (!t) return 'Paste or choose a file of alerts first'
  if (t.startsWith('[')) {
    let rows: unknown
    try {
      rows = JSON.parse(t)
    } catch (e) {
      return `Not valid JSON: ${(e as Error).message}`
    }
    if (!Array.isArray(rows)) return 'Expected a JSON array of alerts'
    const out: LabAlert[] = []
    for (const [i, r] of rows.entries()) {
      const o = (r ?? {}) as Record<string, unknown>
      const a = {
        at: String(o.at ?? o.timestamp ?? o.received_at ?? ''),
        asset: String(o.asset ?? o.asset_name ?? ''),
        signature: String(o.signature ?? ''),
        tool: String(o.tool ?? o.tool_source ?? ''),
        ...(o.labels && typeof o.labels === 'object' ? { labels: o.labels as Record<string, string> } : {}),
      }
      if (!a.at || !a.asset || !a.signature || !a.tool) return `Alert ${i + 1} needs at, asset, signature and tool`
      out.push(a)
    }
    return out
  }
  const [head, ...lines] = t.split(/\r?\n/).filter((l) => l.trim())
  const cols = head!.split(',').map((c) => c.trim().toLowerCase())
  const at = cols.indexOf('at')
  const asset = cols.indexOf('asset')
  const signature = cols.indexOf('signature')
  const tool = cols.indexOf('tool')
  if ([at, asset, signature, tool].includes(-1)) return 'The CSV header must name at, asset, signature and tool'
  return lines.map((l) => {
    const v = l.split(',').map((c) => c.trim())
    return { at: v[at]!, asset: v[asset]!, signature: v[signature]!, tool: v[tool]! }
  })
}
