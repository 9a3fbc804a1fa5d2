// The incident page's live reasoning in Chromium: a company on Gemini (the real SDK against the local Gemini
// server, which streams its answer over server-sent events, held until the page is open); while the model answers,
// the Decision history shows its reasoning as far as it has come, then the saved decision replaces it. Then "Ask for a
// fresh decision" on an escalated incident: the model now picks a runbook, a second row shows who asked.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const REASONING =
  'The root volume of app-07 is at 99% and the temp directory holds most of it; cleaning it has worked before.';

describe('live decision reasoning (real browser)', () => {
  let gemini: LlmServer;
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    gemini = await startGeminiServer();
    stack = await startStack({
      env: { GEMINI_API_KEY: 'e2e-key', GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '60000' },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await gemini?.close();
  });

  it('shows the reasoning while the model answers, then the decision', async () => {
    const company = await createCompany(stack.sql, {
      name: 'Umbrella',
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-live-e2e' } },
    });
    const [clean] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${company.companyId} AND signature = 'disk_full'`;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let release!: () => void;
    const rest = new Promise<void>((r) => (release = r));
    const answer = JSON.stringify({ action: 'execute', runbookId: clean!.id, confidence: 0.9, reasoning: REASONING });
    // The answer streams once the page is open, and stops half way until the page has shown it.
    gemini.script('gem-live-e2e', { text: answer, pieces: 12, gapMs: 80, gate, pauseAt: { piece: 9, until: rest } });
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, tech, {
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('bell').waitFor();

    const alert = { signature: 'disk_full', severity: 'high', message: 'disk 99%', tool_source: 'Datadog' };
    expect((await postAlert(stack.url, company.apiKey, { ...alert, asset_name: 'app-07' })).status).toBe(202);
    const incidentId = await eventually(async () => {
      const [row] = await stack.sql<{ id: string }[]>`
        SELECT incident_id AS id FROM decision_progress WHERE company_id = ${company.companyId}`;
      return row?.id;
    }, 'the decision in progress');
    const row = page.locator('[data-testid="incident-row"]', { hasText: 'app-07' });
    await row.first().click();
    const detail = page.getByTestId('incident-detail');
    await detail.getByTestId('decision-live').waitFor();

    const half = REASONING.slice(0, 30);
    open();
    await expect
      .poll(() => detail.getByTestId('decision-live-reasoning').textContent(), { timeout: UI_TIMEOUT })
      .toContain(half);
    const shown = (await detail.getByTestId('decision-live-reasoning').textContent()) ?? '';
    expect(REASONING.startsWith(shown.trim())).toBe(true);
    await detail.getByTestId('decision-history').screenshot({ path: path.resolve('test-results/decision-live.png') });
    release();

    // Done: the live block goes, the saved decision shows with the model's words.
    await expect.poll(() => detail.getByTestId('decision-live').count(), { timeout: UI_TIMEOUT }).toBe(0);
    await expect.poll(() => detail.getByTestId('decision-row').count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await detail.getByTestId('decision-history').innerText()).toContain(REASONING);
    expect(incidentId).toMatch(/.+/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('asks for a fresh decision from the incident page', async () => {
    const company = await createCompany(stack.sql, {
      name: 'Cyberdyne',
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-again-e2e' } },
    });
    const [clean] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${company.companyId} AND signature = 'disk_full'`;
    const say = (o: Record<string, unknown>) => ({ text: JSON.stringify({ confidence: 0.9, ...o }) });
    gemini.script(
      'gem-again-e2e',
      say({ action: 'escalate', runbookId: null, reasoning: 'Not sure; a person looks.' }),
    );
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, tech, {
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('bell').waitFor();
    const alert = { signature: 'disk_full', severity: 'high', message: 'disk 98%', tool_source: 'Datadog' };
    expect((await postAlert(stack.url, company.apiKey, { ...alert, asset_name: 'cy-01' })).status).toBe(202);
    const row = page.locator('[data-testid="incident-row"]', { hasText: 'cy-01' });
    await row.first().click();
    const detail = page.getByTestId('incident-detail');
    await expect
      .poll(() => detail.getByTestId('incident-status').textContent(), { timeout: UI_TIMEOUT })
      .toMatch(/escalated/i);

    gemini.script(
      'gem-again-e2e',
      say({ action: 'execute', runbookId: clean!.id, reasoning: 'Temp files fill the disk; clean them.' }),
    );
    await detail.getByTestId('redecide').click();
    await expect.poll(() => detail.getByTestId('decision-row').count(), { timeout: UI_TIMEOUT }).toBe(2);
    const history = detail.getByTestId('decision-history');
    await expect.poll(() => history.innerText(), { timeout: UI_TIMEOUT }).toContain(`asked for by ${tech.email}`);
    expect(await history.innerText()).toContain('Temp files fill the disk; clean them.');
    await history.screenshot({ path: path.resolve('test-results/decision-redecide.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
