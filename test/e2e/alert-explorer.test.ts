// Search as people use it in a real Chromium against the real stack: the alert explorer's filters put the search in
// the address (a shared link opens the same results), "Load more" follows the cursor without repeating a row, and
// the incidents list's search box finds an incident by its asset; another company's rows never show.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { pastAlert, pastIncident } from '../helpers/kpi-fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;
const MINUTE = 60_000;

describe('alert explorer and incident search (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let mine: TestCompany;
  let other: TestCompany;
  let tech: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    mine = await createCompany(stack.sql, { name: 'Explorer Dental', runbooks: [] });
    other = await createCompany(stack.sql, { name: 'Explorer Other', runbooks: [] });
    tech = await createUser(stack.sql, 'technician', [mine.companyId]);
    const ago = (m: number) => new Date(Date.now() - m * MINUTE).toISOString();
    // 60 disk alerts (more than the explorer's page of 50), 3 cpu alerts, and the other company's disk alert.
    for (let i = 0; i < 60; i++) await pastAlert(stack.sql, mine.companyId, `dental-db-${i}`, 'disk_full', ago(i + 1));
    for (let i = 0; i < 3; i++) await pastAlert(stack.sql, mine.companyId, 'dental-web', 'cpu_high', ago(i + 100));
    await pastAlert(stack.sql, other.companyId, 'other-db-1', 'disk_full', ago(5));
    await pastIncident(stack.sql, mine.companyId, {
      created: ago(30),
      asset: 'dental-fileserver',
      signature: 'disk_full',
      status: 'new',
    });
    await pastIncident(stack.sql, other.companyId, {
      created: ago(30),
      asset: 'dental-fileserver-other',
      signature: 'disk_full',
      status: 'new',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signedIn = (user: TestUser): Promise<Page> =>
    signedInPage(browser, `${stack.url}/#/incidents`, user, {
      viewport: { width: 1400, height: 1100 },
      pageErrors,
      timeout: UI_TIMEOUT,
    });

  const rows = (page: Page) => page.getByTestId('alert-row');

  it('searches alerts by text and severity, shares the search by link, and loads more by cursor', async () => {
    const page = await signedIn(tech);
    await page.getByTestId('nav-alerts').click();
    const form = page.getByTestId('alert-filters');
    await form.getByLabel('Text').fill('disk_full');
    await form.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(50);
    expect(page.url()).toContain('#/alerts?q=disk_full');
    // The filters and the first page, before "Load more" scrolls the table.
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'alert-explorer.png') });
    await page.getByTestId('load-more').click();
    await expect.poll(() => rows(page).count(), { timeout: UI_TIMEOUT }).toBe(60);
    const ids = await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id')));
    expect(new Set(ids).size).toBe(60);
    await expect.poll(() => page.getByTestId('load-more').count()).toBe(0);
    // Only this company's alerts, newest first.
    const assets = await rows(page).locator('td:nth-child(3)').allTextContents();
    expect(assets[0]).toBe('dental-db-0');
    expect(assets.every((a) => a.startsWith('dental-db-'))).toBe(true);

    // A link with the filters opens the same search in a fresh tab.
    const link = `${stack.url}/#/alerts?q=dental-web&severity=high`;
    const second = await page.context().newPage();
    await second.goto(link);
    await expect.poll(() => rows(second).count(), { timeout: UI_TIMEOUT }).toBe(3);
    expect(await second.getByTestId('alert-filters').getByLabel('Text').inputValue()).toBe('dental-web');
    await second.goto(`${stack.url}/#/alerts?q=dental-web&severity=critical`);
    await expect.poll(() => second.getByText('No alerts match these filters.').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it("finds an incident by its asset from the list's search box, and the search survives opening it", async () => {
    const page = await signedIn(tech);
    await page.getByTestId('incident-search').fill('dental-fileserver');
    await page.getByTestId('incident-search').press('Enter');
    const list = page.getByTestId('incident-row');
    await expect.poll(() => list.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await list.locator('.asset').textContent()).toBe('dental-fileserver');
    expect(page.url()).toContain('q=dental-fileserver');
    await list.click();
    await expect.poll(() => page.url()).toMatch(/#\/incidents\/inc-[^?]+\?q=dental-fileserver/);
    expect(await page.getByTestId('incident-search').inputValue()).toBe('dental-fileserver');
    await page.screenshot({ path: path.join(SHOTS, 'incident-search.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
