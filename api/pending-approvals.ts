// The approvals queue: incidents whose runbook waits for a person, soonest deadline first, each with exactly what
// the run would send (the version the incident decided on, rendered for it) and whether the caller may approve.
import { incidentTarget } from '../db/runbooks.ts';
import type { Sql } from '../db/sql.ts';
import { canApprove } from '../domain/rules.ts';
import { renderRunbook, shellFor } from '../domain/runbook-template.ts';
import { DEFAULT_TIMEOUT_SECONDS } from '../domain/runbook.ts';
import type { RiskLevel } from '../domain/types.ts';
import { companyScope, type AuthUser } from './auth.ts';
import { listPendingApprovals, type IncidentRecord } from './incident-queries.ts';
import type { RunbookPreview } from './tenants/runbook-preview.ts';

export interface PendingApproval {
  incident: IncidentRecord;
  runbook: { id: string; name: string; version: number | null; riskLevel: RiskLevel };
  requestedAt: string;
  deadline: string;
  /** Who asked for the run by hand, as the tenant reads them; null when the automation asked. */
  requestedBy: string | null;
  fourEyes: boolean;
  /** The caller's role may approve this risk, and four-eyes does not hold them back. */
  mayApprove: boolean;
}

export async function pendingApprovals(sql: Sql, user: AuthUser, limit?: number): Promise<PendingApproval[]> {
  const incidents = await listPendingApprovals(sql, companyScope(user), limit);
  return incidents.flatMap((incident) => {
    const approval = incident.approval;
    const runbook = incident.decision?.runbook;
    if (!approval || !runbook) return [];
    const ownRequest = approval.fourEyes === true && approval.requestedBy?.userId === user.id;
    return [
      {
        incident,
        runbook: { id: runbook.id, name: runbook.name, version: runbook.version ?? null, riskLevel: runbook.riskLevel },
        requestedAt: approval.requestedAt,
        deadline: approval.deadline,
        requestedBy: approval.requestedBy?.email ?? null,
        fourEyes: approval.fourEyes ?? false,
        mayApprove: canApprove(user.role, approval.riskLevel) && !ownRequest,
      },
    ];
  });
}

/** The dry run of the waiting approval: the decided version's commands rendered for the incident. Sends nothing. */
export async function approvalPreview(sql: Sql, p: PendingApproval): Promise<RunbookPreview> {
  const runbook = p.incident.decision!.runbook!;
  const target = await incidentTarget(sql, p.incident.companyId, p.incident.id);
  let commands: string[] = [];
  let blockedReason: string | null = null;
  if (!target) {
    blockedReason = 'The incident is no longer stored';
  } else {
    try {
      commands = renderRunbook(runbook, target.fields);
    } catch (err) {
      blockedReason = `The commands cannot be rendered: ${(err as Error).message}`;
    }
    if (!blockedReason && !target.instanceId) {
      blockedReason = `Asset "${target.fields.asset}" has no instance id registered to this company, so nothing would be sent`;
    }
  }
  return {
    runbookId: runbook.id,
    version: runbook.version ?? 1,
    incidentId: p.incident.id,
    documentName: runbook.documentName,
    shell: shellFor(runbook.documentName),
    instanceIds: target?.instanceId ? [target.instanceId] : [],
    commands,
    timeoutSeconds: runbook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    blockedReason,
  };
}
