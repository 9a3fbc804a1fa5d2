// A failure caught in the workflow, read two ways: its facts, for the tenant's sentence (domain/failure-text.ts),
// and its raw text, for the server log and the field only MSP admins read.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ServerFailure,
  TerminatedFailure,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';
import { tenantFailureText, type FailureFacts, type FailureStage } from '../domain/failure-text.ts';

/** Raw details are kept whole enough to diagnose, short enough for a timeline row. */
const DETAIL_MAX = 2_000;

export interface CaughtFailure extends FailureFacts {
  /** The raw text: activity, error type and message, and the causes below them. */
  raw: string;
}

export function failureOf(err: unknown): CaughtFailure {
  const parts: string[] = [];
  let e: unknown = err;
  if (e instanceof ActivityFailure) {
    parts.push(`${e.activityType ?? 'activity'} failed`);
    e = e.cause ?? e;
  }
  const facts = factsOf(e);
  for (let c: unknown = e; c instanceof Error && parts.length < 6; c = c.cause) {
    parts.push(c instanceof ApplicationFailure && c.type ? `${c.type}: ${c.message}` : `${c.name}: ${c.message}`);
  }
  if (!(e instanceof Error)) parts.push(String(e));
  return { ...facts, raw: parts.join(' — ').slice(0, DETAIL_MAX) };
}

function factsOf(e: unknown): FailureFacts {
  if (e instanceof ApplicationFailure) return { kind: 'application', type: e.type ?? null, message: e.message };
  if (e instanceof TimeoutFailure) return { kind: 'timeout', type: null, message: e.message };
  if (e instanceof CancelledFailure) return { kind: 'cancelled', type: null, message: e.message };
  if (e instanceof TerminatedFailure) return { kind: 'terminated', type: null, message: e.message };
  if (e instanceof ServerFailure) return { kind: 'server', type: null, message: e.message };
  if (e instanceof Error) return { kind: 'other', type: e.name, message: e.message };
  return { kind: 'other', type: null, message: String(e) };
}

/** The tenant's sentence and the raw detail of one failure. */
export function describeFailure(stage: FailureStage, err: unknown): { text: string; detail: string } {
  const f = failureOf(err);
  return { text: tenantFailureText(stage, f), detail: f.raw };
}

/** The workflow itself is being cancelled: that must propagate, not be recorded as a failure of the step. */
export function rethrowCancellation(err: unknown): void {
  if (isCancellation(err)) throw err;
}
