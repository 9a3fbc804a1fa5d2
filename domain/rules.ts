import { compareSpecificity, globMatch, isGlob } from './glob.ts';
import { FAILURE_STREAK, failureStreak, type OutcomeRun } from './outcome-memory.ts';
import type { RiskLevel, Role, Runbook } from './types.ts';

export type DecisionAction = 'auto_remediate' | 'request_approval' | 'escalate';

export interface Decision {
  action: DecisionAction;
  runbook: Runbook | null;
  reasoning: string;
  source: 'rules' | 'gemini' | 'bedrock';
  confidence: number;
  /** The LLM provider the company's settings asked (absent: rules only); `source` says who decided in the end. */
  provider?: 'gemini' | 'bedrock';
  model?: string;
  /** Why the rules decided instead of the provider: a sentence tenants may read. */
  fallbackReason?: string;
  /** The decisions row (migration 016) this decision was recorded in. */
  decisionId?: string;
  /** Why outcome memory held back an automatic run (domain/outcome-memory.ts): a sentence tenants may read. */
  memoryReason?: string;
}

/**
 * The runbook for this alert signature: one naming it exactly first, else the one whose matching glob is the most
 * specific (most literal characters, then fewest stars; ties go to the earlier runbook).
 */
export function matchRunbook(signature: string, runbooks: readonly Runbook[]): Runbook | null {
  const patterns = (r: Runbook) => r.signatures ?? [r.signature];
  const exact = runbooks.find((r) => patterns(r).some((p) => !isGlob(p) && p === signature));
  if (exact) return exact;
  let best: { runbook: Runbook; pattern: string } | null = null;
  for (const runbook of runbooks) {
    for (const pattern of patterns(runbook)) {
      if (!isGlob(pattern) || !globMatch(pattern, signature)) continue;
      if (!best || compareSpecificity(pattern, best.pattern) < 0) best = { runbook, pattern };
    }
  }
  return best?.runbook ?? null;
}

/**
 * The always-available rules decision: low-risk runbooks run at once, medium and high risk wait
 * for a human, and an incident with no runbook goes to a technician.
 */
export function decideByRules(signature: string, runbooks: readonly Runbook[]): Decision {
  const runbook = matchRunbook(signature, runbooks);
  if (!runbook) {
    return {
      action: 'escalate',
      runbook: null,
      reasoning: `No runbook handles signature "${signature}"; a technician must investigate.`,
      source: 'rules',
      confidence: 1,
    };
  }
  if (runbook.riskLevel === 'low') {
    return {
      action: 'auto_remediate',
      runbook,
      reasoning: `Runbook "${runbook.name}" matches "${signature}" and is low risk, so it runs without approval.`,
      source: 'rules',
      confidence: 1,
    };
  }
  return {
    action: 'request_approval',
    runbook,
    reasoning: `Runbook "${runbook.name}" matches "${signature}" but is ${runbook.riskLevel} risk, so a human must approve it.`,
    source: 'rules',
    confidence: 1,
  };
}

/**
 * Outcome memory over any decision (rules or model): a runbook that failed the last FAILURE_STREAK times on this
 * asset does not run by itself again. A person approves it, with the memory line in front of them: what failed
 * three times unattended may still be right once someone has looked. `assetRuns`: the asset's latest runs, newest
 * first.
 */
export function guardByMemory(decision: Decision, assetName: string, assetRuns: readonly OutcomeRun[]): Decision {
  const runbook = decision.runbook;
  if (decision.action !== 'auto_remediate' || !runbook) return decision;
  const streak = failureStreak(runbook.id, assetRuns);
  if (streak < FAILURE_STREAK) return decision;
  const memoryReason =
    `Runbook "${runbook.name}" failed the last ${streak} times it ran on ${assetName}, ` +
    'so it does not run again without a person approving it.';
  return { ...decision, action: 'request_approval', reasoning: `${decision.reasoning} ${memoryReason}`, memoryReason };
}

/** Seed 000, Flow 3 step 4: high risk needs an MSP admin; medium risk a company admin or MSP admin. */
export function canApprove(role: Role, risk: RiskLevel): boolean {
  if (risk === 'high') return role === 'msp_admin';
  if (risk === 'medium') return role === 'msp_admin' || role === 'company_admin';
  return true;
}
