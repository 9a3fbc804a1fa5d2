// Outcome memory in Chromium against the real stack: after three failed runs of the disk runbook on an asset, a new
// disk_full incident there waits for approval, and the incident page shows the memory line ("Fixed 2 of the last 5
// disk_full incidents for this client…") and why the automatic run was held back; the Runbooks tab shows the
// runbook's run statistics from the same runs. Screenshots in test-results/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { diskRunbookOf, failingHistory } from '../helpers/outcome-runs.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const SHOTS = path.resolve('test-results');

describe('outcome memory (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let company: TestCompany;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, { name: 'Memory Dental' });
    await failingHistory(
      stack.sql,
      { companyId: company.companyId, diskRunbook: await diskRunbookOf(stack.sql, company.companyId) },
      'mem-db-01',
    );
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    browser = await launchChromium();
    page = await signedInPage(browser, `${stack.url}/#/incidents`, admin, {
      pageErrors,
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('bell').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the memory line and the held-back run on the incident, and run statistics on the Runbooks tab', async () => {
    const alert = { asset_name: 'mem-db-01', signature: 'disk_full', severity: 'high', message: 'disk 97%' };
    expect((await postAlert(stack.url, company.apiKey, { ...alert, tool_source: 'Datadog' })).status).toBe(202);

    // The past incidents are in the list too: the new one is the one awaiting approval.
    const row = page.locator('[data-testid="incident-row"][data-status="awaiting_approval"]', { hasText: 'mem-db-01' });
    await row.first().click();
    const detail = page.getByTestId('incident-detail');
    const memory = detail.getByTestId('outcome-memory');
    await memory.waitFor();
    expect(await memory.innerText()).toBe(
      'Past outcomes: Fixed 2 of the last 5 disk_full incidents for this client, median 40 s; ' +
        'on mem-db-01: 0 of the last 3.',
    );
    const held = detail.getByTestId('decision-memory');
    await held.waitFor();
    expect(await held.innerText()).toBe(
      'Runbook "Clean temp files" failed the last 3 times it ran on mem-db-01, so it does not run again without a ' +
        'person approving it.',
    );
    await page.screenshot({ path: path.join(SHOTS, 'outcome-memory.png'), fullPage: true });

    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await page.getByRole('link', { name: 'Runbooks', exact: true }).click();
    const disk = page.locator('[data-testid="runbook-row"]', { hasText: 'Clean temp files' });
    await expect
      .poll(() => disk.getByTestId('runbook-runs').innerText(), { timeout: UI_TIMEOUT })
      .toBe('2 of 5 succeeded · median 40 s');
    // The last run is the failure that began 10 minutes ago and took 40 s.
    expect((await disk.getByTestId('runbook-last-run').innerText()).trim()).toMatch(/^· last (9|10) minutes ago$/);
    await page.screenshot({ path: path.join(SHOTS, 'runbook-run-stats.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
