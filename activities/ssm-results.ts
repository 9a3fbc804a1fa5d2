// How a sent run ended: SSM polled per target instance until each invocation is terminal, the instances' outputs and
// errors put together (labelled by instance when there are several), or a dry run's account of what it would send;
// then the ending stored on the attempt's execution row.
import { Context } from '@temporalio/activity';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Sql } from '../db/sql.ts';
import { withCheckSentence } from '../domain/runbook-checks.ts';
import { MAX_POLL_INTERVAL_MS } from '../domain/ssm-timing.ts';
import type { InstanceResult, SsmCommandRef, SsmCommandResult } from '../workflows/types.ts';
import { asActivityFailure, readInvocation } from './ssm-aws.ts';

const TERMINAL = new Set([
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
]);
export function isTerminalSsmStatus(status: string): boolean {
  return TERMINAL.has(status);
}

export function dryRunOutput(ref: Pick<SsmCommandRef, 'documentName' | 'instanceIds' | 'commands'>): string {
  return [
    'DRY RUN: no AWS credentials are configured, so nothing was sent to AWS.',
    ...(ref.instanceIds.length
      ? [`Would send ${ref.documentName} to ${ref.instanceIds.join(', ')} with:`]
      : [
          'No instance id is registered for this asset in the inventory, so a live run would send nothing and',
          `escalate instead. Once one is registered, it would send ${ref.documentName} with:`,
        ]),
    ...ref.commands.map((c) => `  $ ${c}`),
  ].join('\n');
}

export function dryRunResult(ref: SsmCommandRef): SsmCommandResult {
  return { status: 'Success', output: dryRunOutput(ref), error: '', finishedAt: new Date().toISOString() };
}

/** Polls each target instance in turn, heartbeating, until its invocation is terminal; in an activity only. */
export async function pollResult(
  client: SSMClient,
  ref: SsmCommandRef,
  pollIntervalMs: number,
): Promise<SsmCommandResult> {
  const ctx = Context.current();
  const pollMs = Math.min(pollIntervalMs, MAX_POLL_INTERVAL_MS);
  const instances: InstanceResult[] = [];
  for (const instanceId of ref.instanceIds) {
    for (;;) {
      ctx.heartbeat({ instanceId });
      const done = await readInvocation(client, ref.commandId, instanceId, isTerminalSsmStatus).catch(
        (err: unknown) => {
          throw asActivityFailure(err);
        },
      );
      if (done) {
        // A failed pre-check or post-check (the wrapper's exit code) is said first in the instance's error.
        instances.push(withCheckSentence(ref.commands, done));
        break;
      }
      await ctx.sleep(pollMs);
    }
  }
  const many = instances.length > 1;
  const labelled = (pick: (i: InstanceResult) => string): string =>
    instances
      .filter((i) => pick(i))
      .map((i) => (many ? `[${i.instanceId}]\n${pick(i)}` : pick(i)))
      .join('\n');
  return {
    status: instances.find((i) => i.status !== 'Success')?.status ?? 'Success',
    output: labelled((i) => i.output),
    error: labelled((i) => i.error),
    finishedAt: new Date().toISOString(),
    instances,
  };
}

export async function recordResult(
  sql: Sql,
  incidentId: string,
  attempt: number,
  result: SsmCommandResult,
): Promise<void> {
  await sql`
    UPDATE executions SET status = ${result.status}, output = ${result.output}, error = ${result.error},
           finished_at = ${result.finishedAt}, invocations = ${result.instances ? sql.json(result.instances as never) : null}
    WHERE incident_id = ${incidentId} AND attempt = ${attempt}`;
}
