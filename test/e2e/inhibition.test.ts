// Inhibition rules on the dashboard (issue 16 item 5), in a real Chromium against the real stack: a company admin
// writes a rule on the company's Inhibition tab (a pattern RE2 refuses is shown under its own row), a source alert
// and a matching target alert come in through the webhook, and the incident page shows the target held by the rule,
// with the held count in its header; once the source recovers, the target's own incident shows it released. A
// technician sees the rules (and why an old one holds nothing) but cannot change them.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;
const RULE = 'Uplink down hides its web errors';

describe('inhibition rules (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let admin: TestUser;
  let tech: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, { name: `Inhibited Dental ${randomUUID().slice(0, 6)}` });
    admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    tech = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
  });

  afterEach(() => expect(pageErrors, 'uncaught page errors').toEqual([]));

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signedIn = (user: TestUser): Promise<Page> =>
    signedInPage(browser, `${stack.url}/#/incidents`, user, { pageErrors, timeout: UI_TIMEOUT });

  /** The incident an alert of `signature` on `asset` opened or joined, once the router has placed it. */
  async function incidentOf(asset: string, signature: string): Promise<string> {
    return eventually(
      async () => {
        const [row] = await stack.sql<Array<{ incidentId: string | null }>>`
          SELECT incident_id AS "incidentId" FROM alerts
          WHERE company_id = ${company.companyId} AND asset_name = ${asset} AND signature = ${signature}`;
        return row?.incidentId ?? null;
      },
      `the ${signature} alert of ${asset} to reach an incident`,
      120_000,
    );
  }

  it('creates a rule (a refused pattern under its row); the incident shows the held alert, then released', async () => {
    const page = await signedIn(admin);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/inhibition`);
    await page.getByTestId('inhibition-add').click();
    const form = page.getByTestId('inhibition-form');
    await form.getByTestId('inhibition-name').fill(RULE);
    await form.getByTestId('inhibition-comment').fill('the site is unreachable, not its web servers');
    await form.getByLabel('Source matcher 1 field', { exact: true }).fill('signature');
    await form.getByLabel('Source matcher 1 value', { exact: true }).fill('uplink_down');
    await form.getByLabel('Target matcher 1 field', { exact: true }).fill('signature');
    await form.getByLabel('Target matcher 1 operator', { exact: true }).selectOption('=~');
    // A lookahead: RE2 refuses it, and the server names the row.
    await form.getByLabel('Target matcher 1 value', { exact: true }).fill('(?=http).*');
    expect(await form.getByLabel('Equal field 1', { exact: true }).inputValue()).toBe('asset');
    await form.getByTestId('inhibition-submit').click();
    const targetError = form.getByTestId('targetMatchers-error-0');
    await expect.poll(() => targetError.textContent(), { timeout: UI_TIMEOUT }).toMatch(/lookahead/);
    expect(await form.getByTestId('sourceMatchers-error-0').count()).toBe(0);
    expect(await page.getByTestId('inhibition-row').count()).toBe(0);

    await form.getByLabel('Target matcher 1 value', { exact: true }).fill('http_.*');
    await form.getByTestId('inhibition-submit').click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByTestId('inhibition-row');
    await expect.poll(() => row.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await row.textContent()).toContain('signature = uplink_down');
    expect(await row.textContent()).toContain('signature =~ http_.*');

    // The source opens an incident; the target on the same asset, while it fires, is held and attached to it.
    const asset = `edge-${randomUUID().slice(0, 6)}`;
    const post = (signature: string, message: string, extra: Record<string, string> = {}) =>
      postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature,
        severity: 'high',
        message,
        tool_source: 'Prometheus',
        ...extra,
      });
    // With a source identity, so its recovery can be told.
    const uplink = { source_key: `uplink-${asset}` };
    expect((await post('uplink_down', 'uplink to the ISP is down', uplink)).status).toBe(202);
    const incidentId = await incidentOf(asset, 'uplink_down');
    // The incident's page is open before the target arrives: the held alert and the count appear on it live.
    await page.goto(`${stack.url}/#/incidents/${encodeURIComponent(incidentId)}`);
    const detail = page.getByTestId('incident-detail');
    await detail.getByTestId('alert-row').filter({ hasText: 'uplink to the ISP is down' }).waitFor();
    expect((await post('http_5xx', 'web answers 502')).status).toBe(202);
    expect(await incidentOf(asset, 'http_5xx')).toBe(incidentId);
    await expect
      .poll(() => detail.getByTestId('inhibited-count').textContent(), { timeout: UI_TIMEOUT })
      .toMatch(/1 inhibited/);
    const held = detail.getByTestId('alert-row').filter({ hasText: 'web answers 502' });
    await expect
      .poll(() => held.getByTestId('alert-inhibited').textContent(), { timeout: UI_TIMEOUT })
      .toBe(`Inhibited by ${RULE} (source alert uplink to the ISP is down)`);
    // Only the target is held: the source's row (named in the badge) carries none.
    expect(await detail.getByTestId('alert-inhibited').count()).toBe(1);
    // The detail panel scrolls on its own: bring the held row into the picture.
    await held.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'inhibition.png') });

    // The tab counts what the rule holds.
    await page.goto(`${stack.url}/#/companies/${company.companyId}/inhibition`);
    await expect.poll(() => page.getByTestId('inhibition-count').textContent(), { timeout: UI_TIMEOUT }).toBe('1');

    // The uplink recovers: the web error is released and routed afresh into an incident of its own, where its row
    // says it was released.
    const recovery = { ...uplink, status: 'resolved' };
    expect((await post('uplink_down', 'uplink is back', recovery)).status).toBe(202);
    const own = await eventually(
      async () => {
        const [row] = await stack.sql<Array<{ incidentId: string | null }>>`
          SELECT incident_id AS "incidentId" FROM alerts
          WHERE company_id = ${company.companyId} AND asset_name = ${asset} AND signature = 'http_5xx'
            AND inhibition_released_at IS NOT NULL`;
        return row?.incidentId && row.incidentId !== incidentId ? row.incidentId : null;
      },
      'the released web error to open its own incident',
      120_000,
    );
    await page.goto(`${stack.url}/#/incidents/${encodeURIComponent(own)}`);
    const released = page
      .getByTestId('incident-detail')
      .getByTestId('alert-row')
      .filter({ hasText: 'web answers 502' });
    await released.getByTestId('alert-released').waitFor();
    expect(await page.getByTestId('incident-detail').getByTestId('inhibited-count').count()).toBe(0);
    await page.context().close();
  });

  it('shows a technician the rules read-only, and why a rule saved before RE2 judged it holds nothing', async () => {
    // Written past the API (as a row from before patterns were judged): the list says what is wrong with it.
    await stack.sql`
      INSERT INTO inhibition_rules (id, company_id, name, source_matchers, target_matchers, equal, created_by)
      VALUES (${`ir-${randomUUID().slice(0, 8)}`}, ${company.companyId}, 'Old lookahead rule',
        ${stack.sql.json([{ field: 'signature', op: '=~', value: '(?=db).*' }])},
        ${stack.sql.json([{ field: 'asset', op: '=', value: 'db-1' }])}, '{asset}', 'legacy@example.test')`;
    const page = await signedIn(tech);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/inhibition`);
    const rows = page.getByTestId('inhibition-row');
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(2);
    const old = rows.filter({ hasText: 'Old lookahead rule' });
    await old.getByTestId('inhibition-invalid').waitFor();
    expect(await old.textContent()).toMatch(/Holds nothing: sourceMatchers\.0\.value: uses a lookahead/);
    expect(await rows.filter({ hasText: RULE }).getByTestId('inhibition-invalid').count()).toBe(0);
    await page.getByTestId('inhibition-read-only').waitFor();
    expect(await page.getByTestId('inhibition-add').count()).toBe(0);
    expect(await page.getByTestId('inhibition-delete').count()).toBe(0);
    await page.context().close();
  });

  it('deletes a rule after asking', async () => {
    const page = await signedIn(admin);
    await page.goto(`${stack.url}/#/companies/${company.companyId}/inhibition`);
    const rows = page.getByTestId('inhibition-row');
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(2);
    await rows.filter({ hasText: RULE }).getByTestId('inhibition-delete').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rule' }).click();
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await rows.textContent()).toContain('Old lookahead rule');
    await page.context().close();
  });
});
