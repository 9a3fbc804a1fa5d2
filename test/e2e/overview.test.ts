// The overview in a real Chromium against the real stack: a company admin sees the KPI cards of their company's
// last 7 days as worked out by hand, the charts drawn with their table views, and the figures move when an alert
// arrives through the webhook.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { pastAlert, pastIncident } from '../helpers/kpi-fixtures.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;
const HOUR = 3_600_000;

describe('overview (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let admin: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, { name: 'Overview Clinic', runbooks: [] });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    // Within the last 7 days: 10 alerts (2 muted) and 4 incidents — one self-healed in 10 minutes, one acknowledged
    // after 5 minutes and resolved after an hour, one critical acknowledged after 15 minutes and breached, one new.
    const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
    const c = company.companyId;
    for (let i = 0; i < 5; i++) await pastAlert(stack.sql, c, 'clinic-web-01', 'cpu_high', ago(50 + i));
    for (let i = 0; i < 3; i++) await pastAlert(stack.sql, c, 'clinic-db-01', 'disk_full', ago(30 + i), i < 2);
    for (let i = 0; i < 2; i++) await pastAlert(stack.sql, c, 'clinic-app-01', 'mem_high', ago(10 + i));
    await pastIncident(stack.sql, c, { created: ago(48), status: 'resolved', resolved: ago(48 - 1 / 6), auto: true });
    await pastIncident(stack.sql, c, {
      created: ago(40),
      status: 'resolved',
      ackAt: ago(40 - 1 / 12),
      resolved: ago(39),
    });
    await pastIncident(stack.sql, c, {
      created: ago(30),
      severity: 'critical',
      status: 'escalated',
      ackAt: ago(30 - 1 / 4),
      breached: true,
    });
    await pastIncident(stack.sql, c, { created: ago(10), status: 'new' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signedIn = (user: TestUser): Promise<Page> =>
    signedInPage(browser, stack.url, user, {
      viewport: { width: 1400, height: 1300 },
      pageErrors,
      timeout: UI_TIMEOUT,
    });

  /** A KPI card's value and hint, as shown. */
  const card = async (page: Page, id: string) => {
    const c = page.getByTestId(`kpi-${id}`);
    return `${await c.locator('.kpi-value').textContent()} | ${await c.locator('.kpi-hint').textContent()}`;
  };

  it('lands on the KPI cards and charts of the period, and moves when an alert arrives', async () => {
    const page = await signedIn(admin);
    // The landing page: no click needed.
    expect(new URL(page.url()).hash).toBe('#/');
    await expect.poll(() => card(page, 'noise'), { timeout: UI_TIMEOUT }).toBe('60 % | 10 alerts → 4 incidents');
    // Worked out by hand from the rows above.
    expect(await card(page, 'open')).toBe('2 | 1 critical · 1 high');
    expect(await card(page, 'alerts')).toBe('10 | 2 muted');
    expect(await card(page, 'mtta')).toBe('10 min | 2 acknowledged'); // (5 + 15) / 2
    expect(await card(page, 'mttr')).toBe('35 min | self-healed 10 min · others 60 min'); // (10 + 60) / 2
    expect(await card(page, 'self-healed')).toBe('25 % | 1 of 4 incidents, no person needed');
    expect(await card(page, 'sla')).toBe('67 % | 2 met · 1 breached');
    // Drawn (SVG), and the same figures as a table on request.
    await expect
      .poll(() => page.getByTestId('chart-volume').locator('svg').count(), { timeout: UI_TIMEOUT })
      .toBeGreaterThan(0);
    const assets = page.getByTestId('chart-top-assets');
    await assets.getByRole('button', { name: 'Show table' }).click();
    const rows = assets.locator('table tbody tr');
    expect(await rows.allTextContents()).toEqual(['clinic-web-015', 'clinic-db-013', 'clinic-app-012']);
    await assets.getByRole('button', { name: 'Show chart' }).click();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });

    // Live: a new alert opens a new incident; the overview reloads on the change (at most every 5 s).
    const posted = await postAlert(stack.url, company.apiKey, {
      asset_name: 'clinic-files-01',
      signature: 'disk_full',
      severity: 'high',
      message: 'disk 97% on /srv',
      tool_source: 'Datadog',
    });
    expect(posted.status).toBe(202);
    await expect.poll(() => card(page, 'noise'), { timeout: UI_TIMEOUT }).toBe('55 % | 11 alerts → 5 incidents');
    expect(pageErrors).toEqual([]);
  });

  it('opens the monthly client report from the overview and downloads it as CSV', async () => {
    // Last month, mid-month (any day the suite runs): 4 alerts, 2 disk_full incidents on two assets, one self-healed.
    const now = new Date();
    const day = (d: number, h: number) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, d, h)).toISOString();
    const month = day(1, 0).slice(0, 7);
    const report = await createCompany(stack.sql, { name: 'Report Vet', runbooks: [] });
    const vet = await createUser(stack.sql, 'company_admin', [report.companyId]);
    for (let i = 0; i < 4; i++) await pastAlert(stack.sql, report.companyId, `vet-${i % 2}`, 'disk_full', day(10, i));
    await pastIncident(stack.sql, report.companyId, {
      created: day(10, 0),
      asset: 'vet-0',
      signature: 'disk_full',
      status: 'resolved',
      resolved: day(10, 1),
      auto: true,
    });
    await pastIncident(stack.sql, report.companyId, {
      created: day(12, 0),
      asset: 'vet-1',
      signature: 'disk_full',
      status: 'resolved',
      resolved: day(12, 2),
    });

    const page = await signedIn(vet);
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('overview-company').selectOption(report.companyId);
    await page.getByTestId('overview-report-link').click();
    await expect
      .poll(() => page.getByTestId('report-title').textContent(), { timeout: UI_TIMEOUT })
      .toContain('Report Vet');
    const summary = page.getByTestId('report-summary');
    await expect
      .poll(() => summary.locator('tr').allTextContents(), { timeout: UI_TIMEOUT })
      .toEqual([
        'Alerts received4',
        'Incidents2',
        'Noise reduction50 %',
        'Mean time to acknowledge–',
        'Mean time to resolve1.5 h',
        'Self-healed50 % (1 of 2)',
        'SLA compliance100 %',
      ]);
    expect(await page.getByTestId('report-recurring').locator('tbody tr').allTextContents()).toEqual(['disk_full221']);
    expect(page.url()).toContain(`#/reports/${report.companyId}/${month}`);
    mkdirSync(SHOTS, { recursive: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SHOTS, 'client-report-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[1]).toBe(`Report Vet,${month},4,2,50.0,,5400,1,50.0,100.0`);
    expect(pageErrors).toEqual([]);
  });
});
