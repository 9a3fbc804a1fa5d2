// Runs runbooks through AWS Systems Manager Run Command, or through the labelled dry-run executor
// when no AWS credentials are configured. Never a silent fake: a dry run says so everywhere.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { Sql } from '../db/sql.ts';
import type { Runbook } from '../domain/types.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import type { ExecutorKind, SsmCommandRef, SsmCommandResult } from '../workflows/types.ts';

export interface SsmDeps {
  sql: Sql;
  /** Which executor to use: 'auto' picks SSM when AWS credentials are configured, else dry run. */
  mode: 'auto' | 'ssm' | 'dry_run';
  credentialsConfigured: boolean;
  region: string;
  pollIntervalMs: number;
  /** Lets tests point the real SDK at an emulator; production uses the SDK's own resolution (AWS_ENDPOINT_URL_SSM). */
  endpoint?: string;
}

export interface SendSsmCommandInput {
  companyId: string;
  incidentId: string;
  attempt: number;
  assetName: string;
  runbook: Runbook;
}

interface ExecutionRow {
  executor: ExecutorKind;
  command_id: string;
  document_name: string;
  instance_ids: string[];
  commands: string[];
  started_at: string;
}

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
const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;

export function isTerminalSsmStatus(status: string): boolean {
  return TERMINAL.has(status);
}

export function dryRunOutput(ref: Pick<SsmCommandRef, 'documentName' | 'instanceIds' | 'commands'>): string {
  return [
    'DRY RUN: no AWS credentials are configured, so nothing was sent to AWS.',
    `Would send ${ref.documentName} to ${ref.instanceIds.join(', ')} with:`,
    ...ref.commands.map((c) => `  $ ${c}`),
  ].join('\n');
}

export function createSsmActivities(deps: SsmDeps) {
  const { sql } = deps;
  const clients = new Map<string, SSMClient>();

  function clientFor(settings: CompanySettings): SSMClient {
    const region = settings.ssm?.region ?? deps.region;
    const endpoint = settings.ssm?.endpoint ?? deps.endpoint;
    const key = `${region}|${endpoint ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      // Bounded requests: an SSM call that hangs must fail inside the activity's timeout and be retried.
      client = new SSMClient({
        region,
        ...(endpoint ? { endpoint } : {}),
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
      });
      clients.set(key, client);
    }
    return client;
  }

  async function companySettings(companyId: string): Promise<CompanySettings> {
    const [row] = await sql<{ settings: CompanySettings }[]>`SELECT settings FROM companies WHERE id = ${companyId}`;
    if (!row) throw ApplicationFailure.nonRetryable(`Company ${companyId} not found`, 'InvalidSsmRequest');
    return row.settings ?? {};
  }

  function executorFor(settings: CompanySettings): ExecutorKind {
    if (deps.mode === 'ssm') return 'ssm';
    if (deps.mode === 'dry_run') return 'dry_run';
    return deps.credentialsConfigured || settings.ssm?.endpoint ? 'ssm' : 'dry_run';
  }

  async function sendCommand(
    client: SSMClient,
    c: { instanceIds: string[]; documentName: string; commands: string[]; comment: string },
  ): Promise<string> {
    const out = await client.send(
      new SendCommandCommand({
        InstanceIds: c.instanceIds,
        DocumentName: c.documentName,
        Parameters: { commands: c.commands },
        Comment: c.comment.slice(0, 100),
        TimeoutSeconds: 600,
      }),
    );
    if (!out.Command?.CommandId) throw new Error(`SSM SendCommand (${c.comment}) returned no CommandId`);
    return out.Command.CommandId;
  }

  /** A command an earlier, interrupted try of this activity already sent, recognised by its comment. */
  async function findSentCommand(client: SSMClient, instanceId: string, comment: string): Promise<string | null> {
    let nextToken: string | undefined;
    for (let page = 0; page < 5; page++) {
      const out = await client.send(
        new ListCommandsCommand({ InstanceId: instanceId, MaxResults: 50, NextToken: nextToken }),
      );
      const hit = out.Commands?.find((c) => c.Comment === comment.slice(0, 100));
      if (hit?.CommandId) return hit.CommandId;
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
    return null;
  }

  return {
    async sendSsmCommand(input: SendSsmCommandInput): Promise<SsmCommandRef> {
      const settings = await companySettings(input.companyId);
      const executor = executorFor(settings);
      const [asset] = await sql<{ instance_id: string | null }[]>`
        SELECT instance_id FROM assets WHERE company_id = ${input.companyId} AND name = ${input.assetName}`;
      const instanceId = asset?.instance_id ?? (INSTANCE_ID.test(input.assetName) ? input.assetName : null);
      if (executor === 'ssm' && !instanceId) {
        throw ApplicationFailure.nonRetryable(
          `Asset "${input.assetName}" has no EC2/managed instance id, so SSM has nowhere to run "${input.runbook.name}"`,
          'NoSsmTarget',
        );
      }
      const instanceIds = [instanceId ?? input.assetName];
      const commands = input.runbook.actions;
      const comment = `Alert Whisperer incident ${input.incidentId} attempt ${input.attempt}`;

      // The runbook must run once per attempt even when Temporal retries this activity: after a timeout
      // while SendCommand was still in flight, or after a crash between SendCommand and our write.
      // The row for (incident, attempt) is claimed and locked for the whole send, so an overlapping retry
      // waits for it and then finds the command id; a retry after a crash finds the command by its comment.
      const row = await sql.begin(async (tx) => {
        await tx`
          INSERT INTO executions (incident_id, attempt, executor, command_id, document_name, instance_ids, commands, status)
          VALUES (${input.incidentId}, ${input.attempt}, ${executor}, '', ${input.runbook.documentName}, ${instanceIds}, ${commands}, 'Sending')
          ON CONFLICT (incident_id, attempt) DO NOTHING`;
        const [claimed] = await tx<ExecutionRow[]>`
          SELECT executor, command_id, document_name, instance_ids, commands, started_at
          FROM executions WHERE incident_id = ${input.incidentId} AND attempt = ${input.attempt} FOR UPDATE`;
        if (!claimed)
          throw new Error(`Execution row for incident ${input.incidentId} attempt ${input.attempt} vanished`);
        if (claimed.command_id) return claimed;
        let commandId: string;
        if (claimed.executor === 'dry_run') {
          commandId = `dry-run-${input.incidentId}-${input.attempt}`;
        } else {
          const client = clientFor(settings);
          commandId =
            (await findSentCommand(client, claimed.instance_ids[0]!, comment)) ??
            (await sendCommand(client, {
              instanceIds: claimed.instance_ids,
              documentName: claimed.document_name,
              commands: claimed.commands,
              comment,
            }));
        }
        const [updated] = await tx<ExecutionRow[]>`
          UPDATE executions SET command_id = ${commandId}, status = 'InProgress'
          WHERE incident_id = ${input.incidentId} AND attempt = ${input.attempt}
          RETURNING executor, command_id, document_name, instance_ids, commands, started_at`;
        return updated!;
      });
      return {
        executor: row.executor,
        attempt: input.attempt,
        commandId: row.command_id,
        documentName: row.document_name,
        instanceIds: row.instance_ids,
        commands: row.commands,
        startedAt: row.started_at,
      };
    },

    async waitForSsmCommand(input: {
      companyId: string;
      incidentId: string;
      ref: SsmCommandRef;
    }): Promise<SsmCommandResult> {
      const { ref } = input;
      let result: SsmCommandResult;
      if (ref.executor === 'dry_run') {
        result = { status: 'Success', output: dryRunOutput(ref), error: '', finishedAt: new Date().toISOString() };
      } else {
        const client = clientFor(await companySettings(input.companyId));
        const ctx = Context.current();
        const outputs: string[] = [];
        const errors: string[] = [];
        let overall = 'Success';
        for (const instanceId of ref.instanceIds) {
          for (;;) {
            ctx.heartbeat({ instanceId });
            try {
              const inv = await client.send(
                new GetCommandInvocationCommand({ CommandId: ref.commandId, InstanceId: instanceId }),
              );
              const status = inv.Status ?? 'Pending';
              if (isTerminalSsmStatus(status)) {
                if (inv.StandardOutputContent)
                  outputs.push(
                    ref.instanceIds.length > 1
                      ? `[${instanceId}]\n${inv.StandardOutputContent}`
                      : inv.StandardOutputContent,
                  );
                if (inv.StandardErrorContent)
                  errors.push(
                    ref.instanceIds.length > 1
                      ? `[${instanceId}]\n${inv.StandardErrorContent}`
                      : inv.StandardErrorContent,
                  );
                if (status !== 'Success') overall = status;
                break;
              }
            } catch (err) {
              // Right after SendCommand the invocation may not exist yet: keep polling.
              if (!(err instanceof InvocationDoesNotExist)) throw err;
            }
            await ctx.sleep(deps.pollIntervalMs);
          }
        }
        result = {
          status: overall,
          output: outputs.join('\n'),
          error: errors.join('\n'),
          finishedAt: new Date().toISOString(),
        };
      }
      await sql`
        UPDATE executions SET status = ${result.status}, output = ${result.output}, error = ${result.error}, finished_at = ${result.finishedAt}
        WHERE incident_id = ${input.incidentId} AND attempt = ${ref.attempt}`;
      return result;
    },
  };
}
