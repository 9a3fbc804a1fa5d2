// "Run this runbook on this incident": a person's request, apart from Temporal like incident-state.ts. The request
// goes through the same gate as the automation's decision: medium and high risk wait for an approver (the requester
// recorded, for four-eyes), low risk runs at once; either way the remediation step runs it.
import { record, refuseActor, requestApproval, withComment, type Journal, type Refusal } from './incident-state.ts';
import type { IncidentState, RunRunbookCommand } from './types.ts';

export function refuseRun(s: IncidentState, cmd: RunRunbookCommand, ready: boolean): Refusal | null {
  const actor = refuseActor(s, cmd);
  if (actor) return actor;
  // Another company's runbook reads as missing, like any object of another tenant.
  if (!cmd.runbook || cmd.runbookCompanyId !== s.companyId) {
    return {
      type: cmd.runbook ? 'ForeignRunbook' : 'UnknownRunbook',
      message: `Runbook ${cmd.runbookId} not found among this incident's company's runbooks`,
    };
  }
  if (s.status === 'resolved') return { type: 'IncidentNotOpen', message: 'Incident is resolved; reopen it first' };
  if (s.status === 'remediating' || s.status === 'awaiting_approval') {
    const what = s.status === 'remediating' ? 'A runbook is running' : 'A runbook is waiting for approval';
    return { type: 'RunInFlight', message: `${what} on this incident; wait for it or decide it first` };
  }
  // Until the automation has decided (the group wait), its decision could still start a run of its own.
  if (!ready || !s.decision) {
    return { type: 'DecisionPending', message: 'The incident is still being decided; try again in a moment' };
  }
  return null;
}

/** Records the request; the incident then waits for an approver or goes on to remediate. */
export function requestRun(
  s: IncidentState,
  j: Journal,
  now: string,
  cmd: RunRunbookCommand,
  approvalTimeoutSeconds: number,
): void {
  const runbook = cmd.runbook!;
  const needsApproval = runbook.riskLevel !== 'low';
  const what = `runbook "${runbook.name}"${runbook.version ? ` v${runbook.version}` : ''} (${runbook.riskLevel} risk)`;
  s.decision = {
    action: needsApproval ? 'request_approval' : 'auto_remediate',
    runbook,
    reasoning: `${cmd.actor.email} asked to run ${what} on this incident.`,
    source: 'rules',
    confidence: 1,
  };
  s.runRequestedBy = cmd.actor.email;
  record(
    s,
    j,
    now,
    'run_requested',
    withComment(`Run of ${what} requested by ${cmd.actor.email}`, cmd),
    cmd.actor.email,
    {
      runbookId: runbook.id,
      version: runbook.version ?? null,
      riskLevel: runbook.riskLevel,
    },
  );
  if (needsApproval) {
    requestApproval(s, j, now, approvalTimeoutSeconds, {
      requestedBy: { userId: cmd.actor.userId, email: cmd.actor.email },
      fourEyes: cmd.fourEyes,
    });
  } else {
    s.approval = null;
    s.status = 'remediating';
  }
}
