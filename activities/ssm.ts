// Runs runbooks through AWS Systems Manager Run Command, or through the labelled dry-run executor
// when no AWS credentials are configured. Never a silent fake: a dry run says so everywhere.
// The target is only ever the instance id of an asset the incident's company registered: an alert's asset name is
// text any company's key can set, so it never becomes a target by itself (an instance id belongs to one company).
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/sql.ts';
import {
  DEFAULT_BLAST_RADIUS,
  DEFAULT_BLAST_RADIUS_CEILING,
  effectiveLimits,
  type BlastRadiusLimits,
} from '../domain/blast-radius.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import { SEND_HEARTBEAT_EVERY_MS, executionTimeoutSeconds, runDeadlineMs } from '../domain/ssm-timing.ts';
import type { ExecutorKind, SsmCommandRef, SsmCommandResult } from '../workflows/types.ts';
import { createRoleAssumer, type RoleAssumer } from './aws-role.ts';
import { claimRun, readClaim } from './ssm-claim.ts';
import { createSsmClients } from './ssm-clients.ts';
import { createRunPlanner, type SendSsmCommandInput } from './ssm-plan.ts';
import { dryRunResult, pollResult, recordResult } from './ssm-results.ts';
import { activityContext, createSender } from './ssm-send.ts';

// The parts live beside this file: which clients (ssm-clients.ts), what is sent where (ssm-plan.ts), the claim
// (ssm-claim.ts), the send at most once (ssm-send.ts), and how a run ended (ssm-results.ts).
export type { SendSsmCommandInput } from './ssm-plan.ts';
export { dryRunOutput, isTerminalSsmStatus } from './ssm-results.ts';

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
  /** Tests: how long a send waits for an overlapping try's command (domain/ssm-timing.ts SEND_OVERLAP_WAIT_MS). */
  sendOverlapWaitMs?: number;
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
  const blast = deps.blastRadius ?? { defaults: DEFAULT_BLAST_RADIUS, ceilings: DEFAULT_BLAST_RADIUS_CEILING };

  const roles =
    deps.roles ??
    createRoleAssumer({ region: deps.region, ...(deps.stsEndpoint ? { stsEndpoint: deps.stsEndpoint } : {}) });

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

  const { clientFor } = createSsmClients(sql, roles, deps);
  const { renderedCommands, targetsOf } = createRunPlanner(sql);
  const sender = createSender(sql, deps.sendOverlapWaitMs);

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
      const result =
        ref.executor === 'dry_run'
          ? dryRunResult(ref)
          : await pollResult(
              await clientFor(input.companyId, await companySettings(input.companyId)),
              ref,
              deps.pollIntervalMs,
            );
      await recordResult(sql, input.incidentId, ref.attempt, result);
      return result;
    },
  };
}
