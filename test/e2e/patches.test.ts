// The company's Patches page in a real Chromium against the real stack, with moto behind the local AWS proxy
// answering DescribeInstancePatchStates: before any read no percentage, "Refresh now" reads the company's own
// account (summary, the non-compliant instance first in the table, a stale-scan warning), the admin turns on
// incidents for missing critical patches, and a technician reads the same page without the refresh button.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { saveAwsRole } from '../../db/aws-accounts.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { startAwsProxy, type AwsProxy } from '../helpers/aws-proxy.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { patchState } from '../helpers/patch-states.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;
const ACCOUNT = '135791357913';
const instanceId = () => `i-${randomBytes(8).toString('hex')}`;

describe('Patches page (real browser)', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let stack: Stack;
  let browser: Browser;
  let admin: TestUser;
  let tech: TestUser;
  let companyId = '';
  const web = instanceId();
  const db = instanceId();

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    stack = await startStack({ startRouter: false, env: { SSM_ENDPOINT: proxy.url, STS_ENDPOINT: proxy.url } });
    companyId = (
      await createCompany(stack.sql, {
        assets: [
          { name: 'web-1', instanceId: web },
          { name: 'db-1', instanceId: db },
        ],
      })
    ).companyId;
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/aw-patches`;
    proxy.externalIds.set(roleArn, (await saveAwsRole(stack.sql, companyId, roleArn, 'us-east-1')).externalId);
    proxy.patchStates.set(ACCOUNT, [
      patchState(web, { hoursAgo: 5 }),
      patchState(db, { hoursAgo: 80, MissingCount: 6, CriticalNonCompliantCount: 3, SecurityNonCompliantCount: 2 }),
    ]);
    admin = await createUser(stack.sql, 'company_admin', [companyId]);
    tech = await createUser(stack.sql, 'technician', [companyId]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await proxy?.close();
    await moto?.stop();
  });

  async function signedIn(user: TestUser): Promise<{ page: Page; errors: string[] }> {
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, user, {
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.goto(`${stack.url}/#/companies/${companyId}/settings`);
    await page.getByRole('link', { name: 'Patches' }).click();
    await page.getByTestId('patch-summary').waitFor();
    return { page, errors };
  }

  it('refreshes now, shows the summary, the instances and the stale scan, and turns on patch incidents', async () => {
    const { page, errors } = await signedIn(admin);
    expect((await page.getByTestId('patch-percent').textContent())!.trim()).toBe('—');
    await page.getByTestId('patch-refresh').click();
    // The refresh is a Temporal workflow reading AWS (moto): it may take more than expect.poll's default second.
    await expect
      .poll(() => page.getByTestId('patch-percent').textContent(), { timeout: UI_TIMEOUT })
      .toContain('50.0 %');
    expect((await page.getByTestId('patch-critical').textContent())!.trim()).toBe('3');
    expect(await page.getByTestId('patch-stale').textContent()).toContain('3 days ago');
    const rows = page.getByTestId('patch-instances').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    // The non-compliant instance first, with its counts as the API had them.
    const first = (await rows.nth(0).innerText()).replace(/\s+/g, ' ');
    expect(first).toContain('db-1');
    expect(first.toLowerCase()).toContain('not compliant');
    expect(first).toContain('(stale)');
    expect((await rows.nth(1).innerText()).replace(/\s+/g, ' ')).toContain('web-1');
    await page.screenshot({ path: path.join(SHOTS, 'patches.png'), fullPage: true });

    // The company setting (default off): incidents for instances missing critical patches.
    const toggle = page.getByTestId('patch-open-incidents');
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect
      .poll(async () => {
        const [row] = await stack.sql<{ on: boolean | null }[]>`
          SELECT (settings -> 'patches' ->> 'openIncidents')::boolean AS on FROM companies WHERE id = ${companyId}`;
        return row?.on;
      })
      .toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows a technician the stored figures without the refresh button', async () => {
    const { page, errors } = await signedIn(tech);
    await expect.poll(() => page.getByTestId('patch-percent').textContent()).toContain('50.0 %');
    expect(await page.getByTestId('patch-refresh').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
