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

/** The highest risk a company lets run without a person (settings approval.autoApproveUpTo); high never does. */
export const AUTO_APPROVE_LEVELS = ['none', 'low', 'medium'] as const;
export type AutoApproveUpTo = (typeof AUTO_APPROVE_LEVELS)[number];
/** Without a company policy: low risk runs at once, medium and high wait for a person (seed 000, Flow 3). */
export const DEFAULT_AUTO_APPROVE_UP_TO: AutoApproveUpTo = 'low';

/** Whether a runbook of this risk runs without a person under the company's policy. */
export function autoApproves(risk: RiskLevel, upTo: AutoApproveUpTo = DEFAULT_AUTO_APPROVE_UP_TO): boolean {
  if (risk === 'high' || upTo === 'none') return false;
  return risk === 'low' || upTo === 'medium';
}

/** The runbook's own answer when its company set a policy (stamped at load, db/runbooks.ts), else low risk only. */
export function runsUnattended(runbook: Runbook): boolean {
  return runbook.autoApprove ?? autoApproves(runbook.riskLevel);
}

/** Whether the company's policy, not the default, decides this runbook's approval. */
function byPolicy(runbook: Runbook): boolean {
  return runbook.autoApprove !== undefined && runbook.autoApprove !== autoApproves(runbook.riskLevel);
}

/** What the company's policy decided, as a sentence (only when it differs from the default). */
function policyText(runbook: Runbook): string {
  return runsUnattended(runbook)
    ? `This company's policy lets ${runbook.riskLevel} risk runbooks run without approval.`
    : "This company's policy asks a person to approve every run.";
}

/** Why a runbook runs or waits, ending the rules' sentence. */
function approvalText(runbook: Runbook): string {
  const risk = runbook.riskLevel;
  if (byPolicy(runbook)) {
    return runsUnattended(runbook)
      ? `and is ${risk} risk; it runs without approval. ${policyText(runbook)}`
      : `and is ${risk} risk, but a human must approve it. ${policyText(runbook)}`;
  }
  return runsUnattended(runbook)
    ? `and is ${risk} risk, so it runs without approval.`
    : `but is ${risk} risk, so a human must approve it.`;
}

/**
 * The always-available rules decision: runbooks the company's approval policy lets run (by default low risk) run
 * at once, the others wait for a human, and an incident with no runbook goes to a technician.
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
  return {
    action: runsUnattended(runbook) ? 'auto_remediate' : 'request_approval',
    runbook,
    reasoning: `Runbook "${runbook.name}" matches "${signature}" ${approvalText(runbook)}`,
    source: 'rules',
    confidence: 1,
  };
}

/**
 * The company's approval policy over a model's pick (the rules' own decision already follows it): a run the policy
 * wants a person for waits, and one that waited only for its risk runs when the policy allows. A run outcome memory
 * held back (memoryReason) stays held back.
 */
export function applyApprovalPolicy(decision: Decision): Decision {
  const runbook = decision.runbook;
  if (!runbook || decision.memoryReason || runbook.autoApprove === undefined) return decision;
  const wanted = runsUnattended(runbook) ? 'auto_remediate' : 'request_approval';
  if (decision.action === 'escalate' || decision.action === wanted) return decision;
  return { ...decision, action: wanted, reasoning: `${decision.reasoning} ${policyText(runbook)}` };
}

/**
 * Outcome memory over any decision (rules or model), after the company's approval policy: a runbook that failed the
 * last FAILURE_STREAK times on this asset does not run by itself again. A person approves it, with the memory line
 * in front of them: what failed three times unattended may still be right once someone has looked. `assetRuns`:
 * the asset's latest runs, newest first.
 */
export function guardByMemory(decision: Decision, assetName: string, assetRuns: readonly OutcomeRun[]): Decision {
  const policed = applyApprovalPolicy(decision);
  const runbook = policed.runbook;
  if (policed.action !== 'auto_remediate' || !runbook) return policed;
  const streak = failureStreak(runbook.id, assetRuns);
  if (streak < FAILURE_STREAK) return policed;
  const memoryReason =
    `Runbook "${runbook.name}" failed the last ${streak} times it ran on ${assetName}, ` +
    'so it does not run again without a person approving it.';
  return { ...policed, action: 'request_approval', reasoning: `${policed.reasoning} ${memoryReason}`, memoryReason };
}

/** Seed 000, Flow 3 step 4: high risk needs an MSP admin; medium risk a company admin or MSP admin. */
export function canApprove(role: Role, risk: RiskLevel): boolean {
  if (risk === 'high') return role === 'msp_admin';
  if (risk === 'medium') return role === 'msp_admin' || role === 'company_admin';
  return true;
}
