// Patch compliance (issue 14 item 8): DescribeInstancePatchStates for a company's registered instances, through its
// own AWS role (activities/aws-role.ts) or, without one, the install's credentials as its SSM sends use, stored
// (db/patch-compliance.ts) so the dashboard never calls AWS. A failure is stored as the tenant's sentence
// (domain/failure-text.ts); the raw AWS text goes to the server log only.
import { DescribeInstancePatchStatesCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { companyRole } from '../db/aws-accounts.ts';
import {
  companiesWithInstances,
  insertPatchAlerts,
  instanceAssetNames,
  registeredInstanceIds,
  savePatchFailure,
  savePatchStates,
} from '../db/patch-compliance.ts';
import type { Sql } from '../db/sql.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import { tenantFailureText } from '../domain/failure-text.ts';
import {
  chunkInstanceIds,
  PATCH_STATES_MAX_IDS,
  patchAlerts,
  type InstancePatchState,
} from '../domain/patch-compliance.ts';
import type { RoleAssumer } from './aws-role.ts';
import { createSsmClient } from './ssm-aws.ts';

export interface PatchDeps {
  sql: Sql;
  roles: RoleAssumer;
  /** The install's region and SSM_ENDPOINT: never a company's choice of endpoint. */
  region: string;
  endpoint?: string | undefined;
  /** Whether the install has AWS credentials at all: without them nothing can be asked. */
  credentialsConfigured: boolean;
  log?: (line: string) => void;
}

export interface PatchRefreshResult {
  companyId: string;
  ok: boolean;
  instances: number;
  states: number;
  /** New alerts raised for instances missing critical patches (setting patches.openIncidents). */
  alerts: number;
}

export const NO_AWS_CREDENTIALS = 'Patch states could not be read: no AWS credentials are configured for this install';

/** Every page of DescribeInstancePatchStates for the ids, at most PATCH_STATES_MAX_IDS per call. */
export async function describePatchStates(ssm: SSMClient, instanceIds: string[]): Promise<InstancePatchState[]> {
  const out: InstancePatchState[] = [];
  for (const chunk of chunkInstanceIds(instanceIds)) {
    let nextToken: string | undefined;
    do {
      const page = await ssm.send(
        new DescribeInstancePatchStatesCommand({
          InstanceIds: chunk,
          MaxResults: PATCH_STATES_MAX_IDS,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const s of page.InstancePatchStates ?? []) {
        if (!s.InstanceId || !s.OperationEndTime) continue;
        out.push({
          instanceId: s.InstanceId,
          missingCount: s.MissingCount ?? 0,
          criticalNonCompliantCount: s.CriticalNonCompliantCount ?? 0,
          securityNonCompliantCount: s.SecurityNonCompliantCount ?? 0,
          failedCount: s.FailedCount ?? 0,
          installedPendingRebootCount: s.InstalledPendingRebootCount ?? 0,
          operation: s.Operation ?? '',
          operationEndTime: new Date(s.OperationEndTime).toISOString(),
        });
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
  }
  return out;
}

export function createPatchActivities(deps: PatchDeps) {
  const { sql } = deps;
  const log = deps.log ?? ((line: string) => console.warn(line));

  /** The company's SSM client: its role's credentials in its region, else the install's (as its SSM sends do). */
  async function clientFor(companyId: string, settings: CompanySettings): Promise<SSMClient> {
    const role = await companyRole(sql, companyId);
    if (role) {
      const credentials = await deps.roles.credentialsFor(companyId, role);
      return createSsmClient(role.region, deps.endpoint, credentials);
    }
    return createSsmClient(settings.ssm?.region ?? deps.region, deps.endpoint);
  }

  /** Alerts for instances missing critical patches, when the company asked for them (default off). */
  async function raiseAlerts(companyId: string, settings: CompanySettings, states: InstancePatchState[]) {
    if (!settings.patches?.openIncidents) return 0;
    return await insertPatchAlerts(sql, companyId, patchAlerts(states, await instanceAssetNames(sql, companyId)));
  }

  return {
    /** The companies a scheduled refresh goes through: those with at least one registered instance. */
    async listPatchCompanies(): Promise<string[]> {
      return await companiesWithInstances(sql);
    },

    /**
     * Reads and stores one company's patch states. Never throws for AWS's answer: a refusal is the company's
     * state to show (stored as our sentence), and one company's broken role must not stop the others' refresh.
     */
    async refreshCompanyPatches(companyId: string): Promise<PatchRefreshResult> {
      const asked = await registeredInstanceIds(sql, companyId);
      if (asked.length && !deps.credentialsConfigured) {
        await savePatchFailure(sql, companyId, NO_AWS_CREDENTIALS);
        return { companyId, ok: false, instances: asked.length, states: 0, alerts: 0 };
      }
      const [company] = await sql<{ settings: CompanySettings | null }[]>`
        SELECT settings FROM companies WHERE id = ${companyId}`;
      const settings = company?.settings ?? {};
      try {
        let states: InstancePatchState[] = [];
        if (asked.length) {
          const ssm = await clientFor(companyId, settings);
          try {
            states = await describePatchStates(ssm, asked);
          } finally {
            ssm.destroy();
          }
        }
        await savePatchStates(sql, companyId, asked, states);
        const alerts = await raiseAlerts(companyId, settings, states);
        return { companyId, ok: true, instances: asked.length, states: states.length, alerts };
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        log(`[patch-compliance] company ${companyId}: ${e.name}: ${e.message}`);
        const sentence = tenantFailureText('read_patches', { kind: 'application', type: e.name, message: e.message });
        await savePatchFailure(sql, companyId, sentence);
        return { companyId, ok: false, instances: asked.length, states: 0, alerts: 0 };
      }
    },
  };
}
