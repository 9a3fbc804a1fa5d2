// Who is paged when a runbook waits for approval, and what they read. Pure: activities/approval-notify.ts looks
// the people up and delivers; the incident workflow decides when (workflows/approval-paging.ts).
import { escapeSlack, escapeTeams } from './chat-text.ts';
import { canApprove } from './rules.ts';
import { ROLES, type RiskLevel, type Role, type Severity } from './types.ts';

/** The roles that may approve a runbook of this risk (domain/rules.ts canApprove): exactly the people paged. */
export function approverRoles(risk: RiskLevel): Role[] {
  return ROLES.filter((role) => canApprove(role, risk));
}

export interface ApprovalNotice {
  incidentId: string;
  companyName: string;
  assetName: string;
  signature: string;
  severity: Severity;
  runbookName: string;
  riskLevel: RiskLevel;
  /** ISO time the approval expires (the incident then escalates). */
  deadline: string;
  /** How the requester is shown, when a person asked for the run. */
  requestedBy: string | null;
  /** The incident in the dashboard, where Approve and Reject are. */
  url: string;
}

export function approvalTitle(n: ApprovalNotice): string {
  return `[APPROVAL] ${n.companyName}: ${n.riskLevel}-risk runbook "${n.runbookName}" on ${n.assetName}`;
}

export function approvalText(n: ApprovalNotice): string {
  const who = n.requestedBy ? `${n.requestedBy} asked to run` : 'The automation wants to run';
  return [
    `${who} runbook "${n.runbookName}" (${n.riskLevel} risk) for "${n.signature}" on ${n.assetName} [${n.severity}].`,
    `Approve or reject it before ${n.deadline}, or the incident escalates.`,
    `Open it: ${n.url}`,
  ].join('\n');
}

/** Slack-compatible incoming-webhook JSON; the alert's text is escaped (domain/chat-text.ts). */
export function approvalSlackPayload(n: ApprovalNotice): Record<string, unknown> {
  const title = escapeSlack(approvalTitle(n));
  const body = escapeSlack(approvalText(n).split('\n').slice(0, 2).join('\n'));
  return {
    text: `${title}: ${body}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${body}` } },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review approval' }, url: n.url }],
      },
    ],
  };
}

/** A Microsoft Teams MessageCard; only `text` is read as Markdown, so only it is escaped. */
export function approvalTeamsPayload(n: ApprovalNotice): Record<string, unknown> {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: approvalTitle(n),
    themeColor: n.riskLevel === 'high' ? 'C50F1F' : 'F7630C',
    title: approvalTitle(n),
    text: escapeTeams(approvalText(n).split('\n').slice(0, 2).join('\n')),
    potentialAction: [{ '@type': 'OpenUri', name: 'Review approval', targets: [{ os: 'default', uri: n.url }] }],
  };
}
