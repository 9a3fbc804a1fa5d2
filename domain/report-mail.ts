// The monthly client report by email (workflows/monthly-report.ts): who receives it and what they read. Pure, so the
// text is tested without SMTP; activities/report-mail.ts looks the people up and sends it through the mailer.
// Tenant-written text (the company's name, alert signatures) is made one line and cut, so it can neither add lines
// nor headers nor grow the mail without bound; the whole text has a ceiling too.
import { reportCsv, type ReportFigures } from './client-report.ts';
import { cutText } from './text.ts';

/** The body's ceiling in characters; the CSV attached carries everything the text leaves out. */
export const REPORT_TEXT_MAX = 4_000;
export const NAME_MAX = 100;
export const SIGNATURE_MAX = 80;
/** Recurring problems named in the body; the rest are in the CSV. */
export const RECURRING_IN_TEXT = 5;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "2026-11" → "November 2026" (the same words whatever the server's locale). */
export function monthName(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** Tenant text on one line: control and line-separator characters become spaces, then cut with an ellipsis. */
export function oneLine(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${cutText(flat, max - 1)}…` : flat;
}

export interface ReportPerson {
  email: string | null;
  /** users.notification_prefs: `email: false` turns every email off, this one included. */
  prefs: { email?: boolean } | null;
}

/** The addresses a company's admins receive the report at: opted-out people and unusable addresses left out. */
export function reportRecipients(people: readonly ReportPerson[]): string[] {
  const out = new Set<string>();
  for (const p of people) {
    const email = p.email?.trim() ?? '';
    if (p.prefs?.email === false || !/^[^\s@]+@[^\s@]+$/.test(email)) continue;
    out.add(email);
  }
  return [...out];
}

/** The printable page of the report in the dashboard (web/src/components/reports/ReportPage.vue's route). */
export function reportLink(publicUrl: string, companyId: string, month: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/reports/${encodeURIComponent(companyId)}/${month}`;
}

export interface ReportEmail {
  subject: string;
  text: string;
  attachment: { filename: string; content: string; contentType: string };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

/** "2 h 5 min", "12 min", "40 s"; "n/a" when nothing was measured. */
export function duration(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 ? `${h} h ${minutes % 60} min` : `${h} h`;
}

function patchLine(r: ReportFigures): string {
  const p = r.patches;
  if (!p) return 'Patch compliance: no patch scan from this month is known.';
  return (
    `Patch compliance: ${p.compliant} of ${p.instancesScanned} scanned instances compliant, ` +
    `${p.criticalMissing} critical and ${p.securityMissing} security patches missing ` +
    `(latest scan ${p.lastScanAt.slice(0, 16).replace('T', ' ')} UTC).`
  );
}

/** The email of one company's month: subject, bounded plain text with the page's link, and the CSV attached. */
export function reportEmail(r: ReportFigures & { companyId: string }, url: string): ReportEmail {
  const company = oneLine(r.companyName, NAME_MAX);
  const when = monthName(r.month);
  const recurring = r.recurring.slice(0, RECURRING_IN_TEXT).map((p) => {
    const incidents = `${p.incidents} incident${p.incidents === 1 ? '' : 's'}`;
    return `- ${oneLine(p.signature, SIGNATURE_MAX)}: ${incidents} on ${p.assets} asset${p.assets === 1 ? '' : 's'}`;
  });
  const more = r.recurring.length - recurring.length;
  const lines = [
    `The monthly report of ${company} for ${when} (UTC).`,
    '',
    `Alerts received: ${r.alerts}`,
    `Incidents: ${r.incidents}`,
    `Noise reduction: ${pct(r.noiseReduction)}`,
    `Mean time to acknowledge: ${duration(r.mttaSeconds)}`,
    `Mean time to resolve: ${duration(r.mttrSeconds)}`,
    `Self-healed: ${pct(r.selfHealedShare)} (${r.selfHealed} of ${r.incidents})`,
    `SLA compliance: ${pct(r.slaCompliance)}`,
    patchLine(r),
    '',
    ...(recurring.length ? ['Recurring problems:', ...recurring] : ['No problem came back this month.']),
    ...(more > 0 ? [`…and ${more} more in the attached CSV.`] : []),
    '',
    'The whole report is attached as CSV. Print it from the dashboard:',
    url,
  ];
  // The link comes last, so a cut body still ends with it.
  const body = lines.slice(0, -1).join('\n');
  const room = REPORT_TEXT_MAX - url.length - 1;
  const text = `${body.length > room ? `${cutText(body, room - 1)}…` : body}\n${url}`;
  const safeId = r.companyId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return {
    subject: `Monthly report: ${company}, ${when}`,
    text,
    attachment: {
      filename: `report-${safeId}-${r.month}.csv`,
      content: reportCsv(r),
      contentType: 'text/csv; charset=utf-8',
    },
  };
}
