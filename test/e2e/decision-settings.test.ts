// The decision engine's settings in the company Settings tab, in a real Chromium against the real stack: a minimum
// confidence the browser refuses is shown under its input, a bad model id is refused by the server under its own,
// and a good choice is saved into settings.decision and read back after a reload; "Default" clears it again.
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

describe('decision settings (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: TestUser;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack({ startRouter: false });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('chooses the provider, model and minimum confidence, each refusal under its own input', async () => {
    const name = `Stark Clinics ${randomUUID().slice(0, 6)}`;
    const company = await createCompany(stack.sql, { name });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const settingsOf = async () => {
      const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
        SELECT settings FROM companies WHERE id = ${company.companyId}`;
      return row!.settings;
    };
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
    const save = () => page.getByRole('button', { name: 'Save settings' }).click();

    await page.getByLabel('Decided by').selectOption('gemini');
    await page.getByLabel('Minimum confidence').fill('1.5');
    await save();
    await expect.poll(() => field('Minimum confidence').textContent()).toBe('must be a number from 0 to 1, e.g. 0.7');

    // The browser passes the number; the server refuses the model id by field.
    await page.getByLabel('Minimum confidence').fill('0.75');
    await page.getByLabel('Model').fill('gemini 2.0; rm -rf');
    await save();
    await field('Model').waitFor();
    expect(await field('Model').textContent()).toMatch(/must be a model id/);
    await page.screenshot({ path: path.join(SHOTS, 'decision-settings-error.png'), fullPage: true });

    await page.getByLabel('Model').fill('gemini-2.0-flash');
    await save();
    await page.getByRole('status').getByText('Saved').waitFor();
    expect((await settingsOf()).decision).toEqual({
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      minConfidence: 0.75,
    });

    await page.reload();
    await expect.poll(() => page.getByLabel('Minimum confidence').inputValue()).toBe('0.75');
    expect(await page.getByLabel('Decided by').inputValue()).toBe('gemini');
    expect(await page.getByLabel('Model').inputValue()).toBe('gemini-2.0-flash');
    await page.getByTestId('decision-settings').screenshot({ path: path.join(SHOTS, 'decision-settings.png') });

    // Back to every default: the decision key goes away.
    await page.getByLabel('Decided by').selectOption('');
    await page.getByLabel('Model').fill('');
    await page.getByLabel('Minimum confidence').fill('');
    await save();
    await page.getByRole('status').getByText('Saved').waitFor();
    await expect.poll(async () => (await settingsOf()).decision).toBeUndefined();

    // The company's own Gemini key: pasted once, shown as its last four characters only, removable.
    const key = 'AIzaE2eOwnCompanyKey-0123456789-abcd';
    await page.getByLabel('Gemini API key').fill(key);
    await page.getByTestId('gemini-key-save').click();
    await expect.poll(() => page.getByTestId('gemini-key-state').textContent()).toContain('…abcd');
    expect(await page.getByLabel('Gemini API key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(key);
    const [sealed] = await stack.sql<{ hint: string; sealed: string }[]>`
      SELECT gemini_key_hint AS hint, gemini_key_sealed AS sealed FROM companies WHERE id = ${company.companyId}`;
    expect(sealed).toMatchObject({ hint: '…abcd' });
    expect(sealed!.sealed).not.toContain(key);
    await page.getByTestId('decision-settings').screenshot({ path: path.join(SHOTS, 'decision-key.png') });
    await page.getByRole('button', { name: 'Remove key' }).click();
    await expect.poll(() => page.getByTestId('gemini-key-state').textContent()).toMatch(/none|install/);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
