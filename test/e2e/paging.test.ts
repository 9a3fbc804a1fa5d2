// Paging as people see it in a real Chromium against the real stack: a company admin edits the SLA policy
// (business hours, with the server's and the browser's errors under their fields), and the on-call technician's
// bell lights up live when an incident is given to them.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;

describe('paging in the dashboard (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let admin: TestUser;
  const pageErrors: string[] = [];

  const signedIn = (user: TestUser): Promise<Page> =>
    signedInPage(browser, `${stack.url}/#/incidents`, user, {
      viewport: { width: 1400, height: 900 },
      pageErrors,
      timeout: UI_TIMEOUT,
    });

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error(`The dashboard is not built (${WEB_DIST})`);
    stack = await startStack();
    company = await createCompany(stack.sql, { name: `Wayne Dental ${randomUUID().slice(0, 6)}` });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    expect(pageErrors).toEqual([]);
  });

  it('edits an SLA policy with business hours, showing each refusal under its field', async () => {
    const HINT = 'https://chat.example/…hook';
    const page = await signedIn(admin);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await page.getByTestId('sla-response-high').fill('20');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    for (const d of ['mon', 'tue', 'wed', 'thu', 'fri']) await page.getByTestId(`business-day-${d}`).check();
    await page.getByTestId('business-start').fill('09:00');
    await page.getByTestId('business-end').fill('08:00');
    await page.getByTestId('chat-webhooks').fill('ops | hipchat | https://chat.example/hook');
    await page.getByRole('button', { name: 'Save settings' }).click();

    const field = (testId: string) =>
      page
        .locator('.field')
        .filter({ has: page.getByTestId(testId) })
        .locator('.field-error');
    // The browser catches the malformed line before sending anything.
    await expect
      .poll(() => field('chat-webhooks').textContent())
      .toContain('line 1: write "name | slack or teams | URL"');
    await page.getByTestId('chat-webhooks').fill('ops | slack | https://chat.example/hook');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // The server's: closing before opening.
    await expect.poll(() => field('business-end').textContent()).toBe('must end after it starts, on the same day');

    await page.getByTestId('business-end').fill('17:30');
    await page.getByTestId('ack-timeout').fill('10');
    await page.getByTestId('maintenance-windows').fill('Patching | sat | 22:00-02:00 | asset =~ db-.*');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).toMatchObject({
      timeZone: 'Europe/Berlin',
      sla: {
        responseMinutes: { high: 20 },
        businessHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' },
      },
      onCall: { ackTimeoutMinutes: 10 },
      // Sealed like a signing secret: the URL is the channel's credential.
      notifications: {
        webhooks: [{ name: 'ops', format: 'slack', urlSealed: expect.stringMatching(/^v1\./), urlHint: HINT }],
      },
      maintenanceWindows: [
        {
          name: 'Patching',
          days: ['sat'],
          start: '22:00',
          end: '02:00',
          matchers: [{ field: 'asset', op: '=~', value: 'db-.*' }],
        },
      ],
    });
    expect(JSON.stringify(row!.settings)).not.toContain('chat.example/hook');
    // Read back into the form as saved; the webhook shows its hint, and saving again keeps the sealed URL.
    await page.reload();
    await expect.poll(() => page.getByTestId('business-end').inputValue(), { timeout: UI_TIMEOUT }).toBe('17:30');
    expect(await page.getByTestId('business-day-sat').isChecked()).toBe(false);
    expect(await page.getByTestId('chat-webhooks').inputValue()).toBe(`ops | slack | saved ${HINT}`);
    await page.getByTestId('ack-timeout').fill('12');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [again] = await stack.sql<Array<{ settings: { notifications: unknown; onCall: unknown } }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(again!.settings.onCall).toEqual({ ackTimeoutMinutes: 12 });
    expect(again!.settings.notifications).toEqual(row!.settings.notifications);
    await page.context().close();
  });

  it('tries a correlation setting on the stored alerts before saving it', async () => {
    for (const asset of ['lab-web-1', 'lab-web-2']) {
      const res = await postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature: 'http_5xx',
        severity: 'high',
        message: 'errors',
        tool_source: 'Datadog',
      });
      expect(res.status).toBe(202);
    }
    const page = await signedIn(admin);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    await page.getByLabel('Key fields').fill('signature');
    await page.getByTestId('lab-run').click();
    const summary = page.getByTestId('lab-summary');
    await summary.waitFor();
    // By signature alone the two assets' errors are one incident; the saved setting (asset, signature) makes two.
    expect((await summary.textContent())!.replace(/\s+/g, ' ')).toMatch(
      /^2 alerts would make 1 incidents \(noise reduction 50%\); the saved settings make 2 \(0%\)/,
    );
    expect(await page.getByTestId('lab-incident').count()).toBe(1);

    // A set of one's own, as CSV: a bad header is refused in the browser, then the set is run.
    await page.getByTestId('lab-upload').check();
    await page.getByTestId('lab-alerts').fill('when,host\n2026-12-01T10:00:00Z,web-1');
    await page.getByTestId('lab-run').click();
    await expect
      .poll(() => page.getByTestId('lab-error').textContent())
      .toContain('must name at, asset, signature and tool');
    await page
      .getByTestId('lab-alerts')
      .fill(
        'at,asset,signature,tool\n2026-12-01T10:00:00Z,web-1,http_5xx,Datadog\n' +
          '2026-12-01T10:01:00Z,web-2,http_5xx,Datadog\n2026-12-01T10:02:00Z,db-1,disk_full,Zabbix',
      );
    await page.getByTestId('lab-run').click();
    await expect
      .poll(async () => (await summary.textContent())!.replace(/\s+/g, ' '))
      .toMatch(/^3 alerts would make 2 incidents \(noise reduction 33%\); the saved settings make 3 \(0%\)\./);
    // The company's inhibition rules hold in the lab too: the service behind a down uplink joins no group of its own.
    await stack.sql`
      INSERT INTO inhibition_rules (id, company_id, name, source_matchers, target_matchers, equal, created_by)
      VALUES (${`ir-${randomUUID().slice(0, 8)}`}, ${company.companyId}, 'Uplink hides its services',
        ${stack.sql.json([{ field: 'signature', op: '=', value: 'lab_uplink_down' }] as never)},
        ${stack.sql.json([{ field: 'signature', op: '=', value: 'lab_service_down' }] as never)},
        ${['asset']}, 'e2e')`;
    await page.getByTestId('lab-alerts').fill(
      JSON.stringify([
        { at: '2026-12-01T10:00:00Z', asset: 'sw-1', signature: 'lab_uplink_down', tool: 'Zabbix' },
        { at: '2026-12-01T10:01:00Z', asset: 'sw-1', signature: 'lab_service_down', tool: 'Zabbix' },
        { at: '2026-12-01T10:02:00Z', asset: 'sw-2', signature: 'lab_service_down', tool: 'Zabbix' },
      ]),
    );
    await page.getByTestId('lab-run').click();
    await expect
      .poll(async () => (await summary.textContent())!.replace(/\s+/g, ' '))
      .toMatch(/^3 alerts would make 2 incidents .* 1 held by inhibition rules, with their source's incident\./);
    await expect
      .poll(() => page.getByTestId('lab-inhibition-rule').textContent())
      .toBe('Uplink hides its services: 1 held');
    // Nothing was saved.
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).not.toHaveProperty('correlation');
    await page.context().close();
  });

  it("lights up the on-call technician's bell live, and opens the incident given to them", async () => {
    // A company of its own: the earlier tests' incidents must not page this technician.
    const paged = await createCompany(stack.sql);
    const tech = await createUser(stack.sql, 'technician', [paged.companyId]);
    await stack.sql`
      INSERT INTO on_call_schedules (id, company_id, name, category, layers)
      VALUES (${`sch-${randomUUID().slice(0, 8)}`}, ${paged.companyId}, 'Everything', NULL, ${stack.sql.json([
        { userIds: [tech.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' },
      ] as never)})`;
    const page = await signedIn(tech);
    await page.getByTestId('bell').waitFor();
    expect(await page.getByTestId('bell-count').count()).toBe(0);
    // Live: the socket is up before the page is sent.
    await page.locator('.live.on').waitFor();

    const res = await postAlert(stack.url, paged.apiKey, {
      asset_name: 'q-07',
      signature: 'queue_stuck',
      severity: 'high',
      message: 'invoices queue stuck',
      tool_source: 'Datadog',
    });
    expect(res.status).toBe(202);
    await expect.poll(() => page.getByTestId('bell-count').textContent(), { timeout: UI_TIMEOUT }).toBe('1');
    await page.getByTestId('bell').click();
    const item = page.getByTestId('notification').first();
    expect(await item.textContent()).toContain('queue_stuck on q-07');
    await item.click();
    const detail = page.getByTestId('incident-detail');
    await expect.poll(() => detail.getByTestId('assignee-email').textContent()).toBe(tech.email);
    expect(await detail.getByTestId('sla-status').textContent()).toMatch(/^SLA (ok|at risk) · in \d+ minutes?$/);
    expect(await page.getByTestId('bell-count').count()).toBe(0);
    await page.context().close();
  });
});
