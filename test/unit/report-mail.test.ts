// The monthly report email as its admins read it (domain/report-mail.ts): who gets it, the subject naming the month,
// tenant text on one line and cut, the body bounded with the link kept, the CSV attached; and the company setting.
import { describe, expect, it } from 'vitest';
import { previousMonth, type ReportFigures } from '../../domain/client-report.ts';
import { parseCompanySettings } from '../../domain/company-settings.ts';
import {
  duration,
  monthName,
  oneLine,
  REPORT_TEXT_MAX,
  reportEmail,
  reportLink,
  reportRecipients,
} from '../../domain/report-mail.ts';

const figures = (o: Partial<ReportFigures & { companyId: string }> = {}): ReportFigures & { companyId: string } => ({
  companyId: 'comp-acme',
  companyName: 'Acme Dental',
  month: '2026-11',
  alerts: 40,
  incidents: 8,
  noiseReduction: 0.8,
  mttaSeconds: 330,
  mttrSeconds: 7_500,
  selfHealed: 2,
  selfHealedShare: 0.25,
  slaCompliance: 0.875,
  bySeverity: [{ severity: 'high', incidents: 8, slaMet: 7, slaMissed: 1 }],
  recurring: [{ signature: 'disk_full', incidents: 3, assets: 2, selfHealed: 1 }],
  patches: {
    instancesScanned: 4,
    compliant: 3,
    nonCompliant: 1,
    criticalMissing: 2,
    securityMissing: 1,
    lastScanAt: '2026-11-29T06:05:00.000Z',
  },
  ...o,
});
const URL = 'https://aw.example.com/#/reports/comp-acme/2026-11';

describe('monthly report email', () => {
  it('names the month in the subject, gives the figures, the link and the CSV', () => {
    const mail = reportEmail(figures(), URL);
    expect(mail.subject).toBe('Monthly report: Acme Dental, November 2026');
    expect(mail.text.split('\n')).toEqual([
      'The monthly report of Acme Dental for November 2026 (UTC).',
      '',
      'Alerts received: 40',
      'Incidents: 8',
      'Noise reduction: 80.0 %',
      'Mean time to acknowledge: 6 min',
      'Mean time to resolve: 2 h 5 min',
      'Self-healed: 25.0 % (2 of 8)',
      'SLA compliance: 87.5 %',
      'Patch compliance: 3 of 4 scanned instances compliant, 2 critical and 1 security patches missing ' +
        '(latest scan 2026-11-29 06:05 UTC).',
      '',
      'Recurring problems:',
      '- disk_full: 3 incidents on 2 assets',
      '',
      'The whole report is attached as CSV. Print it from the dashboard:',
      URL,
    ]);
    expect(mail.attachment).toMatchObject({
      filename: 'report-comp-acme-2026-11.csv',
      contentType: 'text/csv; charset=utf-8',
    });
    expect(mail.attachment.content.split('\r\n')[1]).toBe('Acme Dental,2026-11,40,8,80.0,330,7500,2,25.0,87.5');
  });

  it('says so when nothing is measured or known', () => {
    const mail = reportEmail(
      figures({
        incidents: 0,
        noiseReduction: null,
        mttaSeconds: null,
        mttrSeconds: null,
        recurring: [],
        patches: null,
      }),
      URL,
    );
    expect(mail.text).toContain('Mean time to resolve: n/a');
    expect(mail.text).toContain('Patch compliance: no patch scan from this month is known.');
    expect(mail.text).toContain('No problem came back this month.');
  });

  it("keeps a tenant's text on one line and cut, and the body bounded with the link last", () => {
    const evil = `Acme\r\nBcc: victim@example.com\n${'x'.repeat(300)}`;
    const recurring = Array.from({ length: 8 }, (_, i) => ({
      signature: `sig-${i}\n${'y'.repeat(2_000)}`,
      incidents: 2,
      assets: 1,
      selfHealed: 0,
    }));
    const mail = reportEmail(figures({ companyName: evil, recurring, companyId: 'comp/../x y' }), URL);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toMatch(/^Monthly report: Acme Bcc: victim@example\.com x+…, November 2026$/);
    expect(mail.subject.length).toBeLessThan(140);
    expect(mail.text.length).toBeLessThanOrEqual(REPORT_TEXT_MAX);
    expect(mail.text.endsWith(`\n${URL}`)).toBe(true);
    // Five named, the rest left to the CSV; a signature is one line of at most 80 characters.
    expect(mail.text).toContain('- sig-4 yyy');
    expect(mail.text).not.toContain('sig-5');
    expect(mail.text).toContain('…and 3 more in the attached CSV.');
    for (const line of mail.text.split('\n')) expect(line.length).toBeLessThanOrEqual(200);
    expect(mail.attachment.filename).toBe('report-comp_.._x_y-2026-11.csv');
  });

  it('goes to admins who take email at a usable address, each once', () => {
    expect(
      reportRecipients([
        { email: 'a@example.com', prefs: {} },
        { email: 'b@example.com', prefs: { email: false } },
        { email: 'c@example.com', prefs: null },
        { email: '', prefs: {} },
        { email: null, prefs: {} },
        { email: 'not an address', prefs: {} },
        { email: 'a@example.com', prefs: { email: true } },
      ]),
    ).toEqual(['a@example.com', 'c@example.com']);
  });

  it('names months, durations and links the same way everywhere', () => {
    expect(monthName('2026-01')).toBe('January 2026');
    expect(previousMonth(Date.parse('2026-01-01T01:00:00Z'))).toBe('2025-12');
    expect(previousMonth(Date.parse('2026-12-31T23:59:59Z'))).toBe('2026-11');
    expect([duration(40.4), duration(600), duration(3_600), duration(null)]).toEqual(['40 s', '10 min', '1 h', 'n/a']);
    expect(oneLine(' a\u2028b\tc ', 10)).toBe('a b c');
    expect(reportLink('https://aw.example.com/', 'comp a', '2026-11')).toBe(
      'https://aw.example.com/#/reports/comp%20a/2026-11',
    );
  });
});

describe('monthly report setting', () => {
  it('is a boolean under reports, refused by field otherwise', () => {
    expect(parseCompanySettings({ reports: { monthlyEmail: false } })).toEqual({
      ok: true,
      settings: { reports: { monthlyEmail: false } },
    });
    expect(parseCompanySettings({ reports: { monthlyEmail: 'no' } })).toMatchObject({
      ok: false,
      errors: [{ field: 'reports.monthlyEmail' }],
    });
    expect(parseCompanySettings({ reports: { monthly: true } })).toEqual({
      ok: false,
      errors: [{ field: 'reports.monthly', message: 'is not a setting' }],
    });
  });
});
