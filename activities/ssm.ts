// Runs runbooks through AWS Systems Manager Run Command, or through the labelled dry-run executor
// when no AWS credentials are configured. Never a silent fake: a dry run says so everywhere.
// The target is only ever the instance id of an asset the incident's company registered: an alert's asset name is
// text any company's key can set, so it never becomes a target by itself (an instance id belongs to one company).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { Sql, TransactionSql } from '../db/sql.ts';
import type { Runbook } from '../domain/types.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import type { ExecutorKind, SsmCommandRef, SsmCommandResult } from '../workflows/types.ts';

export interface SsmDeps {
  sql: Sql;
  /** Which executor to use: 'auto' picks SSM when AWS credentials are configured, else dry run. The install
   * decides this alone: nothing a company stores switches it. */
  mode: 'auto' | 'ssm' | 'dry_run';
  credentialsConfigured: boolean;
  region: string;
  pollIntervalMs: number;
  /** SSM_ENDPOINT (moto, LocalStack); unset = the SDK's own resolution (AWS_ENDPOINT_URL_SSM, then AWS). */
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

function noTarget(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'NoSsmTarget');
}

export function createSsmActivities(deps: SsmDeps) {
  const { sql } = deps;
  const clients = new Map<string, SSMClient>();

  function clientFor(settings: CompanySettings): SSMClient {
    // A company may pick its region; the endpoint is the install's alone (the worker signs with its credentials).
    const region = settings.ssm?.region ?? deps.region;
    const endpoint = deps.endpoint;
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

  function executorFor(): ExecutorKind {
    if (deps.mode === 'ssm') return 'ssm';
    if (deps.mode === 'dry_run') return 'dry_run';
    return deps.credentialsConfigured ? 'ssm' : 'dry_run';
  }

  /** The instance id of the company's own asset of that name, or null: never the asset name itself. */
  async function registeredInstance(companyId: string, assetName: string): Promise<string | null> {
    const [asset] = await sql<{ instanceId: string | null }[]>`
      SELECT instance_id AS "instanceId" FROM assets WHERE company_id = ${companyId} AND name = ${assetName}`;
    return asset?.instanceId ?? null;
  }

  /**
   * At send time, inside the send's transaction: every target is still registered to the company. The asset rows
   * stay share-locked until the send is recorded, so the instance cannot change hands while the command goes out.
   */
  async function requireOwnInstances(tx: TransactionSql, companyId: string, instanceIds: string[]): Promise<void> {
    const own = await tx<{ instanceId: string }[]>`
      SELECT instance_id AS "instanceId" FROM assets
      WHERE company_id = ${companyId} AND instance_id = ANY(${instanceIds}) FOR SHARE`;
    const missing = instanceIds.filter((id) => !own.some((o) => o.instanceId === id));
    if (missing.length) {
      throw noTarget(
        `Instance ${missing.join(', ')} is no longer registered to an asset of this company, so nothing was sent`,
      );
    }
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
      const executor = executorFor();
      const instanceId = await registeredInstance(input.companyId, input.assetName);
      if (executor === 'ssm' && !instanceId) {
        throw noTarget(
          `Asset "${input.assetName}" has no EC2/managed instance id, so SSM has nowhere to run "${input.runbook.name}"`,
        );
      }
      // A dry run without a registered instance shows no target rather than pretend one.
      const instanceIds = instanceId ? [instanceId] : [];
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
          await requireOwnInstances(tx, input.companyId, claimed.instance_ids);
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
