// Runs runbooks through AWS Systems Manager Run Command, or through the labelled dry-run executor
// when no AWS credentials are configured. Never a silent fake: a dry run says so everywhere.
// The target is only ever the instance id of an asset the incident's company registered: an alert's asset name is
// text any company's key can set, so it never becomes a target by itself (an instance id belongs to one company).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { companyRole } from '../db/aws-accounts.ts';
import { incidentTarget, taggedInstances } from '../db/runbooks.ts';
import type { Sql } from '../db/sql.ts';
import { withCheckSentence } from '../domain/runbook-checks.ts';
import { judgeTagTargets } from '../domain/runbook-targets.ts';
import { renderRunbook } from '../domain/runbook-template.ts';
import type { Runbook } from '../domain/types.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import {
  BLAST_RADIUS_EXCEEDED,
  DEFAULT_BLAST_RADIUS,
  DEFAULT_BLAST_RADIUS_CEILING,
  effectiveLimits,
  type BlastRadiusLimits,
} from '../domain/blast-radius.ts';
import {
  MAX_POLL_INTERVAL_MS,
  SEND_HEARTBEAT_EVERY_MS,
  executionTimeoutSeconds,
  runDeadlineMs,
} from '../domain/ssm-timing.ts';
import type { ExecutorKind, InstanceResult, SsmCommandRef, SsmCommandResult } from '../workflows/types.ts';
import { createRoleAssumer, type RoleAssumer } from './aws-role.ts';
import { asActivityFailure, createSsmClient, readInvocation } from './ssm-aws.ts';
import { claimRun, readClaim } from './ssm-claim.ts';
import { activityContext, createSender, noTarget } from './ssm-send.ts';

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
  /** STS_ENDPOINT, where AssumeRole into a company's own account goes; unset = AWS. */
  stsEndpoint?: string;
  /** Assumes companies' roles (cached credentials); unset = one made from region and stsEndpoint. */
  roles?: RoleAssumer;
  /** The install's blast-radius defaults and ceilings (lib/config.ts); unset = domain/blast-radius.ts's. */
  blastRadius?: { defaults: BlastRadiusLimits; ceilings: BlastRadiusLimits };
}

export interface SendSsmCommandInput {
  companyId: string;
  incidentId: string;
  attempt: number;
  assetName: string;
  /** Its `timeoutSeconds` is the run's execution timeout (domain/ssm-timing.ts); without it the default applies. */
  runbook: Runbook;
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

/**
 * Heartbeats while `fn` runs, so a worker that dies mid-send is retried after the heartbeat timeout. Called outside
 * an activity (a dry-run preview, a script), there is nobody to heartbeat to.
 */
async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return await fn();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), SEND_HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export function createSsmActivities(deps: SsmDeps) {
  const { sql } = deps;
  const clients = new Map<string, SSMClient>();
  const blast = deps.blastRadius ?? { defaults: DEFAULT_BLAST_RADIUS, ceilings: DEFAULT_BLAST_RADIUS_CEILING };

  const roles =
    deps.roles ??
    createRoleAssumer({ region: deps.region, ...(deps.stsEndpoint ? { stsEndpoint: deps.stsEndpoint } : {}) });

  function cachedClient(key: string, make: () => SSMClient): SSMClient {
    let client = clients.get(key);
    if (!client) {
      client = make();
      clients.set(key, client);
    }
    return client;
  }

  /**
   * The SSM client for the company's calls: with its own AWS connection, in its region under credentials assumed
   * from its role (a client per set of credentials); without one, the install's credentials as before. The
   * endpoint is the install's alone, never something a company chose.
   */
  async function clientFor(companyId: string, settings: CompanySettings): Promise<SSMClient> {
    const role = await companyRole(sql, companyId);
    if (!role) {
      const region = settings.ssm?.region ?? deps.region;
      return cachedClient(`install|${region}`, () => createSsmClient(region, deps.endpoint));
    }
    const credentials = await roles.credentialsFor(companyId, role).catch((err: unknown) => {
      throw asActivityFailure(err);
    });
    for (const key of clients.keys()) {
      // Expired credentials' clients of this company go as soon as fresh ones arrive.
      if (key.startsWith(`${companyId}|`) && !key.endsWith(`|${credentials.accessKeyId}`)) clients.delete(key);
    }
    return cachedClient(`${companyId}|${role.region}|${credentials.accessKeyId}`, () =>
      createSsmClient(role.region, deps.endpoint, credentials),
    );
  }

  /** A claim whose role could not be assumed sent nothing and never will: it stops counting as a running command. */
  async function settleUnsent(incidentId: string, attempt: number): Promise<void> {
    await sql`
      UPDATE executions SET status = 'NotSent', finished_at = now()
      WHERE incident_id = ${incidentId} AND attempt = ${attempt} AND command_id = '' AND send_started_at IS NULL`;
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
   * The runbook's commands with the incident's fields put in, each value one shell-quoted word
   * (domain/runbook-template.ts), so what the claim records, the dry run shows and SSM runs is the same text.
   */
  async function renderedCommands(input: SendSsmCommandInput): Promise<string[]> {
    const target = await incidentTarget(sql, input.companyId, input.incidentId);
    // The workflow saves its incident before it remediates: a missing row is a race worth a retry, not a fault.
    if (!target) throw new Error(`Incident ${input.incidentId} is not stored yet, so its runbook cannot be rendered`);
    try {
      return renderRunbook(input.runbook, target.fields);
    } catch (err) {
      // A template the save checks refuse (saved before those checks, or by SQL) never becomes right by retrying.
      throw ApplicationFailure.nonRetryable(
        `Runbook "${input.runbook.name}" cannot be rendered: ${(err as Error).message}`,
        'InvalidRunbook',
      );
    }
  }

  /**
   * The instance ids a run goes to: the incident's asset's, or with a target tag those of the company's assets
   * carrying it (domain/runbook-targets.ts), refused past the company's concurrent-run limit. A dry run without a
   * target shows none rather than pretend one; a live one has nowhere to run and escalates.
   */
  async function targetsOf(input: SendSsmCommandInput, executor: ExecutorKind, cap: number): Promise<string[]> {
    const tag = input.runbook.targetTag;
    if (!tag) {
      const instanceId = await registeredInstance(input.companyId, input.assetName);
      if (executor === 'ssm' && !instanceId) {
        throw noTarget(
          `Asset "${input.assetName}" has no EC2/managed instance id, so SSM has nowhere to run "${input.runbook.name}"`,
        );
      }
      return instanceId ? [instanceId] : [];
    }
    const verdict = judgeTagTargets(tag, await taggedInstances(sql, input.companyId, tag, cap + 1), cap);
    if (verdict.ok) return verdict.instanceIds;
    if (verdict.kind === 'too_many') {
      throw ApplicationFailure.create({ message: verdict.reason, type: BLAST_RADIUS_EXCEEDED, nonRetryable: true });
    }
    if (executor === 'ssm') throw noTarget(verdict.reason);
    return [];
  }

  const sender = createSender(sql);

  return {
    async sendSsmCommand(input: SendSsmCommandInput): Promise<SsmCommandRef> {
      return await heartbeating(async () => {
        const settings = await companySettings(input.companyId);
        const executor = executorFor();
        const limits = effectiveLimits(settings.remediation, blast.defaults, blast.ceilings);
        // The claim is committed before AWS is called: a session or worker that dies mid-call leaves it behind. A
        // retry keeps the claim's targets (the send re-checks they are still the company's).
        const claim =
          (await readClaim(sql, input.incidentId, input.attempt)) ??
          (await claimRun(sql, {
            companyId: input.companyId,
            incidentId: input.incidentId,
            attempt: input.attempt,
            assetName: input.assetName,
            runbookId: input.runbook.id,
            runbookName: input.runbook.name,
            executor,
            documentName: input.runbook.documentName,
            instanceIds: await targetsOf(input, executor, limits.maxConcurrentRuns),
            commands: await renderedCommands(input),
            deadlineMs: runDeadlineMs(executionTimeoutSeconds(input.runbook)),
            limits,
          }));
        let commandId = claim.commandId;
        if (!commandId && claim.executor === 'dry_run') {
          commandId = `dry-run-${input.incidentId}-${input.attempt}`;
          await sender.recordCommand(input.incidentId, input.attempt, commandId);
        } else if (!commandId) {
          const client = await clientFor(input.companyId, settings).catch(async (err: unknown) => {
            if (err instanceof ApplicationFailure && err.nonRetryable)
              await settleUnsent(input.incidentId, input.attempt);
            throw err;
          });
          commandId = await sender.sendOnce(input, claim, client);
        }
        return {
          executor: claim.executor,
          attempt: input.attempt,
          commandId,
          documentName: claim.documentName,
          instanceIds: claim.instanceIds,
          commands: claim.commands,
          startedAt: claim.startedAt,
        };
      });
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
        const client = await clientFor(input.companyId, await companySettings(input.companyId));
        const ctx = Context.current();
        const pollMs = Math.min(deps.pollIntervalMs, MAX_POLL_INTERVAL_MS);
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
        result = {
          status: instances.find((i) => i.status !== 'Success')?.status ?? 'Success',
          output: labelled((i) => i.output),
          error: labelled((i) => i.error),
          finishedAt: new Date().toISOString(),
          instances,
        };
      }
      await sql`
        UPDATE executions SET status = ${result.status}, output = ${result.output}, error = ${result.error},
               finished_at = ${result.finishedAt}, invocations = ${result.instances ? sql.json(result.instances as never) : null}
        WHERE incident_id = ${input.incidentId} AND attempt = ${ref.attempt}`;
      return result;
    },
  };
}
