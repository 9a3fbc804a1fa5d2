// The incident page's Decision history in Chromium: a company on Gemini (the real SDK against the local Gemini
// server) gets one incident the model decides and one where the model names a runbook the company does not have;
// the page shows who was asked, who decided, latency and tokens, and the fallback sentence, never a raw error.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const SCREENSHOT = path.resolve('test-results/decision-history.png');

describe('decision history (real browser)', () => {
  let gemini: LlmServer;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let company: TestCompany;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npx vite build --config web/vite.config.ts`);
    }
    gemini = await startGeminiServer();
    stack = await startStack({
      env: { GEMINI_API_KEY: 'e2e-key', GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '20000' },
    });
    company = await createCompany(stack.sql, {
      name: 'Initech',
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-e2e' } },
    });
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
    page = await signedInPage(browser, `${stack.url}/#/incidents`, tech, {
      pageErrors,
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('bell').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await gemini?.close();
  });

  async function openIncident(asset: string): Promise<ReturnType<Page['getByTestId']>> {
    const row = page.locator('[data-testid="incident-row"]', { hasText: asset });
    await row.first().waitFor();
    await row.first().click();
    return page.getByTestId('incident-detail');
  }

  it("shows the model's decision and a fallback with its sentence", async () => {
    const [clean] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${company.companyId} AND signature = 'disk_full'`;
    gemini.script('gem-e2e', {
      text: JSON.stringify({ action: 'execute', runbookId: clean!.id, confidence: 0.93, reasoning: 'Disk is full.' }),
      tokensIn: 210,
      tokensOut: 33,
    });
    const alert = { signature: 'disk_full', severity: 'high', message: 'disk 99%', tool_source: 'Datadog' };
    expect((await postAlert(stack.url, company.apiKey, { ...alert, asset_name: 'fs-01' })).status).toBe(202);

    const detail = await openIncident('fs-01');
    const history = detail.getByTestId('decision-history');
    await expect.poll(() => history.getByTestId('decision-row').count(), { timeout: UI_TIMEOUT }).toBe(1);
    const row = await history.getByTestId('decision-row').first().innerText();
    expect(row).toContain('Gemini');
    expect(row).toContain('gem-e2e');
    expect(row).toContain('93%');
    expect(row).toContain('Clean temp files');
    expect(row).toMatch(/\d+ ms/);
    expect(row).toContain('210 in / 33 out');
    expect(await history.innerText()).toContain('Disk is full.');

    // The same company's next incident: the model names a runbook of nobody's, so the rules decide.
    gemini.script('gem-e2e', {
      text: JSON.stringify({ action: 'execute', runbookId: 'rb-not-theirs', confidence: 0.9, reasoning: 'x' }),
    });
    expect((await postAlert(stack.url, company.apiKey, { ...alert, asset_name: 'fs-02' })).status).toBe(202);
    const second = await openIncident('fs-02');
    const fallback = second.getByTestId('decision-history').getByTestId('decision-fallback');
    await fallback.waitFor();
    expect(await fallback.innerText()).toBe(
      "Gemini named a runbook that is not in this company's list; the rules decided instead",
    );
    expect(await second.getByTestId('decision-row').first().innerText()).toContain('Rules');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
