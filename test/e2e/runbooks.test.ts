// The Runbooks tab in a real Chromium against the real stack: a company admin imports the starter catalogue in one
// click, edits a runbook, and sees version 2 with what changed; a technician of the company reads but cannot edit.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { RUNBOOK_CATALOGUE } from '../../domain/runbook-catalogue.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;

describe('runbook library (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let admin: TestUser;
  let tech: TestUser;
  const pageErrors: string[] = [];

  async function signedIn(user: TestUser): Promise<Page> {
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, user, { pageErrors, timeout: UI_TIMEOUT });
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await page.getByRole('link', { name: 'Runbooks', exact: true }).click();
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, {
      name: 'Runbook Dental',
      runbooks: [],
      assets: [{ name: 'dental-docker-01', instanceId: 'i-0d0d0d0d0d0d0d0d1' }],
    });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    tech = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('imports the catalogue, edits a runbook and shows version 2 with the diff', async () => {
    const page = await signedIn(admin);
    await page.getByText('No runbooks yet').waitFor();
    await page.getByTestId('import-catalogue').click();
    await expect
      .poll(() => page.getByTestId('import-note').textContent(), { timeout: UI_TIMEOUT })
      .toBe(`Imported ${RUNBOOK_CATALOGUE.length} runbooks.`);
    await expect.poll(() => page.getByTestId('runbook-row').count()).toBe(RUNBOOK_CATALOGUE.length);

    const row = page.getByTestId('runbook-row').filter({ hasText: 'Linux: flush the DNS cache' });
    expect(await row.getByTestId('runbook-version').textContent()).toBe('v1');
    await row.getByRole('button', { name: 'Edit Linux: flush the DNS cache' }).click();
    const form = page.getByTestId('runbook-form');
    // A placeholder the renderer does not know is refused by name, next to the commands.
    const commands = form.getByLabel('Commands (one per line)');
    await commands.fill('resolvectl flush-caches\necho {{hostname}}');
    await form.getByTestId('save-runbook').click();
    await form.getByText('unknown placeholder {{hostname}}').waitFor();
    await commands.fill('resolvectl flush-caches\nsystemctl restart systemd-resolved\nresolvectl statistics');
    await form.getByLabel('Risk').selectOption('medium');
    await form.getByTestId('save-runbook').click();

    await expect.poll(() => row.getByTestId('runbook-version').textContent(), { timeout: UI_TIMEOUT }).toBe('v2');
    const history = page.getByTestId('runbook-history');
    await expect.poll(() => history.getByTestId('runbook-version-entry').count()).toBe(2);
    const diff = history.getByTestId('runbook-diff');
    await diff.getByRole('row', { name: /riskLevel\s+low\s+medium/ }).waitFor();
    await diff.getByText('systemctl restart systemd-resolved').waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'runbooks-list.png'), fullPage: true });
    // The page scrolls inside its own container, so the history gets a picture of its own.
    await history.scrollIntoViewIfNeeded();
    await history.screenshot({ path: path.join(SHOTS, 'runbooks-version-diff.png') });
    expect(pageErrors).toEqual([]);
  });

  it('previews what a run would send for an incident, with the alert label quoted', async () => {
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'dental-docker-01',
      signature: 'container_down:web',
      severity: 'high',
      message: 'container exited',
      tool_source: 'Prometheus',
      labels: { container: "web'; reboot #" },
    });
    expect(res.status).toBe(202);
    const incidentId = await eventually(async () => {
      const [row] = await stack.sql<{ id: string }[]>`
        SELECT id FROM incidents WHERE company_id = ${company.companyId} AND asset_name = 'dental-docker-01'`;
      return row?.id;
    }, 'the container incident');
    const page = await signedIn(admin);
    await page.getByRole('button', { name: 'Preview Linux: restart a Docker container' }).click();
    const panel = page.getByTestId('runbook-preview');
    await panel.getByLabel('Incident id').fill(incidentId);
    await panel.getByRole('button', { name: 'Show what would be sent' }).click();
    await expect
      .poll(() => panel.getByTestId('preview-commands').textContent(), { timeout: UI_TIMEOUT })
      .toBe("docker restart -- 'web'\\''; reboot #'\ndocker ps --all --filter name='web'\\''; reboot #'");
    await panel.getByText('i-0d0d0d0d0d0d0d0d1').waitFor();
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: path.join(SHOTS, 'runbooks-preview.png') });
    expect(pageErrors).toEqual([]);
  });

  it('lets a technician read the library and its history but not edit it', async () => {
    const page = await signedIn(tech);
    await expect.poll(() => page.getByTestId('runbook-row').count()).toBe(RUNBOOK_CATALOGUE.length);
    expect(await page.getByTestId('import-catalogue').count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    await page.getByRole('button', { name: 'History of Linux: flush the DNS cache' }).click();
    await expect.poll(() => page.getByTestId('runbook-version-entry').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});
