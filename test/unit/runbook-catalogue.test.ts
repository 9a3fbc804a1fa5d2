// The starter catalogue: every entry passes the validation a save applies, and it covers Linux and Windows.
import { describe, expect, it } from 'vitest';
import { catalogueDraft, RUNBOOK_CATALOGUE } from '../../domain/runbook-catalogue.ts';
import { diffDrafts, draftProblems, type RunbookDraft } from '../../domain/runbook.ts';
import { renderCommands, shellFor } from '../../domain/runbook-template.ts';

describe('runbook catalogue', () => {
  it('holds at least 10 runbooks for Linux and Windows with unique keys, names and exact signatures', () => {
    expect(RUNBOOK_CATALOGUE.length).toBeGreaterThanOrEqual(10);
    expect(new Set(RUNBOOK_CATALOGUE.map((e) => e.platform))).toEqual(new Set(['linux', 'windows']));
    expect(new Set(RUNBOOK_CATALOGUE.map((e) => e.key)).size).toBe(RUNBOOK_CATALOGUE.length);
    expect(new Set(RUNBOOK_CATALOGUE.map((e) => e.name)).size).toBe(RUNBOOK_CATALOGUE.length);
    const exact = RUNBOOK_CATALOGUE.flatMap((e) => e.signatures.filter((s) => !s.includes('*')));
    expect(new Set(exact).size).toBe(exact.length);
  });

  it.each(RUNBOOK_CATALOGUE.map((e) => [e.key, e] as const))('%s passes the save validation and renders', (_k, e) => {
    const draft = catalogueDraft(e);
    expect(draftProblems(draft)).toEqual([]);
    const rendered = renderCommands(
      draft.commands,
      shellFor(draft.documentName),
      {
        asset: '$(rm -rf /)',
        signature: e.signatures[0]!,
        severity: 'high',
        incidentId: 'inc-1',
        labels: { container: "web'; reboot; '" },
      },
      draft.parameters,
    );
    expect(rendered).toHaveLength(draft.commands.length);
    expect(e.platform === 'windows').toBe(draft.documentName === 'AWS-RunPowerShellScript');
  });
});

describe('draftProblems', () => {
  const good: RunbookDraft = {
    name: 'Restart',
    description: '',
    signatures: ['service_down:*'],
    riskLevel: 'medium',
    documentName: 'AWS-RunShellScript',
    commands: ['systemctl restart -- {{param.service}}'],
    parameters: { service: 'nginx' },
    timeoutSeconds: 600,
  };

  it('names each bad field', () => {
    const fields = (d: Partial<RunbookDraft>) => draftProblems({ ...good, ...d }).map((p) => p.field);
    expect(fields({})).toEqual([]);
    expect(fields({ name: ' ' })).toEqual(['name']);
    expect(fields({ signatures: [] })).toEqual(['signatures']);
    expect(fields({ signatures: ['ok', 'a(b|c)+'] })).toEqual(['signatures.1']);
    expect(fields({ signatures: ['*'] })).toEqual(['signatures.0']);
    expect(fields({ signatures: ['a', 'a'] })).toEqual(['signatures.1']);
    expect(fields({ documentName: 'x' })).toEqual(['documentName']);
    expect(fields({ commands: ['echo {{hostname}}'] })).toEqual(['commands.0']);
    expect(fields({ parameters: {} })).toEqual(['commands.0']);
    expect(fields({ timeoutSeconds: 5 })).toEqual(['timeoutSeconds']);
    expect(fields({ riskLevel: 'extreme' as never })).toEqual(['riskLevel']);
  });

  it('diffs two versions field by field', () => {
    expect(diffDrafts(good, { ...good, riskLevel: 'low', commands: [...good.commands, 'true'] })).toEqual([
      { field: 'riskLevel', before: 'medium', after: 'low' },
      { field: 'commands', before: good.commands[0], after: `${good.commands[0]}\ntrue` },
    ]);
  });
});
