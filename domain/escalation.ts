// Who is told when an incident needs a person, level by level, and what they are told. Pure: the notify activity
// looks the people up and delivers; the workflow decides when.
import { escapeSlack, escapeTeams } from './chat-text.ts';
import { SEVERITIES, type Severity } from './types.ts';

/**
 * The escalation chain (seed 001 "SLA Monitoring Flow"): each escalation hands the incident one step further.
 * A step with nobody in it (no assignee yet, no on-call backup) passes to the next.
 */
export const ESCALATION_CHAIN = ['assignee', 'on_call_backup', 'company_admins', 'msp_admins'] as const;
export type EscalationStep = (typeof ESCALATION_CHAIN)[number];

export const STEP_LABELS: Record<EscalationStep, string> = {
  assignee: 'assignee',
  on_call_backup: 'on-call backup',
  company_admins: 'company admins',
  msp_admins: 'MSP admins',
};

/**
 * The first step the n-th escalation pages: the first escalation pages whoever owns the incident, every later one
 * goes a step further, and the last step repeats.
 */
export function stepOfLevel(level: number): number {
  return Math.min(Math.max(level - 1, 0), ESCALATION_CHAIN.length - 1);
}

export interface EscalationNotice {
  incidentId: string;
  companyName: string;
  assetName: string;
  signature: string;
  severity: Severity;
  status: string;
  level: number;
  reason: string;
  /** Link to the incident in the dashboard. */
  url: string;
}

export function noticeTitle(n: EscalationNotice): string {
  return `[${n.severity.toUpperCase()}] ${n.companyName}: ${n.signature} on ${n.assetName} (level ${n.level})`;
}

export function noticeText(n: EscalationNotice): string {
  return [
    `${n.reason}.`,
    `Incident ${n.incidentId} is ${n.status.replace('_', ' ')}; escalation level ${n.level}.`,
    `Open it: ${n.url}`,
  ].join('\n');
}

/**
 * Slack's incoming-webhook JSON (also taken by Mattermost, Rocket.Chat and Discord's /slack endpoint). The title and
 * reason carry alert text, escaped (domain/chat-text.ts): `text` is read as mrkdwn too, as the notification's.
 */
export function slackPayload(n: EscalationNotice): Record<string, unknown> {
  const title = escapeSlack(noticeTitle(n));
  const reason = escapeSlack(n.reason);
  return {
    text: `${title}: ${reason}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${reason}` } },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: n.url }],
      },
    ],
  };
}

/**
 * A Microsoft Teams incoming webhook's MessageCard. Only `text` is read as Markdown and HTML, so only it is escaped;
 * `title` and `summary` are shown as typed.
 */
export function teamsPayload(n: EscalationNotice): Record<string, unknown> {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: noticeTitle(n),
    themeColor: n.severity === 'critical' ? 'C50F1F' : n.severity === 'high' ? 'F7630C' : '0078D4',
    title: noticeTitle(n),
    text: escapeTeams(n.reason),
    potentialAction: [{ '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: n.url }] }],
  };
}

/** Whether a notice of this severity reaches someone whose floor is `min` (critical is the highest). */
export function atLeast(severity: Severity, min: Severity | undefined): boolean {
  return min === undefined || SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(min);
}
