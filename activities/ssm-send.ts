// Sending an attempt's command at most once (activities/ssm.ts claims the attempt first). The mark "Sending" is
// committed before SendCommand, so a try that died mid-call (worker SIGKILLed, database session killed) leaves it; a
// later try then looks the command up by instance and comment before any new send.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Sql } from '../db/sql.ts';
import type { Runbook } from '../domain/types.ts';
import {
  SEND_IN_FLIGHT_MS,
  SEND_OVERLAP_POLL_MS,
  SEND_OVERLAP_WAIT_MS,
  executionTimeoutSeconds,
} from '../domain/ssm-timing.ts';
import { asActivityFailure, findSentCommand, refusedByAws, sendCommand } from './ssm-aws.ts';
import type { ClaimRow } from './ssm-claim.ts';

export interface SendInput {
  companyId: string;
  incidentId: string;
  attempt: number;
  runbook: Runbook;
}

/** The running activity's context, or null when called outside one (a preview, a script, a test). */
export function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/** Sleeps as the activity (cancellable) when there is one. */
function pause(ms: number): Promise<void> {
  const ctx = activityContext();
  return ctx ? ctx.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
}

export function noTarget(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'NoSsmTarget');
}

const commentFor = (incidentId: string, attempt: number): string =>
  `Alert Whisperer incident ${incidentId} attempt ${attempt}`;

/** Where a try of the send found the attempt's claim. */
type SendState =
  { kind: 'recorded'; commandId: string } | { kind: 'unsent' } | { kind: 'maybe_sent'; marker: string; ageMs: number };

export function createSender(sql: Sql, overlapWaitMs = SEND_OVERLAP_WAIT_MS) {
  async function sendState(incidentId: string, attempt: number): Promise<SendState> {
    // The marker travels as PostgreSQL's own text: a JavaScript Date would drop its microseconds, and a try taking
    // over compares it exactly.
    const [row] = await sql<{ commandId: string; marker: string | null; ageMs: number | null }[]>`
      SELECT command_id AS "commandId", send_started_at::text AS marker,
             (extract(epoch FROM clock_timestamp() - send_started_at) * 1000)::float8 AS "ageMs"
      FROM executions WHERE incident_id = ${incidentId} AND attempt = ${attempt}`;
    if (!row) throw new Error(`Execution claim for incident ${incidentId} attempt ${attempt} vanished`);
    if (row.commandId) return { kind: 'recorded', commandId: row.commandId };
    if (!row.marker) return { kind: 'unsent' };
    return { kind: 'maybe_sent', marker: row.marker, ageMs: row.ageMs ?? 0 };
  }

  async function recordCommand(incidentId: string, attempt: number, commandId: string): Promise<void> {
    await sql`
      UPDATE executions SET command_id = ${commandId}, status = 'InProgress'
      WHERE incident_id = ${incidentId} AND attempt = ${attempt} AND command_id = ''`;
  }

  /**
   * Takes the send and commits that (status 'Sending', the marker) in the transaction that re-checks, with the
   * targets share-locked, that every instance still belongs to the company; then calls SSM with no transaction
   * open, so a database session that dies mid-call takes nothing with it. `expected` is the marker this try saw
   * (null: none): if another try took the send meanwhile, this one returns false and looks again.
   */
  async function sendUnderMarker(
    input: SendInput,
    claim: ClaimRow,
    client: SSMClient,
    expected: string | null,
  ): Promise<boolean> {
    const marker = await sql.begin(async (tx) => {
      const own = await tx<{ instanceId: string }[]>`
        SELECT instance_id AS "instanceId" FROM assets
        WHERE company_id = ${input.companyId} AND instance_id = ANY(${claim.instanceIds}) FOR SHARE`;
      const missing = claim.instanceIds.filter((id) => !own.some((o) => o.instanceId === id));
      if (missing.length) {
        throw noTarget(
          `Instance ${missing.join(', ')} is no longer registered to an asset of this company, so nothing was sent`,
        );
      }
      const [taken] = await tx<{ marker: string }[]>`
        UPDATE executions SET send_started_at = clock_timestamp(), status = 'Sending'
        WHERE incident_id = ${input.incidentId} AND attempt = ${input.attempt} AND command_id = ''
          AND send_started_at IS NOT DISTINCT FROM ${expected}::timestamptz
        RETURNING send_started_at::text AS marker`;
      return taken?.marker ?? null;
    });
    if (!marker) return false;
    let commandId: string;
    try {
      commandId = await sendCommand(client, {
        instanceIds: claim.instanceIds,
        documentName: claim.documentName,
        commands: claim.commands,
        comment: commentFor(input.incidentId, input.attempt),
        executionTimeoutSeconds: executionTimeoutSeconds(input.runbook),
      });
    } catch (err) {
      await settleFailedSend(input, marker, err);
      throw asActivityFailure(err);
    }
    // If this write fails (the database is away), the retry finds the command by its comment.
    await recordCommand(input.incidentId, input.attempt, commandId);
    return true;
  }

  /**
   * After SendCommand failed: when AWS answered with a refusal nothing was sent, so the marker is cleared (the
   * retry sends at once) and a final refusal no longer counts as a running command. Any other failure (a 5xx, the
   * network) leaves the marker: the command may exist, and the retry looks it up first.
   */
  async function settleFailedSend(input: SendInput, marker: string, err: unknown): Promise<void> {
    if (!refusedByAws(err)) return;
    const failure = asActivityFailure(err);
    const final = failure instanceof ApplicationFailure && failure.nonRetryable;
    await sql`
      UPDATE executions
      SET send_started_at = NULL,
          status = ${final ? 'NotSent' : 'Claimed'},
          finished_at = ${final ? sql`now()` : null}
      WHERE incident_id = ${input.incidentId} AND attempt = ${input.attempt} AND command_id = ''
        AND send_started_at = ${marker}::timestamptz`.catch(() => {});
  }

  /**
   * The attempt's command: the one recorded, the one an earlier try sent (found by instance and comment), or, only
   * when no try can have sent one, a new one. A try that marked the claim may still be mid-call (an overlapping
   * retry) or dead (its worker or session gone): this one looks the command up, waits a little for the other to
   * record it, and sends only once the other's SendCommand can no longer land (SEND_IN_FLIGHT_MS).
   */
  async function sendOnce(input: SendInput, claim: ClaimRow, client: SSMClient): Promise<string> {
    const comment = commentFor(input.incidentId, input.attempt);
    const waitUntil = Date.now() + overlapWaitMs;
    for (let round = 0; round < 100; round++) {
      const state = await sendState(input.incidentId, input.attempt);
      if (state.kind === 'recorded') return state.commandId;
      if (state.kind === 'unsent') {
        await sendUnderMarker(input, claim, client, null);
        continue;
      }
      const found = await findSentCommand(client, claim.instanceIds[0]!, comment).catch((err: unknown) => {
        throw asActivityFailure(err);
      });
      if (found) {
        await recordCommand(input.incidentId, input.attempt, found);
        continue;
      }
      if (state.ageMs >= SEND_IN_FLIGHT_MS) {
        await sendUnderMarker(input, claim, client, state.marker);
        continue;
      }
      if (Date.now() < waitUntil) {
        await pause(SEND_OVERLAP_POLL_MS);
        continue;
      }
      // Its SendCommand may still land: Temporal tries again once it no longer can, rather than send a second one.
      throw ApplicationFailure.create({
        message: `An earlier send of incident ${input.incidentId} attempt ${input.attempt} may still be in flight`,
        type: 'SsmSendInFlight',
        nextRetryDelay: Math.ceil(SEND_IN_FLIGHT_MS - state.ageMs) + 1_000,
      });
    }
    throw ApplicationFailure.retryable(
      `The send of incident ${input.incidentId} attempt ${input.attempt} kept changing hands`,
      'SsmSendContended',
    );
  }

  return { sendOnce, recordCommand };
}
