import type { Severity } from './types.ts';

export interface SlaPolicy {
  /** Minutes until someone must have responded (acknowledged, approved, or remediation started). */
  responseMinutes: Record<Severity, number>;
  /** Minutes until the incident must be resolved before it escalates. */
  resolutionMinutes: Record<Severity, number>;
}

/** Seed 001 "SLA Monitoring Flow": response 5-30 min, resolution 1-24 h, by severity. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  responseMinutes: { critical: 5, high: 15, medium: 30, low: 30 },
  resolutionMinutes: { critical: 60, high: 240, medium: 480, low: 1440 },
};

export interface SlaDeadlines {
  responseDeadline: number;
  resolutionDeadline: number;
}

/** Deadlines in epoch milliseconds, counted from the incident's creation. */
export function slaDeadlines(
  createdAtMs: number,
  severity: Severity,
  policy: SlaPolicy = DEFAULT_SLA_POLICY,
): SlaDeadlines {
  return {
    responseDeadline: createdAtMs + policy.responseMinutes[severity] * 60_000,
    resolutionDeadline: createdAtMs + policy.resolutionMinutes[severity] * 60_000,
  };
}
