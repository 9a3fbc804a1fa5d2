// The approval's transitions and checks, apart from Temporal like incident-state.ts: a runbook waits for a person,
// the person approves or rejects it, or the deadline passes; the validators say why a person's decision is refused
// (wrong incident, wrong company, nothing pending, too late, too junior a role, four-eyes) instead of throwing.
import { canApprove } from '../domain/rules.ts';
import { record, withComment, type Journal, type Refusal } from './journal.ts';
import type { IncidentCommand, IncidentState } from './types.ts';

/** The runbook waits for a person until now + timeout; `by` is the person who asked for the run, if one did. */
export function requestApproval(
  s: IncidentState,
  j: Journal,
  now: string,
  timeoutSeconds: number,
  by?: { requestedBy: { userId: string; email: string }; fourEyes: boolean },
): void {
  const runbook = s.decision!.runbook!;
  s.status = 'awaiting_approval';
  s.approval = {
    status: 'pending',
    riskLevel: runbook.riskLevel,
    requestedAt: now,
    deadline: new Date(Date.parse(now) + timeoutSeconds * 1000).toISOString(),
    decidedBy: null,
    decidedAt: null,
    comment: null,
    ...by,
  };
  record(
    s,
    j,
    now,
    'approval_requested',
    `Approval requested for ${runbook.riskLevel}-risk runbook "${runbook.name}" (expires ${s.approval.deadline})`,
  );
}

export function expireApproval(s: IncidentState, j: Journal, now: string, timeoutSeconds: number): void {
  s.approval!.status = 'expired';
  record(
    s,
    j,
    now,
    'approval_expired',
    `No decision within the approval timeout (${Math.round(timeoutSeconds / 60)} min)`,
  );
}

export function decideApproval(
  s: IncidentState,
  j: Journal,
  now: string,
  status: 'approved' | 'rejected',
  cmd: IncidentCommand,
): void {
  const approval = s.approval!;
  approval.status = status;
  approval.decidedBy = cmd.actor.email;
  approval.decidedAt = now;
  approval.comment = cmd.comment ?? null;
  record(s, j, now, status, withComment(`Runbook ${status} by ${cmd.actor.email}`, cmd), cmd.actor.email);
}

export function refuseActor(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  if (cmd.incidentId !== s.incidentId) {
    return { type: 'IncidentClosed', message: 'That incident is closed; a newer incident of the same alert is open' };
  }
  if (cmd.actor.role !== 'msp_admin' && !cmd.actor.companyIds.includes(s.companyId)) {
    return { type: 'Forbidden', message: 'You do not have access to this incident' };
  }
  return null;
}

export function refuseApprovalDecision(
  s: IncidentState,
  cmd: IncidentCommand,
  nowMs: number,
  decision: 'approved' | 'rejected' = 'approved',
): Refusal | null {
  const actor = refuseActor(s, cmd);
  if (actor) return actor;
  if (!s.approval || s.status !== 'awaiting_approval') {
    return { type: 'NoPendingApproval', message: `Incident is ${s.status}; there is no approval pending` };
  }
  if (s.approval.status !== 'pending') {
    return {
      type: 'AlreadyDecided',
      message: `Approval was already ${s.approval.status} by ${s.approval.decidedBy ?? 'the timeout'}`,
    };
  }
  // The timer may not have fired yet (a worker outage, a busy activation): the deadline itself decides.
  if (nowMs >= Date.parse(s.approval.deadline)) {
    return { type: 'ApprovalExpired', message: `The approval deadline (${s.approval.deadline}) has passed` };
  }
  if (!canApprove(cmd.actor.role, s.approval.riskLevel)) {
    return {
      type: 'InsufficientRole',
      message: `A ${cmd.actor.role} may not approve a ${s.approval.riskLevel}-risk runbook`,
    };
  }
  // Four-eyes: whoever asked for the run may withdraw it (reject) but never be the second pair of eyes.
  if (decision === 'approved' && s.approval.fourEyes && s.approval.requestedBy?.userId === cmd.actor.userId) {
    return {
      type: 'FourEyes',
      message: 'Four-eyes approval is on for this company: another person must approve the run you requested',
    };
  }
  return null;
}
