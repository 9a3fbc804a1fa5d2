import { createHash } from 'node:crypto';

/**
 * Alerts with the same aggregation key belong to the same open incident (seed 000, Flow 2:
 * `asset|signature`). The workflow ID is a business key derived from it, so Temporal itself
 * guarantees at most one open incident per key and company.
 */
export function aggregationKey(assetName: string, signature: string): string {
  return `${assetName}|${signature}`;
}

/**
 * Temporal refuses IDs over 1,000 bytes, and SQL persistence stores them in VARCHAR(255). Readable IDs
 * up to this many UTF-8 bytes are kept as they are (incidents in flight keep theirs); longer keys are hashed.
 */
export const MAX_READABLE_WORKFLOW_ID_BYTES = 200;

export function incidentWorkflowId(companyId: string, key: string): string {
  const readable = `incident:${companyId}:${key}`;
  if (Buffer.byteLength(readable, 'utf8') <= MAX_READABLE_WORKFLOW_ID_BYTES) return readable;
  // A readable key always holds "|"; a hashed one never does, so the two forms cannot collide.
  const digest = createHash('sha256').update(companyId).update('\u0000').update(key).digest('hex');
  return `incident:${companyId.slice(0, 64)}:sha256:${digest}`;
}
