// The rest of the runbook editor and the approval policy in a real Chromium against the real stack: a company admin
// writes a runbook with a pre-check, a post-check and a target tag; the preview for an incident lists the tagged
// instances, each check and the wrapper script sent; the Settings tab saves "Runs without approval".
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { CHECK_WRAPPER_HEADER } from '../../domain/runbook-checks.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;

describe('runbook checks, targets and approval policy (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let admin: TestUser;
  const pageErrors: string[] = [];

  async function signedIn(user: TestUser, tab: string): Promise<Page> {
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, user, {
      viewport: { width: 1400, height: 1100 },
      pageErrors,
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/companies/${company.companyId}/settings`);
    if (tab !== 'Settings') await page.getByRole('link', { name: tab, exact: true }).click();
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, {
      name: 'Checked Dental',
      runbooks: [],
      assets: [
        { name: 'dental-web-01', instanceId: 'i-0c0c0c0c0c0c0c0c1' },
        { name: 'dental-web-02', instanceId: 'i-0c0c0c0c0c0c0c0c2' },
        { name: 'dental-db-01', instanceId: 'i-0c0c0c0c0c0c0c0c3' },
      ],
    });
    await stack.sql`
      UPDATE assets SET tags = '{web}' WHERE company_id = ${company.companyId} AND name LIKE 'dental-web-%'`;
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('saves checks and a target tag, and previews the tagged instances, the checks and the wrapper', async () => {
    const page = await signedIn(admin, 'Runbooks');
    await page.getByTestId('new-runbook').click();
    const form = page.getByTestId('runbook-form');
    await form.getByLabel('Name', { exact: true }).fill('Restart web tier');
    await form.getByLabel('Signatures').fill('web_down');
    await form.getByLabel('Risk').selectOption('high');
    await form.getByLabel('Target tag').fill('web');
    await form.getByLabel('Commands (one per line)').fill('systemctl restart -- {{param.svc}}');
    await form.getByLabel('Parameters (name=value, one per line)').fill('svc=nginx');
    // A check goes through the same template rules as the commands, refused under its own field.
    const post = form.getByLabel('Post-check (optional, one per line)');
    await post.fill('echo "{{asset}}"');
    await form.getByTestId('save-runbook').click();
    await form.getByText(/inside double quotes/).waitFor();
    await post.fill('systemctl is-active -- {{param.svc}}');
    await form.getByLabel('Pre-check (optional, one per line)').fill('systemctl cat -- {{param.svc}} >/dev/null');
    await form.getByTestId('save-runbook').click();
    await page.getByTestId('runbook-row').filter({ hasText: 'Restart web tier' }).waitFor();

    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: 'dental-db-01',
      signature: 'web_down',
      severity: 'high',
      message: 'web tier down',
      tool_source: 'Prometheus',
    });
    expect(res.status).toBe(202);
    const incidentId = await eventually(async () => {
      const [row] = await stack.sql<{ id: string }[]>`
        SELECT id FROM incidents WHERE company_id = ${company.companyId} AND signature = 'web_down'`;
      return row?.id;
    }, 'the web_down incident');
    await page.getByRole('button', { name: 'Preview Restart web tier' }).click();
    const panel = page.getByTestId('runbook-preview');
    await panel.getByLabel('Incident id').fill(incidentId);
    await panel.getByRole('button', { name: 'Show what would be sent' }).click();
    await expect
      .poll(() => panel.getByTestId('preview-targets').textContent(), { timeout: UI_TIMEOUT })
      .toContain('i-0c0c0c0c0c0c0c0c1, i-0c0c0c0c0c0c0c0c2');
    expect(await panel.getByTestId('preview-targets').textContent()).toContain('tagged "web"');
    expect(await panel.getByTestId('preview-pre-check').textContent()).toBe("systemctl cat -- 'nginx' >/dev/null");
    expect(await panel.getByTestId('preview-post-check').textContent()).toBe("systemctl is-active -- 'nginx'");
    const sent = (await panel.getByTestId('preview-commands').textContent()) ?? '';
    expect(sent.startsWith(CHECK_WRAPPER_HEADER)).toBe(true);
    expect(sent).toContain("systemctl restart -- 'nginx'");
    mkdirSync(SHOTS, { recursive: true });
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: path.join(SHOTS, 'runbook-checks-preview.png') });
    expect(pageErrors).toEqual([]);
  });

  it('saves which risks run without approval in the Settings tab and reads it back', async () => {
    const page = await signedIn(admin, 'Settings');
    await page.getByLabel('Runs without approval').selectOption('medium');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    const [row] = await stack.sql<Array<{ settings: Record<string, unknown> }>>`
      SELECT settings FROM companies WHERE id = ${company.companyId}`;
    expect(row!.settings).toMatchObject({ approval: { autoApproveUpTo: 'medium' } });
    await page.reload();
    await expect.poll(() => page.getByLabel('Runs without approval').inputValue()).toBe('medium');
    await page
      .getByLabel('Runs without approval')
      .screenshot({ path: path.join(SHOTS, 'approval-policy-setting.png') });
    expect(pageErrors).toEqual([]);
  });
});
