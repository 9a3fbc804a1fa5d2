// The custom search attributes every incident run carries in Temporal (all Keyword), so engineers find runs in
// Temporal Web and `temporal workflow list --query` by what they know: the company, asset, signature, severity,
// status and assignee. One list, read by the workflow that upserts them and the worker that registers them.
export const INCIDENT_SEARCH_ATTRIBUTES = [
  'AwCompanyId',
  'AwAsset',
  'AwSignature',
  'AwSeverity',
  'AwStatus',
  'AwAssignee',
] as const;

export type IncidentSearchAttribute = (typeof INCIDENT_SEARCH_ATTRIBUTES)[number];
