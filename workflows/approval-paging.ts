// Paging the people who may approve a waiting runbook (activities/approval-notify.ts), recorded on the timeline
// either way. It runs beside the approval wait, never in its way: an approver may decide before the page lands.
import { isCancellation, log, proxyActivities } from '@temporalio/workflow';
import { since } from './patches.ts';
import type { ApproversResult, createApprovalNotifyActivities } from '../activities/approval-notify.ts';
import { describeFailure } from './failures.ts';
import * as T from './incident-state.ts';
import type { Pager } from './paging.ts';

type ApprovalNotifyActivities = ReturnType<typeof createApprovalNotifyActivities>;

const notify = proxyActivities<ApprovalNotifyActivities>({
  // A page is only useful before the deadline: a few minutes of retries, then the timeline says what failed.
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 6 },
});

/** Runs recorded before approvers were paged replay without the page. */
export const APPROVAL_PAGING_PATCH = 'approval-paging';

export function pagesApprovers(): boolean {
  return since(APPROVAL_PAGING_PATCH);
}

/** Pages the approvers of the pending approval; never throws (a failure is a timeline event). */
export async function pageApprovers(p: Pager): Promise<void> {
  const s = p.state();
  const approval = s.approval;
  const runbook = s.decision?.runbook;
  if (!approval || approval.status !== 'pending' || !runbook) return;
  const eventSeq = s.version;
  try {
    const r = await notify.notifyApprovers({
      companyId: s.companyId,
      incidentId: s.incidentId,
      eventSeq,
      riskLevel: approval.riskLevel,
      runbookName: runbook.name,
      severity: s.severity,
      assetName: s.assetName,
      signature: s.signature,
      deadline: approval.deadline,
      requestedBy: approval.requestedBy ?? null,
      fourEyes: approval.fourEyes ?? false,
    });
    T.record(s, p.journal(), p.now(), 'approvers_paged', approversPagedText(r), null, { ...r });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const { text, detail } = describeFailure('page', err);
    log.warn('Paging approvers failed', { incidentId: s.incidentId, cause: detail });
    T.record(s, p.journal(), p.now(), 'notification_failed', text, null, T.failureData(detail));
  }
  await p.save();
}

/** "Paged approvers: a@acme.test and 2 MSP admins (in app 3, email 3, chat 1)"; MSP staff only by count. */
export function approversPagedText(r: ApproversResult): string {
  const who = [...r.people];
  if (r.mspAdmins > 0) who.push(`${r.mspAdmins} MSP admin${r.mspAdmins === 1 ? '' : 's'}`);
  const how = `in app ${r.inApp}, email ${r.emails}, chat ${r.webhooks}`;
  return who.length === 0 ? `Nobody may approve this runbook (${how})` : `Paged approvers: ${who.join(', ')} (${how})`;
}
