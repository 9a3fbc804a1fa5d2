// The dashboard as a technician or approver sees it, in a real Chromium against the real stack:
// login, a live incident arriving over the subscription, approving it, and tenant isolation.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SCREENSHOT = path.resolve('test-results/dashboard-resolved.png');
const UI_TIMEOUT = 30_000;

/**
 * The list row of the incident on `asset`, matched on its asset name exactly: this test signs in as an MSP admin, who
 * sees every company's incidents, and other test files raise incidents on names that contain these (srv-db-09).
 */
function incidentRow(page: Page, asset: string, selector = '[data-testid="incident-row"]') {
  return page.locator(selector).filter({ has: page.locator('.asset').getByText(asset, { exact: true }) });
}

interface BrowserIssues {
  pageErrors: string[];
  consoleErrors: string[];
}

/** Records what a developer would see in the devtools console of this page. */
function watchPage(page: Page, label: string, issues: BrowserIssues): void {
  page.on('pageerror', (err) => issues.pageErrors.push(`[${label}] ${err.stack ?? err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') issues.consoleErrors.push(`[${label}] ${msg.text()}`);
  });
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

describe('dashboard (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let company: TestCompany;
  let other: TestCompany;
  let admin: TestUser;
  let otherTech: TestUser;
  let companyTech: TestUser;
  let incidentId: string | undefined;
  const issues: BrowserIssues = { pageErrors: [], consoleErrors: [] };
  let reportedPageErrors = 0;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npx vite build --config web/vite.config.ts`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, { name: 'Acme Dental' });
    other = await createCompany(stack.sql, { name: 'Globex Legal' });
    admin = await createUser(stack.sql, 'msp_admin', []);
    otherTech = await createUser(stack.sql, 'technician', [other.companyId]);
    companyTech = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    watchPage(page, 'admin', issues);
  });

  afterEach(() => {
    // An uncaught exception in the page fails the test during which it happened.
    const fresh = issues.pageErrors.slice(reportedPageErrors);
    reportedPageErrors = issues.pageErrors.length;
    expect(fresh, 'uncaught page errors').toEqual([]);
  });

  afterAll(async () => {
    if (issues.consoleErrors.length) console.warn(`browser console errors:\n${issues.consoleErrors.join('\n')}`);
    await browser?.close();
    await stack?.stop();
  });

  it('rejects a wrong password and signs in an MSP admin with the right one', async () => {
    await page.goto(`${stack.url}/#/incidents`);
    await signIn(page, admin.email, 'not-the-password');
    const loginError = page.getByTestId('login-error');
    await loginError.waitFor({ state: 'visible' });
    expect(await loginError.textContent()).toContain('Invalid email or password');
    expect(await page.getByTestId('current-user').count()).toBe(0);

    await signIn(page, admin.email, admin.password);
    const currentUser = page.getByTestId('current-user');
    await currentUser.waitFor({ state: 'visible' });
    expect(await currentUser.textContent()).toBe(admin.email);
    expect(await page.getByTestId('login-error').count()).toBe(0);
    await page.getByTestId('incident-list').waitFor({ state: 'attached' });
    await page.getByText('Loading incidents…').waitFor({ state: 'hidden' });
  });

  it('shows a new high-risk incident live, without reloading, waiting for approval', async () => {
    // The initial list query has finished, so anything new can only arrive over the subscription.
    await page.getByText('Loading incidents…').waitFor({ state: 'hidden' });
    // The topbar says "Live" once the subscription socket is acknowledged; only then can a push be seen.
    await page.locator('.live.on').waitFor({ state: 'visible' });
    const rowsBefore = await page.getByTestId('incident-row').count();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });

    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'web-01',
      signature: 'service_down:nginx',
      severity: 'critical',
      message: 'nginx is not answering on :443',
      tool_source: 'Prometheus',
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);

    const row = incidentRow(page, 'web-01', '[data-testid="incident-row"][data-status="awaiting_approval"]');
    await row.waitFor({ state: 'visible' });
    incidentId = (await row.getAttribute('data-incident-id')) ?? undefined;
    expect(incidentId).toBeTruthy();
    expect(await row.textContent()).toContain('service_down:nginx');
    expect(await row.textContent()).toContain('Acme Dental');
    expect(await page.getByTestId('incident-row').count()).toBe(rowsBefore + 1);
    expect(navigations, 'the page must not reload').toEqual([]);
  });

  it('approves from the detail view and shows the dry-run remediation result live', async () => {
    expect(incidentId, 'the previous test found the incident').toBeTruthy();
    const [dbIncident] = await stack.sql<
      Array<{ workflow_id: string }>
    >`SELECT workflow_id FROM incidents WHERE id = ${incidentId!}`;
    expect(dbIncident?.workflow_id).toMatch(/^incident:/);

    await page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`).click();
    const detail = page.getByTestId('incident-detail');
    await detail.waitFor({ state: 'visible' });
    const status = detail.getByTestId('incident-status');
    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Awaiting approval');

    const alertRows = detail.getByTestId('alert-row');
    await alertRows.first().waitFor({ state: 'visible' });
    expect(await alertRows.count()).toBe(1);
    const alertText = await alertRows.first().textContent();
    expect(alertText).toContain('Prometheus');
    expect(alertText).toContain('nginx is not answering on :443');
    expect(alertText).toContain('critical');

    const href = await detail.getByTestId('temporal-link').getAttribute('href');
    expect(href).toContain(encodeURIComponent(dbIncident!.workflow_id));
    expect(href).toContain('incident%3A');

    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      // Selecting an incident changes only the hash; a real navigation would be a reload.
      if (f === page.mainFrame() && !f.url().includes('#/incidents/')) navigations.push(f.url());
    });
    await detail.getByTestId('decision-comment').fill('Approved from the e2e test: restart nginx');
    await detail.getByTestId('approve-button').click();

    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Resolved');
    expect(await detail.getByTestId('action-error').count()).toBe(0);
    await detail.getByTestId('dry-run-badge').waitFor({ state: 'visible' });
    expect(await detail.getByTestId('dry-run-badge').textContent()).toContain('DRY RUN');
    await expect
      .poll(() => detail.getByTestId('execution-output').textContent(), { timeout: UI_TIMEOUT })
      .toContain('systemctl restart nginx');
    expect(await detail.textContent()).toContain('Approved from the e2e test: restart nginx');
    // The list row follows too, without a reload.
    await page
      .locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"][data-status="resolved"]`)
      .waitFor({ state: 'visible' });
    expect(navigations, 'the page must not reload').toEqual([]);

    // The app is one viewport tall with scrolling panels, so a full-page shot alone would cut the
    // detail off: grow the viewport to the detail's height first so the execution output is in it.
    const detailHeight = await detail.evaluate((el) => el.scrollHeight + el.getBoundingClientRect().top);
    await page.setViewportSize({ width: 1400, height: Math.max(900, Math.ceil(detailHeight) + 16) });
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.setViewportSize({ width: 1400, height: 900 });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('shows an Alertmanager incident recovering at its source, live', async () => {
    const labels = { alertname: 'HostDown', instance: 'db-07:9100', severity: 'critical' };
    const notification = (status: 'firing' | 'resolved') => ({
      version: '4',
      status,
      receiver: 'alert-whisperer',
      groupKey: '{}:{alertname="HostDown"}',
      truncatedAlerts: 0,
      groupLabels: { alertname: 'HostDown' },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://am:9093',
      alerts: [
        {
          status,
          labels,
          annotations: { summary: 'db-07 is down' },
          startsAt: '2026-11-23T08:00:00Z',
          endsAt: status === 'resolved' ? '2026-11-23T08:05:00Z' : '0001-01-01T00:00:00Z',
          generatorURL: 'http://prom/graph',
          fingerprint: 'e2e0000000000001',
        },
      ],
    });
    const send = (status: 'firing' | 'resolved') =>
      fetch(`${stack.url}/api/webhooks/alertmanager?api_key=${company.apiKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification(status)),
      });
    expect((await send('firing')).status).toBe(202);
    const row = incidentRow(page, 'db-07');
    await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await row.click();
    const detail = page.getByTestId('incident-detail');
    const status = detail.getByTestId('incident-status');
    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Escalated');
    expect(await detail.getByTestId('source-resolved').count()).toBe(0);

    expect((await send('resolved')).status).toBe(202);
    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Resolved');
    await detail.getByTestId('source-resolved').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // The alerts come by page, read after the live header that says they changed: wait for the recovery row.
    await expect
      .poll(() => detail.getByTestId('alert-state').allTextContents(), { timeout: UI_TIMEOUT })
      .toEqual(expect.arrayContaining([expect.stringContaining('recovery')]));
    // The timeline's line comes with its own live update, which may follow the alerts' page: wait for it too.
    await expect.poll(() => detail.textContent(), { timeout: UI_TIMEOUT }).toContain('recovered at its source');
  });

  it('says why alerts are together, silences an incident from its page, and lists what the silence muted', async () => {
    const alert = {
      asset_name: 'db-09',
      signature: 'queue_stuck',
      severity: 'high',
      message: 'orders queue is not draining',
      tool_source: 'Zabbix',
    };
    expect((await postAlert(stack.url, company.apiKey, alert)).status).toBe(202);
    const row = incidentRow(page, 'db-09');
    await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await row.click();
    const detail = page.getByTestId('incident-detail');
    await expect
      .poll(() => detail.getByTestId('incident-status').textContent(), { timeout: UI_TIMEOUT })
      .toBe('Escalated');
    // Why the alerts are together is read by query, not sent live: it may come after the live status.
    await expect
      .poll(() => detail.getByTestId('correlation-reason').allTextContents(), { timeout: UI_TIMEOUT })
      .toEqual([expect.stringMatching(/1 alert\(s\): opened the incident\s*\(asset, signature\)/)]);

    await detail.getByTestId('silence-button').click();
    await detail.getByTestId('silence-duration').selectOption('resolve');
    // No reason given: the server's refusal shows next to the field, and nothing is created.
    await detail.getByTestId('silence-submit').click();
    await detail.getByText('say why, for whoever sees the muted alerts').waitFor({ state: 'visible' });
    await detail.getByTestId('silence-comment').fill('DBA is rebuilding the queue');
    await detail.getByTestId('silence-submit').click();
    await expect.poll(() => detail.getByTestId('silence-created').textContent()).toContain('this incident resolves');

    const res = await postAlert(stack.url, company.apiKey, { ...alert, message: 'still not draining' });
    const { alert_id: mutedId } = (await res.json()) as { alert_id: string };
    await expect
      .poll(
        async () => {
          const [a] = await stack.sql<{ muted_by: unknown }[]>`SELECT muted_by FROM alerts WHERE id = ${mutedId}`;
          return a?.muted_by;
        },
        { timeout: UI_TIMEOUT },
      )
      .toMatchObject({ kind: 'silence' });

    await page.goto(`${stack.url}/#/companies/${company.companyId}/silences`);
    const silence = page.getByTestId('silence-row');
    await silence.waitFor({ state: 'visible' });
    expect(await silence.textContent()).toContain('asset = db-09, signature = queue_stuck');
    expect(await silence.textContent()).toContain('its incident');
    expect(await page.getByTestId('muted-total').textContent()).toBe('(1)');
    expect(await page.getByTestId('muted-alert-row').textContent()).toContain('db-09');
    await silence.getByTestId('expire-silence').click();
    await expect.poll(() => silence.textContent()).toContain('expired');
  });

  it('acknowledges, assigns, starts work, resolves with a note and reopens an incident from its page', async () => {
    const alert = {
      asset_name: 'app-07',
      signature: 'queue_stuck',
      severity: 'high',
      message: 'payments queue stuck',
      tool_source: 'Datadog',
    };
    expect((await postAlert(stack.url, company.apiKey, alert)).status).toBe(202);
    await page.goto(`${stack.url}/#/incidents`);
    const row = incidentRow(page, 'app-07');
    await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await row.click();
    const detail = page.getByTestId('incident-detail');
    const status = detail.getByTestId('incident-status');
    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Escalated');

    await detail.getByTestId('acknowledge-button').click();
    await expect.poll(() => status.textContent()).toBe('Acknowledged');
    // An MSP admin is named "Name (MSP)" on a tenant's incident, never by address (fixtures name people by id).
    expect(await detail.getByTestId('acknowledged-by').textContent()).toContain(`${admin.id} (MSP)`);
    expect(await detail.getByTestId('acknowledge-button').count()).toBe(0);

    await detail.getByTestId('assign-select').selectOption(companyTech.id);
    await detail.getByTestId('assign-button').click();
    await expect.poll(() => detail.getByTestId('assignee-email').textContent()).toBe(companyTech.email);

    await detail.getByTestId('start-work-button').click();
    await expect.poll(() => status.textContent()).toBe('In progress');
    // Starting work keeps the person it was given to.
    expect(await detail.getByTestId('assignee-email').textContent()).toBe(companyTech.email);

    await detail.getByTestId('decision-comment').fill('Restarted the payments consumer');
    await detail.getByTestId('resolve-button').click();
    await expect.poll(() => status.textContent()).toBe('Resolved');
    expect(await detail.getByTestId('resolution-note').textContent()).toBe('Restarted the payments consumer');

    await detail.getByTestId('decision-comment').fill('Stuck again');
    await detail.getByTestId('reopen-button').click();
    await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT }).toBe('Reopened');
    expect(await detail.getByTestId('acknowledge-button').count()).toBe(1);
    // The timeline's newest page is read after the header that says the incident changed.
    const timeline = async () => (await detail.getByTestId('timeline-event').allTextContents()).join('\n');
    await expect.poll(timeline, { timeout: UI_TIMEOUT }).toContain(`Reopened by ${admin.id} (MSP): Stuck again`);
    expect(await timeline()).toContain(`Assigned to ${companyTech.email} by ${admin.id} (MSP)`);
    expect(await timeline()).not.toContain(admin.email);
  });

  it('merges one incident into another from its page, then splits an alert back off', async () => {
    for (const asset of ['merge-a', 'merge-b']) {
      const res = await postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature: 'queue_stuck',
        severity: 'high',
        message: `${asset} queue stuck`,
        tool_source: 'Zabbix',
      });
      expect(res.status).toBe(202);
    }
    await page.goto(`${stack.url}/#/incidents`);
    const rowA = incidentRow(page, 'merge-a');
    const rowB = incidentRow(page, 'merge-b');
    await rowB.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await rowA.click();
    const detail = page.getByTestId('incident-detail');
    await expect
      .poll(() => detail.getByTestId('incident-status').textContent(), { timeout: UI_TIMEOUT })
      .toBe('Escalated');
    await detail.getByTestId('merge-open').click();
    await detail.getByTestId('merge-target').selectOption({ label: 'merge-b — queue_stuck (1 alerts)' });
    await detail.getByTestId('merge-button').click();
    // The page moves to the incident it was merged into, which now holds both alerts.
    await expect.poll(() => detail.locator('h2').textContent()).toBe('merge-b');
    await expect.poll(() => detail.getByTestId('alert-row').count()).toBe(2);
    await expect.poll(() => rowA.first().getAttribute('data-status')).toBe('resolved');

    await detail.getByRole('checkbox', { name: 'Choose alert merge-a queue stuck' }).check();
    await detail.getByTestId('split-button').click();
    await expect.poll(() => detail.getByTestId('alert-row').count()).toBe(1);
    // The split-off alert opens an incident of its own, live in the list.
    await expect
      .poll(() => incidentRow(page, 'merge-a', '[data-testid="incident-row"][data-status="escalated"]').count(), {
        timeout: UI_TIMEOUT,
      })
      .toBe(1);
  });

  it("shows a technician of another company none of the first company's incidents", async () => {
    expect(incidentId, 'the earlier test created an incident').toBeTruthy();
    const techContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const techPage = await techContext.newPage();
      techPage.setDefaultTimeout(UI_TIMEOUT);
      watchPage(techPage, 'technician', issues);
      await techPage.goto(`${stack.url}/#/incidents`);
      await signIn(techPage, otherTech.email, otherTech.password);
      await techPage.getByTestId('current-user').waitFor({ state: 'visible' });
      expect(await techPage.getByTestId('current-user').textContent()).toBe(otherTech.email);
      await techPage.getByTestId('incident-list').waitFor({ state: 'attached' });
      // Wait for the list to finish loading: the empty-state text replaces "Loading incidents…".
      await techPage.getByText('No incidents yet').waitFor({ state: 'visible' });
      expect(await techPage.getByTestId('incident-row').count()).toBe(0);
      expect(await techPage.locator(`[data-incident-id="${incidentId}"]`).count()).toBe(0);
      expect(await techPage.getByTestId('incident-list').textContent()).not.toContain('Acme Dental');

      // Following a link to the other company's incident shows nothing of it either.
      await techPage.goto(`${stack.url}/#/incidents/${encodeURIComponent(incidentId!)}`);
      const detail = techPage.getByTestId('incident-detail');
      await detail.getByText('Incident not found').waitFor({ state: 'visible' });
      expect(await detail.getByTestId('incident-status').count()).toBe(0);
      expect(await detail.textContent()).not.toContain('web-01');
    } finally {
      await techContext.close();
    }
  });
});
