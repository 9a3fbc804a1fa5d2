// The journal every incident transition writes to, and the shapes they share: the timeline events not yet saved, the
// alert ids absorbed since the last save, and the refusal a validator returns for the workflow to raise. Kept apart
// from the transitions so each concern's module (incident-state.ts, approval-state.ts, remediation-state.ts, the
// people's commands) builds on it without importing the others.
import type { IncidentCommand, IncidentState, TimelineEvent } from './types.ts';

/** Timeline events not yet saved, and the alert ids absorbed since the last save (each save links only these). */
export interface Journal {
  events: TimelineEvent[];
  alertIds: string[];
}

export function emptyJournal(): Journal {
  return { events: [], alertIds: [] };
}

/** A refusal of a command: the workflow raises it as a non-retryable failure of this type. */
export interface Refusal {
  type: string;
  message: string;
}

export function record(
  s: IncidentState,
  j: Journal,
  now: string,
  kind: string,
  message: string,
  actor: string | null = null,
  data: Record<string, unknown> | null = null,
): void {
  s.version += 1;
  s.updatedAt = now;
  j.events.push({ seq: s.version, kind, message, actor, data, createdAt: now });
}

/** The event data holding a failure's raw error: only MSP admins read it (incidentFailureDetails). */
export function failureData(detail: string | undefined): Record<string, unknown> | null {
  return detail === undefined ? null : { internalDetail: detail };
}

/** A timeline line with the person's comment, when they gave one. */
export function withComment(text: string, cmd: IncidentCommand): string {
  return `${text}${cmd.comment ? `: ${cmd.comment}` : ''}`;
}
