// The blast-radius limits in the company Settings tab, in a real Chromium against the real stack: a refused value
// is shown under its own input, a good one is saved into remediation.*, and the form reads it back. The same tab's
// monthly report email switch is saved as reports.monthlyEmail.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;

describe('blast-radius settings (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: TestUser;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack({ startRouter: false });
    admin = await createUser(stack.sql, 'msp_admin', []);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('edits the runs per asset, per runbook and at once, each refusal under its own input', async () => {
    const name = `Wayne Health ${randomUUID().slice(0, 6)}`;
    const company = await createCompany(stack.sql, { name });
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, admin, {
      viewport: { width: 1400, height: 900 },
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await expect.poll(() => page.getByTestId('company-name').textContent(), { timeout: UI_TIMEOUT }).toBe(name);

    const field = (label: string) =>
      page
        .locator('.field')
        .filter({ has: page.getByLabel(label, { exact: true }) })
        .locator('.field-error');
    await page.getByLabel('Runs per asset per hour').fill('0');
    await page.getByLabel('Runs at once').fill('two');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => field('Runs at once').textContent()).toBe('must be a whole number');

    // The browser passes a whole number; the server refuses the 0 by field.
    await page.getByLabel('Runs at once').fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await field('Runs per asset per hour').waitFor();
    expect(await field('Runs per asset per hour').textContent()).toMatch(/>=\s*1|at least 1|too small/i);
    await page.screenshot({ path: path.join(SHOTS, 'blast-radius-settings-error.png'), fullPage: true });

    await page.getByLabel('Runs per asset per hour').fill('4');
    await page.getByLabel('Runs per runbook per hour').fill('12');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).toMatchObject({
      remediation: { maxRunsPerAssetPerHour: 4, maxRunsPerRunbookPerHour: 12, maxConcurrentRuns: 2 },
    });

    await page.reload();
    await expect.poll(() => page.getByLabel('Runs per runbook per hour').inputValue()).toBe('12');
    await page.screenshot({ path: path.join(SHOTS, 'blast-radius-settings.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('turns the monthly report email off and on again (reports.monthlyEmail)', async () => {
    const company = await createCompany(stack.sql, { name: `Wayne Mail ${randomUUID().slice(0, 6)}` });
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/companies/${company.companyId}/settings`, admin, {
      viewport: { width: 1400, height: 900 },
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    const stored = async () => {
      const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
        SELECT settings FROM companies WHERE id = ${company.companyId}`;
      return row!.settings.reports;
    };

    const box = page.getByLabel('Email the monthly report to company admins');
    await expect.poll(() => box.isChecked(), { timeout: UI_TIMEOUT }).toBe(true);
    await box.uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    expect(await stored()).toEqual({ monthlyEmail: false });

    // Read back after a reload; turned on again, the default is stored as no setting at all.
    await page.reload();
    await expect.poll(() => box.isChecked(), { timeout: UI_TIMEOUT }).toBe(false);
    await box.check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    expect(await stored()).toBeUndefined();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
