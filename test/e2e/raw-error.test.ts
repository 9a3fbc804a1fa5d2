// The raw failure detail on the incident page, in a real Chromium against the real stack: an MSP admin opens a
// collapsed "Raw error (MSP only)" block under the execution and on a failed page in the timeline; the tenant's
// technician reads the same incident without either (the API gives them null and refuses incidentFailureDetail).
// The incident is written straight into PostgreSQL: the failures behind such details have their own tests
// (test/api/tenant-errors.test.ts); this one is about who the dashboard shows them to.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { insertIncident } from '../helpers/incidents.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const AWS_DETAIL = 'AccessDeniedException: User: arn:aws:iam::123456789012:user/aw-worker is not authorized';
const SMTP_DETAIL = 'Notification not delivered: email to lead@acme.test: connect ECONNREFUSED 10.1.2.3:25';

describe('raw failure detail on the incident page (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let msp: TestUser;
  let tech: TestUser;
  let incidentId = '';
  const pageErrors: string[] = [];

  async function incidentPage(user: TestUser): Promise<Page> {
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, user, {
      viewport: { width: 1400, height: 900 },
      pageErrors,
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/incidents/${encodeURIComponent(incidentId)}`);
    await page.getByTestId('timeline-event').first().waitFor({ state: 'visible' });
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error(`The dashboard is not built (${WEB_DIST})`);
    stack = await startStack({ startRouter: false });
    const company = await createCompany(stack.sql, { name: 'Acme Raw' });
    msp = await createUser(stack.sql, 'msp_admin', []);
    tech = await createUser(stack.sql, 'technician', [company.companyId]);
    incidentId = await insertIncident(stack.sql, company.companyId, 'db-raw');
    const execution = {
      executor: 'ssm',
      attempt: 1,
      commandId: 'cmd-raw',
      documentName: 'AWS-RunShellScript',
      instanceIds: ['i-0abcdefabcdefabcd'],
      commands: ['df -h /'],
      startedAt: new Date().toISOString(),
      status: 'Failed',
      output: null,
      error: 'The runbook could not be sent: AWS refused access',
      internalDetail: AWS_DETAIL,
      finishedAt: new Date().toISOString(),
    };
    await stack.sql`UPDATE incidents SET execution = ${stack.sql.json(execution)} WHERE id = ${incidentId}`;
    await stack.sql`
      INSERT INTO incident_events (incident_id, seq, kind, message, actor, data, created_at) VALUES
        (${incidentId}, 1, 'created', 'Incident opened', null, null, now()),
        (${incidentId}, 2, 'notification_failed', 'The page could not be delivered: the mail relay did not answer',
         null, ${stack.sql.json({ internalDetail: SMTP_DETAIL })}, now())`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    expect(pageErrors).toEqual([]);
  });

  it('shows an MSP admin the raw errors, collapsed until opened', async () => {
    const page = await incidentPage(msp);
    const detail = page.getByTestId('incident-detail');
    const blocks = detail.getByTestId('raw-error');
    // One under the execution, one on the failed page; none on the plain "opened" event.
    await expect.poll(() => blocks.count()).toBe(2);
    const underExecution = detail.locator('section', { hasText: 'Execution' }).getByTestId('raw-error');
    expect(await underExecution.getByTestId('raw-error-text').isVisible()).toBe(false);
    await underExecution.locator('summary').click();
    expect(await underExecution.getByTestId('raw-error-text').textContent()).toBe(AWS_DETAIL);

    const failedPage = detail.getByTestId('timeline-event').filter({ hasText: 'notification_failed' });
    expect(await failedPage.locator('summary').textContent()).toBe('Raw error (MSP only)');
    await failedPage.locator('summary').click();
    await expect.poll(() => failedPage.getByTestId('raw-error-text').textContent()).toBe(SMTP_DETAIL);
    await page.context().close();
  });

  it("shows the tenant's technician the sentences, and no raw error at all", async () => {
    const page = await incidentPage(tech);
    const detail = page.getByTestId('incident-detail');
    await detail.getByText('The runbook could not be sent: AWS refused access').waitFor({ state: 'visible' });
    expect(await detail.getByTestId('raw-error').count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain('arn:aws');
    expect(html).not.toContain('ECONNREFUSED');
    expect(html).not.toContain('Raw error');
    await page.context().close();
  });
});
