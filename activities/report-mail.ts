// The monthly client report by email (workflows/monthly-report.ts): one activity per company and month. A row of
// report_mailings (migration 025) is the month's ledger, held as a lease while mailing, so a retried activity or a
// re-run Schedule never mails a month twice; each recipient's email is claimed and settled in the shared delivery
// ledger (db/notification-deliveries.ts), so a retry after a partial send only sends what did not go out.
import { ApplicationFailure } from '@temporalio/common';
import { readCompanyMonthReport } from '../db/client-report.ts';
import { claimDelivery, settleDelivery } from '../db/notification-deliveries.ts';
import type { Sql } from '../db/sql.ts';
import { calendarMonth } from '../domain/client-report.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import { reportEmail, reportLink, reportRecipients, type ReportPerson } from '../domain/report-mail.ts';
import type { Mailer } from '../lib/mailer.ts';

/**
 * How long a mailing's claim holds off another attempt. Longer than the activity's start-to-close timeout
 * (workflows/monthly-report.ts), so only an attempt that died without saying so is taken over.
 */
export const MAILING_LEASE_SECONDS = 600;

export interface ReportMailInput {
  companyId: string;
  /** YYYY-MM (UTC). */
  month: string;
}

export interface ReportMailResult {
  companyId: string;
  month: string;
  outcome: 'sent' | 'already_sent' | 'turned_off' | 'archived' | 'no_smtp';
  /** Admins the report went to (on `already_sent`, as that earlier mailing counted them). */
  recipients: number;
}

export function createReportMailActivities(deps: { sql: Sql; mailer: Mailer | null; publicUrl: string }) {
  const { sql } = deps;

  /** Takes the month's mailing for this attempt; false when it was sent, or another attempt holds it. */
  async function claimMailing(companyId: string, month: string): Promise<boolean> {
    const rows = await sql`
      INSERT INTO report_mailings (company_id, month, status) VALUES (${companyId}, ${month}, 'sending')
      ON CONFLICT (company_id, month) DO UPDATE
        SET status = 'sending', claimed_at = now(), attempts = report_mailings.attempts + 1, error = NULL
        WHERE report_mailings.status = 'failed'
          OR (report_mailings.status = 'sending'
            AND report_mailings.claimed_at < now() - make_interval(secs => ${MAILING_LEASE_SECONDS}))
      RETURNING 1`;
    return rows.length > 0;
  }

  return {
    /** The companies whose admins get last month's report: not archived, the setting not turned off. */
    async listReportCompanies(): Promise<string[]> {
      const rows = await sql<{ id: string }[]>`
        SELECT id FROM companies
        WHERE archived_at IS NULL AND coalesce(settings->'reports'->>'monthlyEmail', 'true') <> 'false'
        ORDER BY id`;
      return rows.map((r) => r.id);
    },

    /**
     * Mails one company's report of `month` to its company admins, CSV attached, once. Throws for Temporal to retry
     * when an email failed (what went out is not sent again) or another attempt is mailing it right now.
     */
    async mailCompanyReport(input: ReportMailInput): Promise<ReportMailResult> {
      const { companyId } = input;
      const month = calendarMonth(input.month);
      if (!month) throw ApplicationFailure.nonRetryable(`Month "${input.month}" is not YYYY-MM`, 'BadMonth');
      const result = (outcome: ReportMailResult['outcome'], recipients = 0): ReportMailResult => ({
        companyId,
        month: month.month,
        outcome,
        recipients,
      });
      const [company] = await sql<{ settings: CompanySettings | null; archivedAt: Date | null }[]>`
        SELECT settings, archived_at AS "archivedAt" FROM companies WHERE id = ${companyId}`;
      if (!company) throw ApplicationFailure.nonRetryable(`Company ${companyId} not found`, 'CompanyGone');
      if (company.archivedAt) return result('archived');
      // Checked here too: the setting may change between the list and this company's turn.
      if (company.settings?.reports?.monthlyEmail === false) return result('turned_off');
      if (!deps.mailer) return result('no_smtp');

      if (!(await claimMailing(companyId, month.month))) {
        const [row] = await sql<{ status: string; recipients: number }[]>`
          SELECT status, recipients FROM report_mailings WHERE company_id = ${companyId} AND month = ${month.month}`;
        if (row?.status === 'sent') return result('already_sent', row.recipients);
        throw new Error(`The ${month.month} report of company ${companyId} is being mailed by another attempt`);
      }

      const people = await sql<ReportPerson[]>`
        SELECT u.email, u.notification_prefs AS prefs FROM users u
        JOIN user_companies m ON m.user_id = u.id AND m.company_id = ${companyId}
        WHERE u.role = 'company_admin' AND u.disabled_at IS NULL ORDER BY u.email`;
      const report = await readCompanyMonthReport(sql, companyId, month);
      // Deleted since the check above: nothing to report, and a retry would not find it either.
      if (!report) throw ApplicationFailure.nonRetryable(`Company ${companyId} not found`, 'CompanyGone');
      const email = reportEmail(report, reportLink(deps.publicUrl, companyId, month.month));
      const key = `report:${companyId}:${month.month}`;
      const failures: string[] = [];
      for (const to of reportRecipients(people)) {
        if (!(await claimDelivery(sql, key, 'email', to))) continue;
        try {
          await deps.mailer.send({ to, subject: email.subject, text: email.text, attachments: [email.attachment] });
          await settleDelivery(sql, key, 'email', to, null);
        } catch (err) {
          await settleDelivery(sql, key, 'email', to, (err as Error).message);
          failures.push((err as Error).message);
        }
      }
      if (failures.length > 0) {
        const error = `Monthly report not delivered: ${failures.join('; ')}`.slice(0, 1000);
        await sql`
          UPDATE report_mailings SET status = 'failed', error = ${error}
          WHERE company_id = ${companyId} AND month = ${month.month}`;
        throw new Error(error);
      }
      // Counted from the rows, so a retry that had little left to send still counts everyone who got it.
      const [sent] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM notification_deliveries WHERE event_key = ${key} AND status = 'sent'`;
      const recipients = sent?.n ?? 0;
      await sql`
        UPDATE report_mailings SET status = 'sent', recipients = ${recipients}, sent_at = now()
        WHERE company_id = ${companyId} AND month = ${month.month}`;
      return result('sent', recipients);
    },
  };
}
