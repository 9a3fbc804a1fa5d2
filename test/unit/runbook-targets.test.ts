// Runbook targets by tag: which tags may be saved, and the cap at the company's concurrent-run limit.
import { describe, expect, it } from 'vitest';
import { diffDrafts, draftProblems, type RunbookDraft } from '../../domain/runbook.ts';
import { describeTarget, judgeTagTargets, targetTagProblem } from '../../domain/runbook-targets.ts';

describe('judgeTagTargets', () => {
  it('takes the instances found up to the cap, and refuses one more than the cap or none', () => {
    expect(judgeTagTargets('web', ['i-1', 'i-2'], 2)).toEqual({ ok: true, instanceIds: ['i-1', 'i-2'] });
    expect(judgeTagTargets('web', ['i-1', 'i-2', 'i-3'], 2)).toEqual({
      ok: false,
      kind: 'too_many',
      reason: 'Not run: more than 2 assets of this company are tagged "web", more than it may run on at once (limit 2)',
    });
    expect(judgeTagTargets('web', [], 5)).toMatchObject({ ok: false, kind: 'none' });
  });

  it('says where a runbook runs', () => {
    expect(describeTarget(null)).toBe("the incident's asset");
    expect(describeTarget('web')).toBe('every asset of the incident\'s company tagged "web"');
  });
});

describe('target tag on a draft', () => {
  const good: RunbookDraft = {
    name: 'Flush',
    description: '',
    signatures: ['cache_stale'],
    riskLevel: 'low',
    documentName: 'AWS-RunShellScript',
    commands: ['true'],
    parameters: {},
    timeoutSeconds: 60,
  };

  it('accepts no tag or a plain one, and refuses blanks, spaces, patterns and long ones by field', () => {
    expect(targetTagProblem(null)).toBeNull();
    expect(targetTagProblem('env=prod')).toBeNull();
    for (const bad of ['', 'two words', 'web*', 'x'.repeat(41), "web'"]) expect(targetTagProblem(bad)).not.toBeNull();
    expect(draftProblems({ ...good, targetTag: 'web tier' }).map((p) => p.field)).toEqual(['targetTag']);
    expect(draftProblems({ ...good, targetTag: 'web' })).toEqual([]);
  });

  it('shows a changed target in the version diff', () => {
    expect(diffDrafts(good, { ...good, targetTag: 'web' })).toEqual([{ field: 'targetTag', before: '', after: 'web' }]);
  });
});
