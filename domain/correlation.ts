/**
 * Alerts with the same aggregation key belong to the same open incident (seed 000, Flow 2:
 * `asset|signature`). The workflow ID is a business key derived from it, so Temporal itself
 * guarantees at most one open incident per key and company.
 */
export function aggregationKey(assetName: string, signature: string): string {
  return `${assetName}|${signature}`;
}

export function incidentWorkflowId(companyId: string, key: string): string {
  return `incident:${companyId}:${key}`;
}
