// What people do to an incident, apart from Temporal: acknowledge, start work, assign, resolve with a note,
// reopen. Like incident-state.ts each transition changes the state it is given and journals its timeline event;
// each validator returns the refusal (a type the API maps to a code, and a message the person reads).
import type {
  AbsorbCommand,
  AssignCommand,
  DetachCommand,
  IncidentCommand,
  IncidentState,
  MergeCommand,
} from './types.ts';
import { maxSeverity } from '../domain/severity.ts';
import type { IncidentStatus } from '../domain/types.ts';
import {
  MAX_TOOL_SOURCES,
  record,
  refuseActor,
  resolve,
  withComment,
  type Journal,
  type Refusal,
} from './incident-state.ts';

/** Statuses in which a person owns the incident: the automation has handed it over or not taken it yet. */
const HELD_BY_PEOPLE: readonly IncidentStatus[] = ['new', 'acknowledged', 'in_progress', 'escalated', 'reopened'];

export function heldByPeople(s: IncidentState): boolean {
  return HELD_BY_PEOPLE.includes(s.status);
}

/** A person has the incident in hand: the decision and the escalation to "escalated" leave their status alone. */
export function takenByPerson(s: IncidentState): boolean {
  return s.status === 'acknowledged' || s.status === 'in_progress';
}

function refuseClosed(s: IncidentState): Refusal | null {
  return s.status === 'resolved' ? { type: 'AlreadyResolved', message: 'Incident is already resolved' } : null;
}

/**
 * Stops the response clock. While the automation holds the incident (an approval pending, a runbook running)
 * the status stays theirs; otherwise it becomes acknowledged.
 */
export function acknowledge(s: IncidentState, j: Journal, now: string, cmd: IncidentCommand): void {
  s.acknowledgement = { by: cmd.actor.email, at: now };
  if (s.status === 'new' || s.status === 'escalated' || s.status === 'reopened') s.status = 'acknowledged';
  record(s, j, now, 'acknowledged', withComment(`Acknowledged by ${cmd.actor.email}`, cmd), cmd.actor.email);
}

export function refuseAcknowledge(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  if (s.acknowledgement && s.status !== 'reopened') {
    return { type: 'AlreadyAcknowledged', message: `Already acknowledged by ${s.acknowledgement.by}` };
  }
  return null;
}

/** Someone is working on it: implies an acknowledgement, and makes them the assignee if nobody is. */
export function startWork(s: IncidentState, j: Journal, now: string, cmd: IncidentCommand): void {
  if (!s.acknowledgement || s.status === 'reopened') s.acknowledgement = { by: cmd.actor.email, at: now };
  if (!s.assignee) s.assignee = { userId: cmd.actor.userId, email: cmd.actor.email, at: now, by: cmd.actor.email };
  s.status = 'in_progress';
  record(s, j, now, 'in_progress', withComment(`Work started by ${cmd.actor.email}`, cmd), cmd.actor.email);
}

export function refuseStartWork(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  if (s.status === 'in_progress') return { type: 'AlreadyInProgress', message: 'Work on this incident has started' };
  if (!heldByPeople(s)) {
    const what = s.status === 'remediating' ? 'A runbook is running' : 'A runbook is waiting for approval';
    return { type: 'AutomationRunning', message: `${what}; decide or wait for it before starting work by hand` };
  }
  return null;
}

export function assign(s: IncidentState, j: Journal, now: string, cmd: AssignCommand): void {
  const previous = s.assignee?.email ?? null;
  s.assignee = { userId: cmd.assignee.userId, email: cmd.assignee.email, at: now, by: cmd.actor.email };
  const text =
    cmd.assignee.userId === cmd.actor.userId
      ? `Taken by ${cmd.assignee.email}`
      : `Assigned to ${cmd.assignee.email} by ${cmd.actor.email}`;
  record(s, j, now, 'assigned', withComment(text, cmd), cmd.actor.email, {
    assignee: cmd.assignee.email,
    previous,
  });
}

export function refuseAssign(s: IncidentState, cmd: AssignCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  // A technician takes work; handing it to someone else is a lead's call, as in PagerDuty's responder role.
  if (cmd.actor.role === 'technician' && cmd.assignee.userId !== cmd.actor.userId) {
    return { type: 'InsufficientRole', message: 'A technician may only assign an incident to themselves' };
  }
  if (s.assignee?.userId === cmd.assignee.userId) {
    return { type: 'AlreadyAssigned', message: `Already assigned to ${s.assignee.email}` };
  }
  return null;
}

/** A person closes the incident; their comment is the resolution note. */
export function resolveByHand(s: IncidentState, j: Journal, now: string, cmd: IncidentCommand): void {
  s.resolutionNote = cmd.comment ?? null;
  resolve(s, j, now, withComment(`Resolved by ${cmd.actor.email}`, cmd), cmd.actor.email, false);
}

export function refuseResolve(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  if (s.status === 'remediating') {
    return {
      type: 'RemediationRunning',
      message: 'A runbook is running; wait for its result before resolving by hand',
    };
  }
  return null;
}

/**
 * The problem is back, or the fix was not one: the incident opens again for people, keeping its history, alerts
 * and SLA deadlines (a resolution deadline already passed breaches at once: the resolution did not hold).
 */
export function reopen(s: IncidentState, j: Journal, now: string, cmd: IncidentCommand): void {
  s.status = 'reopened';
  s.resolvedAt = null;
  s.resolutionNote = null;
  s.autoRemediated = false;
  s.reopenCount = (s.reopenCount ?? 0) + 1;
  record(s, j, now, 'reopened', withComment(`Reopened by ${cmd.actor.email}`, cmd), cmd.actor.email);
}

export function refuseReopen(s: IncidentState, cmd: IncidentCommand): Refusal | null {
  const refusal = refuseActor(s, cmd);
  if (refusal) return refusal;
  if (s.status !== 'resolved') return { type: 'NotResolved', message: `Incident is ${s.status}, not resolved` };
  return null;
}

// ---- assignment by the rotation ---------------------------------------------------------------

/** The rotation gives an unowned incident to the person on call (or next in the round-robin). */
export function assignFromRotation(
  s: IncidentState,
  j: Journal,
  now: string,
  person: { userId: string; email: string },
): void {
  s.assignee = { userId: person.userId, email: person.email, at: now, by: null };
  const on = s.category ? ` (on call for ${s.category})` : ' (on call)';
  record(s, j, now, 'assigned', `Assigned to ${person.email}${on}`, null, { assignee: person.email, previous: null });
}

/** Nobody acknowledged in time: the incident moves to the next in line, and the one who had it is skipped from now. */
export function passOver(
  s: IncidentState,
  j: Journal,
  now: string,
  next: { userId: string; email: string } | null,
  ackTimeoutMinutes: number,
): void {
  const previous = s.assignee;
  if (previous) s.passedOver = [...(s.passedOver ?? []), previous.userId];
  const who = previous?.email ?? 'nobody';
  if (next) s.assignee = { userId: next.userId, email: next.email, at: now, by: null };
  record(
    s,
    j,
    now,
    'ack_timeout',
    `Not acknowledged by ${who} within ${ackTimeoutMinutes} min` +
      (next ? `; handed to ${next.email}` : '; nobody else is in line'),
    null,
    { previous: previous?.email ?? null, assignee: next?.email ?? null },
  );
}

/** Whether the incident waits on its assignee's acknowledgement (the ack timeout runs). */
export function awaitingAcknowledgement(s: IncidentState): boolean {
  return heldByPeople(s) && s.assignee != null && s.acknowledgement === null;
}

// ---- merge and split by hand ------------------------------------------------------------------

/** This incident ends, merged into another; the person's link between the two is the resolution note. */
export function mergeInto(s: IncidentState, j: Journal, now: string, cmd: MergeCommand): void {
  s.mergedInto = cmd.into.incidentId;
  s.resolutionNote = `Merged into ${cmd.into.label}`;
  const message = cmd.byCorrelation
    ? `Merged into ${cmd.into.label}: the host fault that followed on its asset`
    : withComment(`Merged into ${cmd.into.label} by ${cmd.actor.email}`, cmd);
  const actor = cmd.byCorrelation ? null : cmd.actor.email;
  resolve(s, j, now, message, actor, false);
  j.events.at(-1)!.data = { mergedInto: cmd.into.incidentId };
}

export function refuseMerge(s: IncidentState, cmd: MergeCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  if (cmd.into.incidentId === s.incidentId) return { type: 'SameIncident', message: 'An incident cannot take itself' };
  if (s.status === 'remediating') {
    return { type: 'RemediationRunning', message: 'A runbook is running; merge it once the runbook has finished' };
  }
  // The correlation only folds in an incident no person has taken up: their work is never taken from them.
  if (cmd.byCorrelation && (s.acknowledgement !== null || s.status === 'in_progress' || s.status === 'reopened')) {
    return { type: 'TakenUp', message: `The incident is ${s.status}; it stays as it is` };
  }
  return null;
}

export function absorbMerged(s: IncidentState, j: Journal, now: string, cmd: AbsorbCommand): void {
  const src = cmd.source;
  if (s.absorbed?.includes(src.incidentId)) return;
  s.absorbed = [...(s.absorbed ?? []), src.incidentId].slice(-100);
  s.alertCount += src.alertCount;
  s.severity = maxSeverity(s.severity, src.severity);
  for (const t of src.toolSources)
    if (!s.toolSources.includes(t) && s.toolSources.length < MAX_TOOL_SOURCES) s.toolSources.push(t);
  const message = cmd.byCorrelation
    ? `Took in ${src.label} (${src.alertCount} alerts): symptoms seen on the asset just before this host fault`
    : withComment(`Took in ${src.label} (${src.alertCount} alerts), merged by ${cmd.actor.email}`, cmd);
  record(s, j, now, 'merged', message, cmd.byCorrelation ? null : cmd.actor.email, {
    source: src.incidentId,
    alertCount: src.alertCount,
  });
}

export function refuseAbsorb(s: IncidentState, cmd: AbsorbCommand): Refusal | null {
  return refuseActor(s, cmd) ?? refuseClosed(s);
}

export function detach(s: IncidentState, j: Journal, now: string, cmd: DetachCommand): void {
  // Plain repeats are counted in PostgreSQL, not here: the count keeps at least the alert that opened it.
  s.alertCount = Math.max(s.alertCount - cmd.alertCount, 1);
  record(
    s,
    j,
    now,
    'split',
    withComment(`${cmd.alertCount} alert(s) split off into a new incident by ${cmd.actor.email}`, cmd),
    cmd.actor.email,
  );
}

/** Whether any alert stays behind is the API's check: it sees every linked alert, repeats included. */
export function refuseDetach(s: IncidentState, cmd: DetachCommand): Refusal | null {
  const refusal = refuseActor(s, cmd) ?? refuseClosed(s);
  if (refusal) return refusal;
  if (cmd.alertCount < 1) return { type: 'InvalidSplit', message: 'Split off at least one alert' };
  return null;
}
