// The timeline line a runbook's start writes (workflows/incident-state.ts startRemediation), with and without the
// asset's registered instance id.
import { describe, expect, it } from 'vitest';
import * as T from '../../workflows/incident-state.ts';
import type { IncidentState, SsmCommandRef } from '../../workflows/types.ts';

const NOW = '2026-11-23T10:00:00.000Z';

function started(ref: Partial<SsmCommandRef>): string {
  const s = { version: 0, execution: null } as unknown as IncidentState;
  const j = T.emptyJournal();
  T.startRemediation(s, j, NOW, {
    executor: 'dry_run',
    attempt: 1,
    commandId: 'cmd-1',
    documentName: 'AWS-RunShellScript',
    instanceIds: [],
    commands: ['df -h /', 'uptime'],
    startedAt: NOW,
    ...ref,
  });
  return j.events.at(-1)!.message;
}

describe('startRemediation', () => {
  it('names the target instance', () => {
    expect(started({ instanceIds: ['i-0123456789abcdef0'] })).toBe(
      'DRY RUN: would send AWS-RunShellScript to i-0123456789abcdef0 (2 command(s))',
    );
    expect(started({ executor: 'ssm', instanceIds: ['i-0123456789abcdef0'] })).toBe(
      'Sent AWS-RunShellScript to i-0123456789abcdef0 (2 command(s))',
    );
  });

  it('says there is no target when the asset has no registered instance id, instead of a blank', () => {
    expect(started({ instanceIds: [] })).toBe(
      'DRY RUN: would send AWS-RunShellScript (2 command(s)) with no target (the asset has no registered instance id)',
    );
  });
});
