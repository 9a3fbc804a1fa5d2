// What a run sends and where, before anything is claimed: the runbook rendered with the incident's fields, and the
// instance ids it targets (only ever the company's own registered assets), within the company's concurrent-run limit.
import { ApplicationFailure } from '@temporalio/common';
import { incidentTarget, taggedInstances } from '../db/runbooks.ts';
import type { Sql } from '../db/sql.ts';
import { BLAST_RADIUS_EXCEEDED } from '../domain/blast-radius.ts';
import { judgeTagTargets } from '../domain/runbook-targets.ts';
import { renderRunbook } from '../domain/runbook-template.ts';
import type { Runbook } from '../domain/types.ts';
import type { ExecutorKind } from '../workflows/types.ts';
import { noTarget } from './ssm-send.ts';

export interface SendSsmCommandInput {
  companyId: string;
  incidentId: string;
  attempt: number;
  assetName: string;
  /** Its `timeoutSeconds` is the run's execution timeout (domain/ssm-timing.ts); without it the default applies. */
  runbook: Runbook;
}

export function createRunPlanner(sql: Sql) {
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

  return { renderedCommands, targetsOf };
}
