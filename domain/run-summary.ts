// What Temporal Web lists for an incident run (its user metadata): a one-line summary and a few lines of details,
// set when the router starts the run, so engineers read "disk_full on srv-db-01" instead of a workflow id. Static:
// they describe how the run started, and stay with that run. The run's current details (shown on its page, served
// by a query, so they cost no history event) say where the incident is now, in every run, continued ones included.
import { cutText } from './text.ts';

export function runSummary(i: { assetName: string; signature: string }): string {
  return cutText(`${i.signature} on ${i.assetName}`, 200);
}

export function runDetails(i: {
  companyId: string;
  assetName: string;
  signature: string;
  first: { severity: string; toolSource: string; message: string; receivedAt: string };
}): string {
  return [
    `Company: ${i.companyId}`,
    `Asset: ${i.assetName}`,
    `Signature: ${i.signature}`,
    `First alert: ${i.first.severity} from ${i.first.toolSource} at ${i.first.receivedAt}`,
    cutText(i.first.message, 500),
  ].join('\n');
}

/** The run's current details: what it is about and where it stands, as Temporal Web shows them on the run's page. */
export function currentDetails(s: {
  assetName: string;
  signature: string;
  companyId: string;
  status: string;
  severity: string;
  alertCount: number;
  escalationLevel: number;
  assignee?: { email: string } | null;
}): string {
  return [
    `**${runSummary(s)}** (company ${s.companyId})`,
    `Status: ${s.status} · severity ${s.severity} · ${s.alertCount} alert${s.alertCount === 1 ? '' : 's'}`,
    `Assignee: ${s.assignee?.email ?? 'nobody'} · escalation level ${s.escalationLevel}`,
  ].join('\n');
}
