// The dashboard's routes in a real Chromium against the real stack: `/` lands on the overview of the user's own
// company, a filtered alert search and a filtered audit log survive a reload, back/forward walk between filter states
// (the explorer's, the audit log's and the overview's), old and unknown addresses are handled.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { pastAlert } from '../helpers/kpi-fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const MINUTE = 60_000;

describe('routes (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let mine: TestCompany;
  let tech: TestUser;
  let admin: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    mine = await createCompany(stack.sql, { name: 'Routing Dental', runbooks: [] });
    const other = await createCompany(stack.sql, { name: 'Routing Other', runbooks: [] });
    tech = await createUser(stack.sql, 'technician', [mine.companyId]);
    const ago = (m: number) => new Date(Date.now() - m * MINUTE).toISOString();
    // The technician's company: 3 alerts on routing-web, 2 on routing-db. The other company's alert never counts.
    for (let i = 0; i < 3; i++) await pastAlert(stack.sql, mine.companyId, 'routing-web', 'cpu_high', ago(i + 1));
    for (let i = 0; i < 2; i++) await pastAlert(stack.sql, mine.companyId, 'routing-db', 'disk_full', ago(i + 10));
    await pastAlert(stack.sql, other.companyId, 'routing-web-other', 'cpu_high', ago(3));
    // The company's audit log: 3 routing.alpha entries, 2 routing.beta ones.
    admin = await createUser(stack.sql, 'company_admin', [mine.companyId]);
    for (const action of ['routing.alpha', 'routing.alpha', 'routing.alpha', 'routing.beta', 'routing.beta'])
      await stack.sql`INSERT INTO audit_log (company_id, action) VALUES (${mine.companyId}, ${action})`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signedIn = (user: TestUser, at = stack.url): Promise<Page> =>
    signedInPage(browser, at, user, { viewport: { width: 1400, height: 1100 }, pageErrors, timeout: UI_TIMEOUT });

  const rows = (page: Page) => page.getByTestId('alert-row');
  const textFilter = (page: Page) => page.getByTestId('alert-filters').getByLabel('Text');
  const kpiValue = (page: Page, id: string) => page.getByTestId(`kpi-${id}`).locator('.kpi-value').textContent();

  it("lands on the overview of the user's own company, and the old #/overview address still opens it", async () => {
    const page = await signedIn(tech);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/');
    expect(await page.getByTestId('nav-overview').getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('nav-incidents').getAttribute('aria-current')).toBeNull();
    // Only the technician's company counts: 5 alerts, not the other company's sixth.
    await expect.poll(() => kpiValue(page, 'alerts'), { timeout: UI_TIMEOUT }).toBe('5');

    await page.getByTestId('nav-incidents').click();
    // The technician's company has no incident: the list is there, empty.
    await page.getByTestId('incident-list').waitFor({ state: 'attached' });
    expect(new URL(page.url()).hash).toBe('#/incidents');
    expect(await page.getByTestId('nav-incidents').getAttribute('aria-current')).toBe('page');
    await page.goto(`${stack.url}/#/overview`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/');
    expect(pageErrors).toEqual([]);
  });

  it('restores a filtered alert search after a reload, and walks back and forward between two searches', async () => {
    const page = await signedIn(tech, `${stack.url}/#/alerts?q=routing-web&severity=high`);
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(3);
    await page.reload();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(3);
    expect(await textFilter(page).inputValue()).toBe('routing-web');
    expect(await page.getByTestId('alert-filters').getByLabel('Severity').inputValue()).toBe('high');

    // A second search is a new history entry: back shows the first one again, forward the second.
    await textFilter(page).fill('routing-db');
    await page.getByTestId('alert-filters').getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(2);
    expect(page.url()).toContain('#/alerts?q=routing-db&severity=high');
    await page.goBack();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(3);
    expect(await textFilter(page).inputValue()).toBe('routing-web');
    await page.goForward();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(2);
    expect(await textFilter(page).inputValue()).toBe('routing-db');
    expect(pageErrors).toEqual([]);
  });

  it('restores a filtered audit log after a reload, and walks back and forward between two filters', async () => {
    const page = await signedIn(admin, `${stack.url}/#/audit`);
    const form = page.getByTestId('audit-filters');
    const auditRows = page.getByTestId('audit-row');
    await form.getByLabel('Action starts with').fill('routing.alpha');
    await form.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.url()).toContain('#/audit?action=routing.alpha');
    await expect.poll(() => auditRows.count(), { timeout: UI_TIMEOUT }).toBe(3);
    await page.reload();
    await expect.poll(() => auditRows.count(), { timeout: UI_TIMEOUT }).toBe(3);
    expect(await form.getByLabel('Action starts with').inputValue()).toBe('routing.alpha');

    await form.getByLabel('Action starts with').fill('routing.beta');
    await form.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => auditRows.count(), { timeout: UI_TIMEOUT }).toBe(2);
    expect(page.url()).toContain('#/audit?action=routing.beta');
    await page.goBack();
    await expect.poll(() => auditRows.count(), { timeout: UI_TIMEOUT }).toBe(3);
    expect(await form.getByLabel('Action starts with').inputValue()).toBe('routing.alpha');
    await page.goForward();
    await expect.poll(() => auditRows.count(), { timeout: UI_TIMEOUT }).toBe(2);
    expect(await form.getByLabel('Action starts with').inputValue()).toBe('routing.beta');
    expect(pageErrors).toEqual([]);
  });

  it("keeps the overview's period and company in the address, and back restores them", async () => {
    const page = await signedIn(tech);
    await expect.poll(() => kpiValue(page, 'alerts'), { timeout: UI_TIMEOUT }).toBe('5');
    await page.getByTestId('overview-company').selectOption(mine.companyId);
    await page.getByTestId('overview-period').selectOption(String(30 * 24));
    await expect.poll(() => page.url()).toContain(`#/?company=${mine.companyId}&hours=720`);
    await page.reload();
    await expect.poll(() => page.getByTestId('overview-period').inputValue(), { timeout: UI_TIMEOUT }).toBe('720');
    // The company list loads after the page: the select still shows the linked company once it has.
    await expect.poll(() => page.getByTestId('overview-company').inputValue()).toBe(mine.companyId);
    await page.goBack();
    await expect.poll(() => page.getByTestId('overview-period').inputValue()).toBe(String(7 * 24));
    expect(await page.getByTestId('overview-company').inputValue()).toBe(mine.companyId);
    expect(pageErrors).toEqual([]);
  });

  it('shows "not found" for an unknown address, with a way back to the overview', async () => {
    const page = await signedIn(tech, `${stack.url}/#/no-such-page/42`);
    await page.getByTestId('not-found').waitFor();
    expect(await page.getByTestId('nav-overview').getAttribute('aria-current')).toBeNull();
    await page.getByRole('link', { name: 'Back to the overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // A technician has no audit log: the page is "not found" for them, as the server refuses its data anyway.
    await page.goto(`${stack.url}/#/audit`);
    await page.getByTestId('not-found').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
