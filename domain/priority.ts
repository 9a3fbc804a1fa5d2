import type { Severity } from './types.ts';

const SEVERITY_SCORE: Record<Severity, number> = { critical: 90, high: 60, medium: 30, low: 10 };

export interface PriorityInput {
  severity: Severity;
  assetCritical: boolean;
  alertCount: number;
  toolSourceCount: number;
  ageHours: number;
}

/**
 * Seed 000, Flow 2 step 6: severity base, +20 for a critical asset, +2 per duplicate alert
 * (capped at 20), +10 when two or more tools agree, minus one per hour of age (capped at 10).
 */
export function priorityScore(input: PriorityInput): number {
  let score = SEVERITY_SCORE[input.severity];
  if (input.assetCritical) score += 20;
  score += Math.min(Math.max(input.alertCount - 1, 0) * 2, 20);
  if (input.toolSourceCount >= 2) score += 10;
  score -= Math.min(Math.floor(Math.max(input.ageHours, 0)), 10);
  return score;
}
