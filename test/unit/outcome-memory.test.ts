// Outcome memory's pure parts: the summary and sentence people read, the failure streak, the rule that holds back an
// automatic run of a runbook that failed the last three times on the asset (for the rules and a model alike, with
// the reason in the decision row), and the bounded memory in the model's prompt.
import { describe, expect, it } from 'vitest';
import { decide, type EngineDeps } from '../../activities/decision/engine.ts';
import type { DecisionProvider } from '../../activities/decision/providers.ts';
import { buildDecisionPrompt, promptData, PROMPT_VERSION } from '../../domain/decision-prompt.ts';
import {
  failureStreak,
  formatDuration,
  median,
  MEMORY_RECENT_RUNS,
  summariseOutcomes,
  type ApprovalAnswer,
  type OutcomeRun,
} from '../../domain/outcome-memory.ts';
import { decideByRules, guardByMemory } from '../../domain/rules.ts';
import type { Runbook } from '../../domain/types.ts';

let seq = 0;
function run(o: Partial<OutcomeRun> = {}): OutcomeRun {
  seq += 1;
  return {
    incidentId: `inc-${seq}`,
    attempt: 1,
    runbookId: 'rb-disk',
    runbookName: 'Clean temp files',
    runbookVersion: 1,
    assetName: 'srv-01',
    signature: 'disk_full',
    status: 'Success',
    finishedAt: '2026-12-06T10:00:00.000Z',
    secondsToResolve: 40,
    approvedBy: null,
    ...o,
  };
}
const failed = (o: Partial<OutcomeRun> = {}) => run({ status: 'Failed', secondsToResolve: null, ...o });

const DISK: Runbook = {
  id: 'rb-disk',
  name: 'Clean temp files',
  signature: 'disk_full',
  riskLevel: 'low',
  documentName: 'AWS-RunShellScript',
  actions: ['true'],
};

describe('summariseOutcomes', () => {
  it('says "fixed 9 of the last 10" for the client, with the median time to resolve', () => {
    const runs = [
      failed({ assetName: 'srv-02' }),
      ...[10, 20, 30, 40, 42, 44, 50, 60, 70].map((s, i) => run({ secondsToResolve: s, assetName: `srv-0${i % 2}` })),
      run({ secondsToResolve: 999 }), // an 11th incident: beyond the last 10
    ];
    const m = summariseOutcomes('disk_full', 'srv-03', runs);
    expect(m.company).toEqual({ incidents: 10, fixed: 9, medianSecondsToResolve: 42 });
    expect(m.asset).toEqual({ incidents: 0, fixed: 0, medianSecondsToResolve: null });
    expect(m.sentence).toBe(
      'Fixed 9 of the last 10 disk_full incidents for this client, median 42 s; none on srv-03 yet.',
    );
  });

  it('adds the asset when it differs, and counts a retried incident once by its latest run', () => {
    const runs = [
      failed({ incidentId: 'a', attempt: 2 }),
      run({ incidentId: 'a', attempt: 1 }), // the earlier attempt of the same incident: not counted
      failed({ incidentId: 'b' }),
      run({ incidentId: 'c', assetName: 'srv-09', secondsToResolve: 600 }),
      run({ incidentId: 'd', assetName: 'srv-09', secondsToResolve: 1200 }),
    ];
    const m = summariseOutcomes('disk_full', 'srv-01', runs);
    expect(m.company).toEqual({ incidents: 4, fixed: 2, medianSecondsToResolve: 900 });
    expect(m.asset).toEqual({ incidents: 2, fixed: 0, medianSecondsToResolve: null });
    expect(m.sentence).toBe(
      'Fixed 2 of the last 4 disk_full incidents for this client, median 15 min; on srv-01: 0 of the last 2.',
    );
    expect(m.recent.map((r) => [r.incidentId, r.attempt])).toEqual([
      ['a', 2],
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('says nothing ran yet, one incident in the singular, and no asset part when the asset is the whole record', () => {
    expect(summariseOutcomes('disk_full', 'srv-01', []).sentence).toBe(
      'No runbook has run on disk_full incidents for this client yet.',
    );
    expect(summariseOutcomes('disk_full', 'srv-01', [run({ secondsToResolve: 8000 })]).sentence).toBe(
      'Fixed 1 of the last disk_full incident for this client, median 2 h.',
    );
  });

  it('keeps other signatures out, and lists at most MEMORY_RECENT_RUNS runs of the asset', () => {
    const runs = [run({ signature: 'cpu_high' }), ...Array.from({ length: 8 }, () => run())];
    const m = summariseOutcomes('disk_full', 'srv-01', runs);
    expect(m.company.incidents).toBe(8);
    expect(m.recent).toHaveLength(MEMORY_RECENT_RUNS);
    expect(m.recent.every((r) => r.signature === 'disk_full')).toBe(true);
  });

  it("counts approvers' answers and lists the rejections (decisions people overrode), said after the record", () => {
    const answer = (status: ApprovalAnswer['status'], by: string): ApprovalAnswer => ({
      incidentId: `inc-${by}`,
      assetName: 'srv-01',
      runbookName: 'Clean temp files',
      runbookVersion: 2,
      status,
      decidedBy: by,
      decidedAt: '2026-12-06T10:00:00.000Z',
      comment: null,
    });
    const answers = [
      answer('rejected', 'a'),
      answer('approved', 'b'),
      answer('rejected', 'c'),
      answer('approved', 'd'),
    ];
    const m = summariseOutcomes('disk_full', 'srv-01', [run()], answers);
    expect(m.approvals).toEqual({ answered: 4, rejected: 2 });
    expect(m.overrides.map((o) => o.decidedBy)).toEqual(['a', 'c']);
    expect(m.sentence).toBe(
      'Fixed 1 of the last disk_full incident for this client, median 40 s. ' +
        'Approvers rejected the runbook on 2 of the last 4 incidents that asked.',
    );
    expect(summariseOutcomes('disk_full', 'srv-01', [], [answer('rejected', 'a')]).sentence).toBe(
      'No runbook has run on disk_full incidents for this client yet. ' +
        'Approvers rejected the runbook on the last incident that asked.',
    );
    expect(summariseOutcomes('disk_full', 'srv-01', [], [answer('approved', 'a')]).overrides).toEqual([]);
  });

  it('median and durations', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect([formatDuration(42.4), formatDuration(119), formatDuration(720), formatDuration(10_800)]).toEqual([
      '42 s',
      '119 s',
      '12 min',
      '3 h',
    ]);
  });
});

describe('the failure streak rule', () => {
  it('counts back from the latest run of that runbook on the asset, other runbooks skipped', () => {
    const runs = [failed(), failed({ runbookId: 'rb-other', status: 'Success' }), failed(), run(), failed()];
    expect(failureStreak('rb-disk', runs)).toBe(2);
    expect(failureStreak('rb-none', runs)).toBe(0);
  });

  it('three failures in a row on the asset: no automatic run, a person approves, the reason said', () => {
    const auto = decideByRules('disk_full', [DISK]);
    expect(auto.action).toBe('auto_remediate');
    const d = guardByMemory(auto, 'srv-01', [failed(), failed({ status: 'TimedOut' }), failed({ status: 'NotSent' })]);
    expect(d.action).toBe('request_approval');
    expect(d.runbook).toEqual(DISK);
    expect(d.memoryReason).toBe(
      'Runbook "Clean temp files" failed the last 3 times it ran on srv-01, so it does not run again without a person ' +
        'approving it.',
    );
    expect(d.reasoning.endsWith(d.memoryReason!)).toBe(true);
  });

  it('two failures, a success in between, or a decision that already waits or escalates: unchanged', () => {
    const auto = decideByRules('disk_full', [DISK]);
    expect(guardByMemory(auto, 'srv-01', [failed(), failed()])).toBe(auto);
    expect(guardByMemory(auto, 'srv-01', [failed(), failed(), run(), failed()])).toBe(auto);
    const waits = { ...auto, action: 'request_approval' as const };
    expect(guardByMemory(waits, 'srv-01', [failed(), failed(), failed()])).toBe(waits);
    const none = decideByRules('other', [DISK]);
    expect(guardByMemory(none, 'srv-01', [failed(), failed(), failed()])).toBe(none);
  });
});

describe('the engine with memory', () => {
  const deps = (provider?: DecisionProvider): EngineDeps => ({
    providers: provider ? { gemini: provider } : {},
    config: { timeoutMs: 2_000, maxOutputTokens: 300, geminiModel: 'gem', bedrockModel: 'br' },
    logFailure: () => {},
  });
  const base = {
    incidentId: 'inc-x',
    assetName: 'srv-01',
    signature: 'disk_full',
    severity: 'high' as const,
    alertCount: 1,
    recentAlertMessages: [],
    runbooks: [DISK],
  };
  const streak = [failed(), failed(), failed()];

  it("holds back the rules' automatic run and records the reason and the held-back pick in the row", async () => {
    const r = await decide({ ...base, settings: undefined, assetRuns: streak }, deps());
    expect(r.decision.action).toBe('request_approval');
    expect(r.record.output).toMatchObject({
      action: 'request_approval',
      runbookId: 'rb-disk',
      memoryReason: r.decision.memoryReason,
      heldBack: { action: 'auto_remediate', runbookId: 'rb-disk' },
    });
  });

  it("holds back a model's pick too, and the model was shown the memory", async () => {
    const asked: string[] = [];
    const provider: DecisionProvider = {
      name: 'gemini',
      ask: async (req) => {
        asked.push(req.user);
        const text = JSON.stringify({ action: 'execute', runbookId: 'rb-disk', confidence: 0.9, reasoning: 'ok' });
        return { text, tokensIn: 1, tokensOut: 1 };
      },
    };
    const memory = summariseOutcomes('disk_full', 'srv-01', streak);
    const r = await decide({ ...base, settings: { provider: 'gemini' }, assetRuns: streak, memory }, deps(provider));
    expect(r.decision).toMatchObject({ action: 'request_approval', source: 'gemini' });
    expect(r.record.output).toMatchObject({
      decision: { action: 'request_approval' },
      memoryReason: expect.any(String),
    });
    expect(r.record.promptVersion).toBe(PROMPT_VERSION);
    expect(asked[0]).toContain(memory.sentence);
  });
});

describe('the prompt with memory', () => {
  const input = {
    assetName: 'srv-01',
    signature: 'disk_full',
    severity: 'high' as const,
    alertCount: 1,
    recentAlertMessages: [],
    runbooks: [DISK],
  };

  it('is a bounded list without names, and changes the digest', () => {
    const runs = Array.from({ length: 9 }, (_, i) =>
      i % 2 ? failed() : run({ approvedBy: 'boss@example.com', secondsToResolve: 41.6 }),
    );
    const memory = summariseOutcomes('disk_full', 'srv-01', runs);
    const data = promptData({ ...input, memory });
    expect(PROMPT_VERSION).toBe('decide-v2');
    expect(data.pastOutcomes!.summary).toBe(memory.sentence);
    expect(data.pastOutcomes!.approvals).toEqual({ answered: 0, rejected: 0 });
    expect(data.pastOutcomes!.onThisAsset).toHaveLength(MEMORY_RECENT_RUNS);
    expect(data.pastOutcomes!.onThisAsset[0]).toEqual({
      runbookId: 'rb-disk',
      version: 1,
      succeeded: true,
      status: 'Success',
      secondsToResolve: 42,
      approved: true,
    });
    const prompt = buildDecisionPrompt({ ...input, memory });
    expect(prompt.user).not.toContain('boss@example.com');
    expect(prompt.system).toContain('pastOutcomes');
    expect(prompt.inputDigest).not.toBe(buildDecisionPrompt(input).inputDigest);
    expect(promptData(input).pastOutcomes).toBeNull();
  });
});
