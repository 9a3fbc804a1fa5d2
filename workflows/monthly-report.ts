// Mails each active company's admins the client report of last month (issue 15 item 2): started on the 1st by the
// install's one monthly-report Schedule (lib/report-schedule.ts), or run by hand for a given month. Its own module:
// the incident workflow's histories are untouched by it. Mailing twice is prevented by the activity's ledger
// (activities/report-mail.ts), so a re-run for the same month only mails what did not go out.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createReportMailActivities, ReportMailResult } from '../activities/report-mail.ts';
import { calendarMonth, previousMonth } from '../domain/client-report.ts';

type ReportMailActivities = ReturnType<typeof createReportMailActivities>;

const listing = proxyActivities<ReportMailActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

const mailing = proxyActivities<ReportMailActivities>({
  // A report is a handful of queries and an email per admin; the mailing's lease (MAILING_LEASE_SECONDS) is longer.
  startToCloseTimeout: '5 minutes',
  // A relay that is down is worth waiting out for a while: about two hours of attempts before the company is given
  // up on for this run (a re-run of the month mails it then, and nobody twice).
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '15 minutes', maximumAttempts: 12 },
});

/** Companies mailed at once: a few SMTP connections, gentle on the relay and the database. */
const PARALLEL = 4;

export interface MonthlyReportInput {
  /** YYYY-MM (UTC); unset = the month before this run started (the Schedule's run on the 1st). */
  month?: string;
  /** These companies only (a person's re-run); unset = every active company with the setting on. */
  companyIds?: string[];
}

export interface MonthlyReportResult {
  month: string;
  results: ReportMailResult[];
  /** Companies whose mailing still failed after its retries. */
  failed: string[];
}

export async function monthlyReportWorkflow(input: MonthlyReportInput = {}): Promise<MonthlyReportResult> {
  const month = input.month ?? previousMonth(Date.now());
  if (!calendarMonth(month)) throw ApplicationFailure.nonRetryable(`month must be YYYY-MM, not "${month}"`, 'BadMonth');
  const companies = input.companyIds ?? (await listing.listReportCompanies());
  const results: ReportMailResult[] = [];
  const failed: string[] = [];
  for (let i = 0; i < companies.length; i += PARALLEL) {
    const batch = companies.slice(i, i + PARALLEL);
    // One company's failure must not keep the others' reports from going out.
    const settled = await Promise.allSettled(batch.map((companyId) => mailing.mailCompanyReport({ companyId, month })));
    settled.forEach((s, j) => (s.status === 'fulfilled' ? results.push(s.value) : failed.push(batch[j]!)));
  }
  return { month, results, failed };
}
