// Dry-run preview of a runbook for one incident: the SSM document, the target instance ids and the commands with
// the incident's fields rendered and quoted, exactly as a send would carry them. Nothing is sent. Any member of the
// company may look; the incident must be of the runbook's company.
import { incidentTarget, taggedInstances, toRunbook } from '../../db/runbooks.ts';
import type { Sql } from '../../db/sql.ts';
import { renderCommands, renderRunbook, shellFor, type TemplateShell } from '../../domain/runbook-template.ts';
import { effectiveLimits, type BlastRadiusLimits } from '../../domain/blast-radius.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { describeTarget, judgeTagTargets } from '../../domain/runbook-targets.ts';
import type { AuthUser } from '../auth.ts';
import { TenantError } from './errors.ts';
import { getRunbook } from './runbooks.ts';

export interface RunbookPreview {
  runbookId: string;
  version: number;
  incidentId: string;
  documentName: string;
  shell: TemplateShell;
  /** Empty when the incident's asset has no instance registered to its company: a live run would escalate. */
  instanceIds: string[];
  /** The version's target tag, or null for the incident's asset. */
  targetTag?: string | null;
  /** Where it runs, as a sentence. */
  target?: string;
  /** Exactly what SSM is sent: the actions, or with a check the wrapper script around them (runbook-checks.ts). */
  commands: string[];
  /** The checks rendered on their own, for reading (inside `commands` they may be encoded for PowerShell). */
  preCheck?: string[];
  postCheck?: string[];
  timeoutSeconds: number;
  /** Why nothing could run, as a sentence, or null. */
  blockedReason: string | null;
}

export async function previewRunbook(
  sql: Sql,
  user: AuthUser,
  runbookId: string,
  incidentId: string,
  blast: { defaults: BlastRadiusLimits; ceilings: BlastRadiusLimits },
): Promise<RunbookPreview> {
  const runbook = await getRunbook(sql, user, runbookId);
  const target = await incidentTarget(sql, runbook.companyId, incidentId);
  // An incident of another company reads as missing here too.
  if (!target) throw new TenantError('NOT_FOUND', `Incident ${incidentId} not found in this runbook's company`);
  const v = runbook.current;
  const shell = shellFor(v.documentName);
  let commands: string[] = [];
  let preCheck: string[] = [];
  let postCheck: string[] = [];
  let blockedReason: string | null = null;
  try {
    commands = renderRunbook(toRunbook(v), target.fields);
    preCheck = renderCommands(v.preCheck, shell, target.fields, v.parameters);
    postCheck = renderCommands(v.postCheck, shell, target.fields, v.parameters);
  } catch (err) {
    blockedReason = `The commands cannot be rendered: ${(err as Error).message}`;
  }
  let instanceIds = target.instanceId ? [target.instanceId] : [];
  if (v.targetTag) {
    // As the send resolves it (activities/ssm.ts): the runbook's company's tagged assets, up to its concurrent limit.
    const [company] = await sql<{ settings: CompanySettings | null }[]>`
      SELECT settings FROM companies WHERE id = ${runbook.companyId}`;
    const cap = effectiveLimits(company?.settings?.remediation, blast.defaults, blast.ceilings).maxConcurrentRuns;
    const verdict = judgeTagTargets(
      v.targetTag,
      await taggedInstances(sql, runbook.companyId, v.targetTag, cap + 1),
      cap,
    );
    instanceIds = verdict.ok ? verdict.instanceIds : [];
    if (!verdict.ok) blockedReason ??= verdict.reason;
  } else if (!blockedReason && !target.instanceId) {
    blockedReason = `Asset "${target.fields.asset}" has no instance id registered to this company, so nothing would be sent`;
  }
  return {
    runbookId,
    version: v.version,
    incidentId,
    documentName: v.documentName,
    shell,
    instanceIds,
    targetTag: v.targetTag,
    target: describeTarget(v.targetTag),
    commands,
    preCheck,
    postCheck,
    timeoutSeconds: v.timeoutSeconds,
    blockedReason,
  };
}
