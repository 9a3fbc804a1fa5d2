// Refreshes stored patch compliance (issue 14 item 8): started by the install's one Temporal Schedule for every
// company with registered instances, or for one company by a person's "refresh now". Its own module: the incident
// workflow's histories are untouched by it.
import { proxyActivities } from '@temporalio/workflow';
import type { createPatchActivities, PatchRefreshResult } from '../activities/patch-compliance.ts';

type PatchActivities = ReturnType<typeof createPatchActivities>;

const patches = proxyActivities<PatchActivities>({
  // A company's refresh is a DescribeInstancePatchStates call per 50 instances and page, each bounded by the SDK's
  // timeouts and attempts (domain/ssm-timing.ts): minutes even for thousands of instances.
  startToCloseTimeout: '10 minutes',
  // AWS's refusals are stored by the activity, not thrown; what is thrown (the database) is worth a few retries.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
});

/** Companies refreshed at once: parallel enough for an MSP's clients, gentle on SSM's per-account rate limits. */
const PARALLEL = 4;

export interface PatchComplianceInput {
  /** One company (a person asked); unset = every company with registered instances (the schedule). */
  companyId?: string;
}

export async function patchComplianceWorkflow(input: PatchComplianceInput = {}): Promise<PatchRefreshResult[]> {
  const companies = input.companyId ? [input.companyId] : await patches.listPatchCompanies();
  const results: PatchRefreshResult[] = [];
  for (let i = 0; i < companies.length; i += PARALLEL) {
    const batch = companies.slice(i, i + PARALLEL);
    // One company's failure (after retries) must not stop the others: it is left out of the results.
    const settled = await Promise.allSettled(batch.map((id) => patches.refreshCompanyPatches(id)));
    for (const s of settled) if (s.status === 'fulfilled') results.push(s.value);
  }
  return results;
}
