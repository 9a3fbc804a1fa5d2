// The On-call tab of a company as people see it in a real Chromium against the real stack: a company admin builds
// a rotation (the server's refusal shown under its field), sees who is on call now, puts someone else on for the
// next hour; a technician of the company sees it all, read-only.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const HOUR_MS = 3_600_000;

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** The error shown under the form field that holds the element with this test id. */
const fieldError = (page: Page, testId: string) =>
  page
    .locator('.field')
    .filter({ has: page.getByTestId(testId) })
    .locator('.field-error');

/** datetime-local values `offsetsMs` from one "now", on the browser's own clock and in its time zone. */
const localInputs = (page: Page, offsetsMs: number[]) =>
  page.evaluate((offsets) => {
    const now = Date.now();
    const p = (n: number) => String(n).padStart(2, '0');
    return offsets.map((offset) => {
      const d = new Date(now + offset);
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
  }, offsetsMs);

describe('on-call tab (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let adminContext: BrowserContext;
  let page: Page;
  let company: TestCompany;
  let admin: TestUser;
  let techA: TestUser;
  let techB: TestUser;
  const pageErrors: string[] = [];
  let reported = 0;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npx vite build --config web/vite.config.ts`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, {
      name: 'Initech',
      settings: { groupWaitSeconds: 0, timeZone: 'Europe/Berlin' },
    });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    techA = await createUser(stack.sql, 'technician', [company.companyId]);
    techB = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
    // The admin's browser is in another time zone than the company: override times are the browser's local time.
    adminContext = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'America/New_York' });
    page = await adminContext.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(`[admin] ${err.stack ?? err.message}`));
  });

  afterEach(() => {
    // An uncaught exception in the page fails the test during which it happened.
    const fresh = pageErrors.slice(reported);
    reported = pageErrors.length;
    expect(fresh, 'uncaught page errors').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lets a company admin create a schedule, showing the refusal under its field first', async () => {
    await page.goto(`${stack.url}/#/companies/${company.companyId}/on-call`);
    await signIn(page, admin.email, admin.password);
    const tab = page.getByTestId('on-call-tab');
    await tab.waitFor({ state: 'visible' });
    expect(await page.getByRole('link', { name: 'On-call' }).getAttribute('aria-current')).toBe('page');
    await tab.getByText('No on-call schedules').waitFor({ state: 'visible' });
    expect(await tab.textContent()).toContain('Europe/Berlin');

    await page.getByTestId('new-schedule').click();
    await page.getByTestId('schedule-name').fill('Databases');
    await page.getByTestId('schedule-category').fill('database');
    await page.getByTestId('layer-1-add-person').selectOption({ label: techB.email });
    expect(await page.getByTestId('layer-1-people').textContent()).toContain(techB.email);
    // Nobody in the primary layer: the server refuses, and says so under the primary's people.
    await page.getByTestId('save-schedule').click();
    await fieldError(page, 'layer-0-add-person').waitFor({ state: 'visible' });
    expect(await fieldError(page, 'layer-0-add-person').textContent()).toMatch(/\S/);
    expect(await page.getByTestId('layer-0-add-person').getAttribute('aria-invalid')).toBe('true');
    expect(await fieldError(page, 'layer-1-add-person').count()).toBe(0);
    expect(await page.getByTestId('schedule-error').textContent()).toContain('Please correct the fields marked below');
    expect(await page.getByTestId('schedule-row').count()).toBe(0);

    await page.getByTestId('layer-0-add-person').selectOption({ label: techA.email });
    expect(await page.getByTestId('layer-0-people').textContent()).toContain(techA.email);
    expect(await page.getByTestId('layer-0-handoff').inputValue()).toBe('09:00');
    await page.getByTestId('save-schedule').click();

    const row = page.getByTestId('schedule-row');
    await row.waitFor({ state: 'visible' });
    expect(await page.getByTestId('schedule-form').count()).toBe(0);
    const text = await row.textContent();
    expect(text).toContain('Databases');
    expect(text).toContain('database');
    expect(text).toMatch(/Primary:\s*\S*\s*— weekly, handoff at 09:00 \(Europe\/Berlin\)/);
    expect(text).toContain(`Primary: ${techA.email}`);
    expect(text).toContain(`Backup: ${techB.email}`);
    expect(await row.getByTestId('on-call-now').textContent()).toBe(
      `On call now: Primary ${techA.email}, Backup ${techB.email}`,
    );
  });

  it('puts the backup on primary for the next hour with an override', async () => {
    const row = page.getByTestId('schedule-row');
    await row.getByTestId('add-override').click();
    await row.getByTestId('override-person').selectOption({ label: techB.email });
    expect(await row.getByTestId('override-layer').inputValue()).toBe('0');
    const [from, hourAgo, inAnHour] = await localInputs(page, [0, -HOUR_MS, HOUR_MS]);
    // Ending before it starts: the server's refusal shows under "To".
    await row.getByTestId('override-from').fill(from!);
    await row.getByTestId('override-to').fill(hourAgo!);
    await row.getByTestId('save-override').click();
    await expect.poll(() => fieldError(page, 'override-to').textContent()).toBe('must be after the start');
    expect(await row.getByTestId('override-row').count()).toBe(0);

    await row.getByTestId('override-to').fill(inAnHour!);
    await row.getByTestId('save-override').click();
    const override = row.getByTestId('override-row');
    await override.waitFor({ state: 'visible' });
    expect(await override.textContent()).toContain(`${techB.email} as primary`);
    expect(await override.textContent()).toContain('now');
    expect(await override.textContent()).toContain(admin.email);
    await expect
      .poll(() => row.getByTestId('on-call-now').textContent())
      .toBe(`On call now: Primary ${techB.email} (override), Backup ${techB.email}`);
    // The rotation itself is unchanged.
    expect(await row.textContent()).toContain(`Primary: ${techA.email}`);

    const [stored] = await stack.sql<{ startsAt: number; endsAt: number }[]>`
      SELECT extract(epoch FROM o.starts_at) * 1000 AS "startsAt", extract(epoch FROM o.ends_at) * 1000 AS "endsAt"
      FROM on_call_overrides o JOIN on_call_schedules s ON s.id = o.schedule_id
      WHERE s.company_id = ${company.companyId}`;
    // The browser's local wall-clock time went to the server as the same instant.
    expect(Math.abs(Number(stored!.startsAt) - Date.now())).toBeLessThan(5 * 60_000);
    expect(Number(stored!.endsAt) - Number(stored!.startsAt)).toBe(HOUR_MS);
  });

  it('shows a technician of the company the schedule, read-only', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const techPage = await context.newPage();
      techPage.setDefaultTimeout(UI_TIMEOUT);
      techPage.on('pageerror', (err) => pageErrors.push(`[technician] ${err.stack ?? err.message}`));
      await techPage.goto(`${stack.url}/#/companies/${company.companyId}/on-call`);
      await signIn(techPage, techA.email, techA.password);
      const row = techPage.getByTestId('schedule-row');
      await row.waitFor({ state: 'visible' });
      expect(await row.getByTestId('on-call-now').textContent()).toBe(
        `On call now: Primary ${techB.email} (override), Backup ${techB.email}`,
      );
      expect(await row.textContent()).toContain(`Primary: ${techA.email}`);
      expect(await row.getByTestId('override-row').textContent()).toContain(`${techB.email} as primary`);
      expect(await techPage.getByTestId('new-schedule').count()).toBe(0);
      expect(await techPage.getByTestId('edit-schedule').count()).toBe(0);
      expect(await techPage.getByTestId('delete-schedule').count()).toBe(0);
      expect(await techPage.getByTestId('add-override').count()).toBe(0);
      expect(await techPage.getByTestId('remove-override').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('lets the admin remove the override, edit the rotation and delete the schedule after confirming', async () => {
    const row = page.getByTestId('schedule-row');
    await row.getByTestId('remove-override').click();
    await expect
      .poll(() => row.getByTestId('on-call-now').textContent())
      .toBe(`On call now: Primary ${techA.email}, Backup ${techB.email}`);
    expect(await row.getByTestId('override-row').count()).toBe(0);

    await row.getByTestId('edit-schedule').click();
    expect(await page.getByTestId('schedule-name').inputValue()).toBe('Databases');
    expect(await page.getByTestId('schedule-category').inputValue()).toBe('database');
    expect(await page.getByTestId('layer-0-people').textContent()).toContain(techA.email);
    await page.getByTestId('layer-0-rotation').fill('1');
    await page.getByTestId('layer-1-rotation').fill('3');
    await page.getByTestId('save-schedule').click();
    await page.getByTestId('schedule-form').waitFor({ state: 'detached' });
    expect(await page.getByTestId('schedule-row').count()).toBe(1);
    expect(await row.textContent()).toMatch(/Primary:\s*\S+ — daily/);
    expect(await row.textContent()).toMatch(/Backup:\s*\S+ — every 3 days/);

    await row.getByTestId('delete-schedule').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete schedule' }).click();
    await page.getByTestId('on-call-tab').getByText('No on-call schedules').waitFor({ state: 'visible' });
    expect(await page.getByTestId('schedule-row').count()).toBe(0);
  });
});
