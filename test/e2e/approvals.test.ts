// The Approvals page in a real Chromium against the real stack: the queue lists waiting runbooks soonest deadline
// first with what each would send, a new one shows up live, a run asked for on the incident page joins the queue,
// and Approve from the queue runs it (dry run) and takes it off the list.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;

describe('approvals page (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: TestUser;
  let acme: TestCompany;
  let soon: TestCompany;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    acme = await createCompany(stack.sql, {
      name: 'Acme Approvals',
      settings: { groupWaitSeconds: 0, approvalTimeoutSeconds: 7200 },
      assets: [{ name: 'acme-web-01', instanceId: 'i-0e2e00000000000a1' }],
    });
    soon = await createCompany(stack.sql, {
      name: 'Soon Corp',
      settings: { groupWaitSeconds: 0, approvalTimeoutSeconds: 900 },
    });
    // A company admin of both: medium risk is theirs to approve, high risk is the MSP's.
    admin = await createUser(stack.sql, 'company_admin', [acme.companyId, soon.companyId]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function raise(company: TestCompany, asset: string, signature: string, status: string): Promise<string> {
    await postAlert(stack.url, company.apiKey, {
      asset_name: asset,
      signature,
      severity: 'high',
      message: 'm',
      tool_source: 'Prometheus',
    });
    return eventually(async () => {
      const [row] = await stack.sql<{ id: string }[]>`
        SELECT id FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset} AND status = ${status}`;
      return row?.id;
    }, `${asset} to be ${status}`);
  }

  const items = (page: Page) => page.getByTestId('approval-item');
  const order = (page: Page) => items(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-incident')));

  it('lists by deadline, updates live, takes a run asked for on the incident, and approves from the queue', async () => {
    const acmeMemory = await raise(acme, 'acme-web-01', 'memory_high', 'awaiting_approval');
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, admin, {
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('nav-approvals').click();
    await expect.poll(() => order(page), { timeout: UI_TIMEOUT }).toEqual([acmeMemory]);
    const first = items(page).first();
    expect(await first.getByTestId('approval-commands').textContent()).toBe('sudo systemctl restart app');
    // The outcome memory line beside the preview (no earlier run of this runbook here yet).
    expect((await first.getByTestId('approval-memory').textContent())?.trim()).not.toBe('');

    // Live: an approval of the other company, with the sooner deadline, comes in while the page is open.
    const soonMemory = await raise(soon, 'soon-app-01', 'memory_high', 'awaiting_approval');
    await expect.poll(() => order(page), { timeout: UI_TIMEOUT }).toEqual([soonMemory, acmeMemory]);

    // "Run this runbook on this incident": an escalated incident, a medium-risk runbook, into the queue.
    const stuck = await raise(acme, 'acme-web-01', 'nginx_stuck', 'escalated');
    await page.goto(`${stack.url}/#/incidents/${stuck}`);
    const runner = page.getByTestId('run-runbook');
    await runner.getByLabel('Runbook').selectOption({ label: 'Recycle app pool (v1, medium risk)' });
    await runner.getByRole('button', { name: 'Run on this incident' }).click();
    await runner.getByRole('status').getByText('Waiting for an approver').waitFor();
    await page.getByTestId('nav-approvals').click();
    await expect.poll(() => order(page), { timeout: UI_TIMEOUT }).toEqual([soonMemory, acmeMemory, stuck]);
    const asked = items(page).nth(2);
    expect(await asked.textContent()).toContain(`asked for by ${admin.email}`);
    await page.screenshot({ path: path.join(SHOTS, 'approvals-queue.png'), fullPage: true });

    // Approve from the queue: it leaves the list and the dry run resolves the incident.
    const acmeItem = page.locator(`[data-testid="approval-item"][data-incident="${acmeMemory}"]`);
    await acmeItem.getByLabel('Comment').fill('looks right');
    await acmeItem.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => order(page), { timeout: UI_TIMEOUT }).toEqual([soonMemory, stuck]);
    const resolved = await eventually(async () => {
      const [row] = await stack.sql<{ status: string; approval: { decidedBy: string; comment: string } }[]>`
        SELECT status, approval FROM incidents WHERE id = ${acmeMemory}`;
      return row?.status === 'resolved' ? row : undefined;
    }, 'the approved incident to resolve');
    expect(resolved.approval).toMatchObject({ decidedBy: admin.email, comment: 'looks right' });
    await page.screenshot({ path: path.join(SHOTS, 'approvals-approved.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('turns four-eyes on in the company Settings tab', async () => {
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, admin, {
      viewport: { width: 1400, height: 900 },
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/companies/${acme.companyId}/settings`);
    await page.getByLabel('Four-eyes approval').selectOption('true');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${acme.companyId}`;
    expect(row!.settings).toMatchObject({ approval: { fourEyes: true } });
    await page.reload();
    await expect.poll(() => page.getByLabel('Four-eyes approval').inputValue()).toBe('true');
    await page.context().close();
  });
});
