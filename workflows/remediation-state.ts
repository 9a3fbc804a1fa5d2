// A runbook's run on the incident, apart from Temporal like incident-state.ts: the command sent (or what a dry run
// would send), then how it finished, each journalled as a timeline event.
import { record, type Journal } from './journal.ts';
import type { IncidentState, SsmCommandRef, SsmCommandResult } from './types.ts';

export function startRemediation(s: IncidentState, j: Journal, now: string, ref: SsmCommandRef): void {
  s.execution = { ...ref, status: 'InProgress', output: null, error: null, finishedAt: null };
  const verb = ref.executor === 'dry_run' ? 'DRY RUN: would send' : 'Sent';
  const count = `(${ref.commands.length} command(s))`;
  // Only the incident's company's registered instance is ever a target (activities/ssm.ts): without one, say so.
  const target =
    ref.instanceIds.length > 0
      ? `to ${ref.instanceIds.join(', ')} ${count}`
      : `${count} with no target (the asset has no registered instance id)`;
  record(s, j, now, 'remediation_started', `${verb} ${ref.documentName} ${target}`, null, {
    commandId: ref.commandId,
    executor: ref.executor,
    commands: ref.commands,
  });
}

export function finishRemediation(s: IncidentState, j: Journal, now: string, result: SsmCommandResult): void {
  s.execution = {
    ...s.execution!,
    status: result.status,
    output: result.output,
    error: result.error,
    finishedAt: result.finishedAt,
    // Per-instance endings without a second copy of the output (the state is saved on every change).
    ...(result.instances ? { instances: result.instances.map(({ output: _o, error: _e, ...rest }) => rest) } : {}),
  };
  record(s, j, now, 'remediation_finished', `Runbook "${s.decision!.runbook!.name}" finished: ${result.status}`, null, {
    status: result.status,
  });
}
