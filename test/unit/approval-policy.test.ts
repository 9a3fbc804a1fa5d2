// The company's approval policy (approval.autoApproveUpTo): which risks run without a person, for the rules' own
// decision and over a model's pick, with outcome memory still holding back a runbook that keeps failing.
import { describe, expect, it } from 'vitest';
import { parseCompanySettings } from '../../domain/company-settings.ts';
import type { OutcomeRun } from '../../domain/outcome-memory.ts';
import {
  applyApprovalPolicy,
  autoApproves,
  decideByRules,
  guardByMemory,
  runsUnattended,
  type Decision,
} from '../../domain/rules.ts';
import type { RiskLevel, Runbook } from '../../domain/types.ts';

const runbook = (riskLevel: RiskLevel, autoApprove?: boolean): Runbook => ({
  id: `rb-${riskLevel}`,
  name: `Fix ${riskLevel}`,
  signature: `sig_${riskLevel}`,
  riskLevel,
  documentName: 'AWS-RunShellScript',
  actions: ['true'],
  ...(autoApprove === undefined ? {} : { autoApprove }),
});

describe('autoApproves', () => {
  it('lets low run by default, none run with "none", medium with "medium", and high never', () => {
    const table = (['none', 'low', 'medium'] as const).map((upTo) =>
      (['low', 'medium', 'high'] as const).map((risk) => autoApproves(risk, upTo)),
    );
    expect(table).toEqual([
      [false, false, false],
      [true, false, false],
      [true, true, false],
    ]);
    expect([autoApproves('low'), autoApproves('medium')]).toEqual([true, false]);
  });

  it('is a company setting, refused by field when unknown', () => {
    expect(parseCompanySettings({ approval: { autoApproveUpTo: 'medium' } })).toMatchObject({ ok: true });
    const bad = parseCompanySettings({ approval: { autoApproveUpTo: 'high' } });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toContain('approval.autoApproveUpTo');
  });
});

describe('decideByRules under a policy', () => {
  it('keeps the default decision and wording without a policy', () => {
    expect(decideByRules('sig_low', [runbook('low')])).toMatchObject({
      action: 'auto_remediate',
      reasoning: 'Runbook "Fix low" matches "sig_low" and is low risk, so it runs without approval.',
    });
    expect(decideByRules('sig_medium', [runbook('medium')])).toMatchObject({
      action: 'request_approval',
      reasoning: 'Runbook "Fix medium" matches "sig_medium" but is medium risk, so a human must approve it.',
    });
  });

  it('runs medium risk when the policy allows it, and asks for low risk when it says none', () => {
    expect(decideByRules('sig_medium', [runbook('medium', true)])).toMatchObject({
      action: 'auto_remediate',
      reasoning:
        'Runbook "Fix medium" matches "sig_medium" and is medium risk; it runs without approval. ' +
        "This company's policy lets medium risk runbooks run without approval.",
    });
    expect(decideByRules('sig_low', [runbook('low', false)])).toMatchObject({
      action: 'request_approval',
      reasoning:
        'Runbook "Fix low" matches "sig_low" and is low risk, but a human must approve it. ' +
        "This company's policy asks a person to approve every run.",
    });
    expect(runsUnattended(runbook('high', false))).toBe(false);
  });
});

describe("the policy over a model's pick, and outcome memory after it", () => {
  const picked = (action: Decision['action'], rb: Runbook): Decision => ({
    action,
    runbook: rb,
    reasoning: 'Gemini: it fits.',
    source: 'gemini',
    confidence: 0.9,
  });
  const failed = (): OutcomeRun => ({
    incidentId: 'inc-old',
    attempt: 1,
    runbookId: 'rb-medium',
    runbookName: 'Fix medium',
    runbookVersion: 1,
    assetName: 'srv-1',
    signature: 'sig_medium',
    status: 'Failed',
    finishedAt: '2026-12-06T10:01:00Z',
    secondsToResolve: null,
    approvedBy: null,
  });

  it('turns a wait for risk into a run when the policy allows, and a run into a wait when it does not', () => {
    expect(applyApprovalPolicy(picked('request_approval', runbook('medium', true)))).toMatchObject({
      action: 'auto_remediate',
      reasoning: "Gemini: it fits. This company's policy lets medium risk runbooks run without approval.",
    });
    expect(applyApprovalPolicy(picked('auto_remediate', runbook('low', false)))).toMatchObject({
      action: 'request_approval',
    });
    const untouched = picked('request_approval', runbook('medium'));
    expect(applyApprovalPolicy(untouched)).toBe(untouched);
  });

  it('lets outcome memory win: a runbook failing on the asset waits even where the policy would run it', () => {
    const d = guardByMemory(picked('request_approval', runbook('medium', true)), 'srv-1', [
      failed(),
      failed(),
      failed(),
    ]);
    expect(d.action).toBe('request_approval');
    expect(d.memoryReason).toMatch(/failed the last 3 times it ran on srv-1/);
    // Once memory held it back, the policy does not release it again.
    expect(applyApprovalPolicy(d)).toBe(d);
  });
});
