// Onboarding a client as an MSP admin does it, in a real Chromium against the real stack: a company, its key, an
// alert sent with that key, an invited technician who sets a password from the link and sees that company's
// incident and no other. Then sessions: a reload keeps you signed in (refresh cookie, no token in Web Storage),
// and "Log out everywhere" ends another browser's session.
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;

describe('onboarding a client (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let other: TestCompany;
  let admin: TestUser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let reported = 0;

  async function newPage(label: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(`[${label}] ${err.stack ?? err.message}`));
    return page;
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${stack.url}/#/incidents`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('current-user').textContent(), { timeout: UI_TIMEOUT }).toBe(email);
  }

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    other = await createCompany(stack.sql, { name: `Initech ${randomUUID().slice(0, 6)}` });
    admin = await createUser(stack.sql, 'msp_admin', []);
    browser = await launchChromium();
  });

  afterEach(() => {
    const fresh = pageErrors.slice(reported);
    reported = pageErrors.length;
    expect(fresh, 'uncaught page errors').toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  it('creates a company and key, takes its alert, invites a technician who sees only that company', async () => {
    // Another client's incident, which the new technician must never see.
    const otherAlert = await postAlert(stack.url, other.apiKey, {
      asset_name: 'initech-db-01',
      signature: 'replication_lag',
      severity: 'high',
      message: 'Replica 40 s behind',
      tool_source: 'Zabbix',
    });
    expect(otherAlert.status).toBe(202);

    const page = await newPage('admin');
    await signIn(page, admin.email, admin.password);

    // Companies → create.
    const name = `Wayne Dental ${randomUUID().slice(0, 6)}`;
    await page.getByRole('link', { name: 'Companies', exact: true }).click();
    await page.getByLabel('New company name').fill(name);
    await page.getByRole('button', { name: 'Create company' }).click();
    await expect.poll(() => page.getByTestId('company-name').textContent(), { timeout: UI_TIMEOUT }).toBe(name);

    // Integrations → a new key, shown once with the URL of every receiver.
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByText('No keys yet').waitFor();
    await page.getByLabel('New key name').fill('Prometheus production');
    await page.getByRole('button', { name: 'New key' }).click();
    const keyText = page.getByTestId('new-api-key');
    await keyText.waitFor();
    const apiKey = (await keyText.textContent())!.trim();
    expect(apiKey.length).toBeGreaterThan(20);
    const urls = await page.getByTestId('webhook-urls').textContent();
    expect(urls).toContain('Prometheus Alertmanager');
    expect(urls).toContain(`/api/webhooks/alertmanager?api_key=${encodeURIComponent(apiKey)}`);
    await page.getByTestId('key-table').getByText('Prometheus production').waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'onboarding-new-key.png'), fullPage: true });

    // The monitoring tool posts with that key.
    const res = await postAlert(stack.url, apiKey, {
      asset_name: 'wayne-web-01',
      signature: 'cpu_high',
      severity: 'high',
      message: 'CPU at 97% for 10 minutes',
      tool_source: 'Prometheus',
    });
    expect(res.status, await res.clone().text()).toBe(202);

    // People → invite a technician of this company; the one-time link is shown once.
    const techEmail = `tech-${randomUUID().slice(0, 8)}@wayne.example`;
    await page.getByRole('link', { name: 'People', exact: true }).click();
    const form = page.getByTestId('person-form');
    await form.getByLabel('Email').fill(techEmail);
    await form.getByLabel('Name').fill('Terry Tech');
    await form.getByLabel('Role').selectOption('technician');
    expect(await form.getByRole('checkbox', { name }).isChecked()).toBe(true);
    await form.getByRole('button', { name: 'Send invitation' }).click();
    const linkText = page.getByTestId('password-link');
    await linkText.waitFor();
    const link = new URL((await linkText.textContent())!.trim());
    expect(link.hash).toMatch(/^#\/set-password\?token=/);
    const row = page.getByTestId('people-table').getByRole('row', { name: /Terry Tech/ });
    await row.getByText('Invite pending').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'onboarding-people.png'), fullPage: true });

    // A fresh browser opens the link (on this stack's address) and sets a password: signed in at once.
    const tech = await newPage('technician');
    await tech.goto(`${stack.url}/${link.hash}`);
    await tech.getByRole('heading', { name: 'Set your password' }).waitFor();
    const password = `pw-${randomUUID()}`;
    await tech.getByLabel('New password').fill(password);
    await tech.getByLabel('Repeat the password').fill(password);
    await tech.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect.poll(() => tech.getByTestId('current-user').textContent(), { timeout: UI_TIMEOUT }).toBe(techEmail);
    expect(tech.url(), 'the used token leaves the address bar').not.toContain('token=');
    await tech.getByRole('heading', { name: 'Overview' }).waitFor();
    await tech.getByTestId('nav-incidents').click();

    // The technician sees the new company's incident, and nothing of the other company.
    const incident = tech.getByTestId('incident-row').filter({ hasText: 'wayne-web-01' });
    await incident.waitFor({ state: 'visible' });
    expect(await incident.textContent()).toContain(name);
    expect(await tech.getByTestId('incident-row').count()).toBe(1);
    expect(await tech.getByTestId('incident-list').textContent()).not.toContain('initech-db-01');
    // …although that incident exists: the admin sees it.
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.getByTestId('incident-row').filter({ hasText: 'initech-db-01' }).waitFor();
    // A technician has no Audit log and no Integrations tab.
    expect(await tech.getByRole('link', { name: 'Audit log', exact: true }).count()).toBe(0);
    await tech.screenshot({ path: path.join(SHOTS, 'onboarding-technician.png'), fullPage: true });

    // The admin's people list no longer says the invitation is pending.
    await page.goBack();
    await page
      .getByTestId('people-table')
      .getByRole('row', { name: /Terry Tech/ })
      .getByText('Active')
      .waitFor();
  });

  it('keeps the session across a reload without Web Storage; "Log out everywhere" ends other browsers', async () => {
    const user = await createUser(stack.sql, 'technician', [other.companyId]);
    const laptop = await newPage('laptop');
    await signIn(laptop, user.email, user.password);

    // The access token lives in memory only; the refresh cookie is HttpOnly (invisible to scripts).
    const storage = await laptop.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
    }));
    expect(storage.local).not.toMatch(/eyJ/);
    expect(storage.session).not.toMatch(/eyJ/);
    expect(storage.cookie).not.toContain('aw_refresh');

    await laptop.reload();
    await expect.poll(() => laptop.getByTestId('current-user').textContent(), { timeout: UI_TIMEOUT }).toBe(user.email);
    expect(await laptop.getByTestId('login-email').count()).toBe(0);

    const phone = await newPage('phone');
    await signIn(phone, user.email, user.password);
    await phone.getByTestId('incident-row').filter({ hasText: 'initech-db-01' }).waitFor();

    // My account lists both sessions, this one marked.
    await laptop.getByRole('link', { name: 'My account', exact: true }).click();
    const sessions = laptop.getByTestId('session-row');
    await expect.poll(() => sessions.count(), { timeout: UI_TIMEOUT }).toBe(2);
    expect(await laptop.getByTestId('session-table').getByText('This device').count()).toBe(1);

    // Escape closes the confirmation without doing anything.
    await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
    const dialog = laptop.getByRole('dialog');
    await dialog.waitFor();
    await laptop.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await laptop.getByTestId('current-user').textContent()).toBe(user.email);

    await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
    await dialog.getByRole('button', { name: 'Log out everywhere' }).click();
    await laptop.getByTestId('login-email').waitFor();

    // The other browser is out: its live stream ends with the session, which shows the login form at once; at the
    // latest its next action does. A reload does not bring the session back.
    const nav = phone.getByRole('link', { name: 'Companies', exact: true });
    if (await nav.isVisible()) await nav.click({ timeout: 2000 }).catch(() => undefined);
    await phone.getByTestId('login-email').waitFor();
    expect(await phone.getByTestId('session-ended').textContent()).toContain('Your session has ended');
    await phone.reload();
    await phone.getByTestId('login-email').waitFor();
    expect(await phone.getByTestId('current-user').count()).toBe(0);
    await phone.screenshot({ path: path.join(SHOTS, 'onboarding-logged-out.png') });

    // Logout ends this browser's session for good: a reload stays signed out.
    await signIn(laptop, user.email, user.password);
    await laptop.getByRole('button', { name: 'Logout' }).click();
    await laptop.getByTestId('login-email').waitFor();
    await laptop.reload();
    await laptop.getByTestId('login-email').waitFor();
    expect(await laptop.getByTestId('current-user').count()).toBe(0);
  });

  it('shows settings and CSV errors where they belong, registers a seen asset, exports the audit log', async () => {
    const name = `Stark Clinics ${randomUUID().slice(0, 6)}`;
    const company = await createCompany(stack.sql, { name });
    const page = await newPage('admin-settings');
    await signIn(page, admin.email, admin.password);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await expect.poll(() => page.getByTestId('company-name').textContent(), { timeout: UI_TIMEOUT }).toBe(name);

    const field = (label: string) =>
      page
        .locator('.field')
        .filter({ has: page.getByLabel(label, { exact: true }) })
        .locator('.field-error');
    await page.getByLabel('Group wait (seconds)').fill('thirty');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => field('Group wait (seconds)').textContent()).toBe('must be a whole number');

    // The server's refusals, each under its own input.
    await page.getByLabel('Group wait (seconds)').fill('30');
    await page.getByLabel('Response, critical').fill('0');
    await page.getByLabel('SSM region').fill('mars');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await field('Response, critical').waitFor();
    expect(await field('SSM region').textContent()).toContain('AWS region');
    expect(await field('Group wait (seconds)').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'onboarding-settings-errors.png'), fullPage: true });

    await page.getByLabel('Response, critical').fill('10');
    await page.getByLabel('SSM region').fill('eu-west-1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).toEqual({
      groupWaitSeconds: 30,
      sla: { responseMinutes: { critical: 10 } },
      ssm: { region: 'eu-west-1' },
    });

    // An alert names an asset the inventory lacks: it is offered for registration.
    expect(
      (
        await postAlert(stack.url, company.apiKey, {
          asset_name: 'mystery-01',
          signature: 'disk_full',
          severity: 'low',
          message: 'Disk 91% full',
          tool_source: 'Datadog',
        })
      ).status,
    ).toBe(202);

    await page.getByRole('link', { name: 'Assets', exact: true }).click();
    await page.getByLabel('CSV text').fill('name,criticality\nweb-01,high\nweb-02,urgent\n');
    await page.getByRole('button', { name: 'Import' }).click();
    const problems = page.getByTestId('import-problems');
    await problems.waitFor();
    expect(await problems.textContent()).toContain('line 3: criticality');
    await page
      .getByLabel('CSV text')
      .fill('name,instance_id,criticality\nweb-01,i-0f1f2f3f4f5f6f7f8,high\nweb-02,,low\n');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByText('Imported: 2 added, 0 updated.').waitFor();
    await page.getByTestId('asset-table').getByText('i-0f1f2f3f4f5f6f7f8').waitFor();

    const seen = page.getByTestId('unregistered-assets').getByRole('row', { name: /mystery-01/ });
    await seen.getByRole('button', { name: 'Register' }).click();
    await page.getByTestId('asset-table').getByRole('cell', { name: 'mystery-01', exact: true }).waitFor();
    expect(await page.getByTestId('unregistered-assets').count()).toBe(0);

    // The audit log has all of it, and exports it as a CSV file.
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByLabel('Company').selectOption({ label: name });
    await page.getByRole('button', { name: 'Search' }).click();
    const log = page.getByTestId('audit-table');
    // Until the filtered answer arrives the table may still list every company's entries (other test files' too).
    await expect.poll(() => log.getByText('asset.imported').count(), { timeout: 10_000 }).toBe(1);
    expect(await log.textContent()).toContain('company.updated');
    expect(await log.textContent()).toContain(admin.email);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-log-.+\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('id,at,company_id,actor_email,action,target_type,target_id,ip,data');
    expect(csv).toContain('asset.created');
    await page.screenshot({ path: path.join(SHOTS, 'onboarding-audit-log.png'), fullPage: true });
  });
});
