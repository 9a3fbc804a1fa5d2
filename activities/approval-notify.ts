// Paging the people who may approve a waiting runbook: in the app (the bell), by email and in the company's chat
// channels, each with a link to the incident. Like activities/notify.ts, every outside delivery is claimed as a row
// first and marked sent after, so a retry resends only what did not go out; bell rows are unique per person and key.
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/sql.ts';
import {
  approvalSlackPayload,
  approvalTeamsPayload,
  approvalText,
  approvalTitle,
  approverRoles,
  type ApprovalNotice,
} from '../domain/approval-notice.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import { shownAs } from '../domain/staff-label.ts';
import type { RiskLevel, Severity } from '../domain/types.ts';
import type { Mailer } from '../lib/mailer.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { deliverChatPayload, type ChatDeps } from './chat.ts';
import { ringBells } from '../db/notifications.ts';
import type { OnCallPerson } from './on-call-lookup.ts';
import { claimDelivery, settleDelivery } from '../db/notification-deliveries.ts';

export interface ApproversInput {
  companyId: string;
  incidentId: string;
  /** The approval_requested event: with the incident id, the key that makes retries idempotent. */
  eventSeq: number;
  riskLevel: RiskLevel;
  runbookName: string;
  severity: Severity;
  assetName: string;
  signature: string;
  deadline: string;
  /** The person who asked for the run, if one did: with four-eyes on they cannot approve, so are not paged. */
  requestedBy: { userId: string; email: string } | null;
  fourEyes: boolean;
}

export interface ApproversResult {
  /** The company's own approvers by address (tenant-visible on the timeline). */
  people: string[];
  /** MSP admins paged: counted only, they serve every tenant. */
  mspAdmins: number;
  inApp: number;
  emails: number;
  webhooks: number;
}

export function createApprovalNotifyActivities(deps: {
  sql: Sql;
  mailer: Mailer | null;
  publicUrl: string;
  secrets: SecretBox | null;
  outbound?: Omit<ChatDeps, 'secrets'>;
}) {
  const { sql } = deps;
  const chat: ChatDeps = { allowPrivate: false, ...deps.outbound, secrets: deps.secrets };

  /** Active people who may approve this risk: MSP admins, and the company's own members of an approving role. */
  function approvers(input: ApproversInput): Promise<OnCallPerson[]> {
    const roles = approverRoles(input.riskLevel);
    const excluded = input.fourEyes && input.requestedBy ? input.requestedBy.userId : null;
    return sql<OnCallPerson[]>`
      SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u
      WHERE u.disabled_at IS NULL AND u.role = ANY(${roles})
        AND (u.role = 'msp_admin'
          OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ${input.companyId}))
        AND u.id IS DISTINCT FROM ${excluded}
      ORDER BY u.role = 'msp_admin', u.email`;
  }

  // The shared delivery ledger (db/notification-deliveries.ts): a retried page sends only what did not go out.
  const claim = (key: string, channel: 'email' | 'webhook', target: string) => claimDelivery(sql, key, channel, target);
  const settle = (key: string, channel: string, target: string, error: string | null) =>
    settleDelivery(sql, key, channel, target, error);

  return {
    /** Pages every approver of the runbook's risk; throws, for Temporal to retry, when a delivery failed. */
    async notifyApprovers(input: ApproversInput): Promise<ApproversResult> {
      const [company] = await sql<{ name: string; settings: CompanySettings }[]>`
        SELECT name, settings FROM companies WHERE id = ${input.companyId}`;
      if (!company) throw ApplicationFailure.nonRetryable(`Company ${input.companyId} not found`, 'CompanyGone');
      const people = await approvers(input);
      const key = `${input.incidentId}:${input.eventSeq}:approval`;
      const notice: ApprovalNotice = {
        incidentId: input.incidentId,
        companyName: company.name,
        assetName: input.assetName,
        signature: input.signature,
        severity: input.severity,
        runbookName: input.runbookName,
        riskLevel: input.riskLevel,
        deadline: input.deadline,
        requestedBy: input.requestedBy?.email ?? null,
        url: `${deps.publicUrl}/#/incidents/${encodeURIComponent(input.incidentId)}`,
      };
      const title = approvalTitle(notice);
      const text = approvalText(notice);

      await ringBells(
        sql,
        people.map((p) => p.id),
        {
          companyId: input.companyId,
          incidentId: input.incidentId,
          eventKey: key,
          kind: 'approval',
          title,
          body: text,
          severity: input.severity,
        },
      );

      // An approval is a request to act before a deadline: the company's severity floor does not hold it back,
      // only a person's own choice not to be emailed.
      const failures: string[] = [];
      let retryable = false;
      if (deps.mailer) {
        for (const p of people) {
          if (p.prefs?.email === false || !(await claim(key, 'email', p.email))) continue;
          try {
            await deps.mailer.send({ to: p.email, subject: title, text });
            await settle(key, 'email', p.email, null);
          } catch (err) {
            await settle(key, 'email', p.email, (err as Error).message);
            failures.push(`email to ${p.email}: ${(err as Error).message}`);
            retryable = true;
          }
        }
      }
      const payloads = { slack: approvalSlackPayload(notice), teams: approvalTeamsPayload(notice) };
      for (const hook of company.settings?.notifications?.webhooks ?? []) {
        if (!(await claim(key, 'webhook', hook.name))) continue;
        const failed = await deliverChatPayload(hook, payloads, chat);
        await settle(key, 'webhook', hook.name, failed?.reason ?? null);
        if (failed) failures.push(`webhook "${hook.name}": ${failed.reason}`);
        if (failed && !failed.permanent) retryable = true;
      }
      if (failures.length > 0) {
        const message = `Approval request not delivered: ${failures.join('; ')}`;
        throw retryable ? new Error(message) : ApplicationFailure.nonRetryable(message, 'DeliveryRefused');
      }
      const sent = await sql<{ channel: string; n: number }[]>`
        SELECT channel, count(*)::int AS n FROM notification_deliveries
        WHERE event_key = ${key} AND status = 'sent' GROUP BY channel`;
      const [bell] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM notifications WHERE event_key = ${key}`;
      const count = (c: string) => sent.find((r) => r.channel === c)?.n ?? 0;
      const companyPeople = people.filter((p) => p.role !== 'msp_admin');
      return {
        people: companyPeople.map(shownAs),
        mspAdmins: people.length - companyPeople.length,
        inApp: bell?.n ?? 0,
        emails: count('email'),
        webhooks: count('webhook'),
      };
    },
  };
}
