// GraphiQL as a developer on a network without internet uses it: the page comes whole from our own server (the
// browser may reach nothing but 127.0.0.1/localhost, and nothing tries anything else), the CSP names no other origin
// and the page breaks none of it, a query runs, and a subscription over graphql-ws updates as an alert comes in.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The page's CSP violations, recorded in the page itself (an init script runs before the page's own). */
const RECORD_CSP_VIOLATIONS = () => {
  const seen: string[] = [];
  (window as unknown as { cspViolations: string[] }).cspViolations = seen;
  document.addEventListener('securitypolicyviolation', (e) =>
    seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`),
  );
};

/** Replaces the content of the Monaco editor inside `editor` with `text`, as a paste would. */
async function setEditor(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(`${editor} .monaco-editor .view-lines >> visible=true`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** The response pane's text (the result editor's visible lines, spaces normalised). */
async function responseText(page: Page): Promise<string> {
  const text = await page.locator('.graphiql-response .view-lines').first().innerText();
  return text.replace(/\s+/g, ' ');
}

describe('GraphiQL (real browser, only local addresses reachable)', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let company: TestCompany;
  let admin: TestUser;
  const outside: string[] = [];
  const pageErrors: string[] = [];
  /** graphql-ws messages the page sent, by type. */
  const socketMessages: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    company = await createCompany(stack.sql, { name: 'Initech' });
    admin = await createUser(stack.sql, 'msp_admin', []);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Every request the page, its frames or its workers make: local ones go on, any other is counted and refused.
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (LOCAL_HOSTS.has(url.hostname)) return route.continue();
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.stack ?? err.message));
    page.on('websocket', (socket) => {
      if (new URL(socket.url()).pathname !== '/graphql') return;
      socket.on('framesent', ({ payload }) => socketMessages.push(String(JSON.parse(String(payload)).type)));
    });
    await page.addInitScript(RECORD_CSP_VIOLATIONS);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('loads the whole page from our own server, under a CSP that names no other origin', async () => {
    const response = await page.goto(`${stack.url}/graphql`);
    expect(response?.status()).toBe(200);
    const policy = (await response?.headerValue('content-security-policy')) ?? '';
    expect(policy).toContain("default-src 'self'");
    const origins = policy.split(/[;\s]+/).filter((source) => /^[a-z][a-z0-9+.-]*:\/\//i.test(source));
    expect(origins.filter((o) => !LOCAL_HOSTS.has(new URL(o).hostname))).toEqual([]);
    expect(policy).not.toContain("'unsafe-eval'");
    // GraphiQL is up: its editor and its run button are there.
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
    await page.locator('.graphiql-execute-button').waitFor();
    expect(outside).toEqual([]);
  });

  it('runs a query typed into the editor, with the token in the headers editor', async () => {
    const token = await login(stack.url, admin.email, admin.password);
    await page.getByText('Headers', { exact: true }).click();
    await setEditor(page, '.graphiql-editor-tool', JSON.stringify({ Authorization: `Bearer ${token}` }));
    await setEditor(page, '.graphiql-query-editor', '{ me { email role } }');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => responseText(page), { timeout: UI_TIMEOUT }).toContain(admin.email);
    expect(await responseText(page)).toContain('msp_admin');
  });

  it(
    'runs a subscription over graphql-ws whose result updates as alerts open incidents',
    { timeout: 300_000 },
    async () => {
      await setEditor(page, '.graphiql-query-editor', 'subscription { incidentUpdated { assetName status } }');
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => socketMessages.includes('subscribe'), { timeout: UI_TIMEOUT }).toBe(true);
      const post = async (): Promise<string> => {
        const asset = `srv-graphiql-${Date.now()}`;
        const alert = {
          asset_name: asset,
          signature: 'graphiql_probe',
          severity: 'low',
          message: 'm',
          tool_source: 'Zabbix',
        };
        expect((await postAlert(stack.url, company.apiKey, alert)).status).toBe(202);
        return asset;
      };
      const shows = async (asset: string) => (await responseText(page).catch(() => '')).includes(asset);
      // The page sent `subscribe`, but nothing tells it when the server has taken it: an alert whose event came before
      // that is never shown. So a first alert is posted again (a new one) every 10 s until one shows; the page is
      // read often, so the wait ends as soon as it shows rather than at the next retry.
      let first = '';
      let postedAt = 0;
      await expect
        .poll(
          async () => {
            if (first && (await shows(first))) return true;
            if (!first || Date.now() - postedAt >= 10_000) [first, postedAt] = [await post(), Date.now()];
            return false;
          },
          { timeout: 4 * UI_TIMEOUT, interval: 200 },
        )
        .toBe(true);
      // Held now: the next alert's incident must show in the same result, with no retry.
      const second = await post();
      await expect.poll(() => shows(second), { timeout: 2 * UI_TIMEOUT }).toBe(true);
      await page.screenshot({ path: 'test-results/graphiql-subscription.png' });
      // Over graphql-ws, not server-sent events: the page opened the socket, sent its token and subscribed on it.
      expect(socketMessages).toEqual(expect.arrayContaining(['connection_init', 'subscribe']));
    },
  );

  it('tried no outside address, broke no CSP rule and threw nothing', async () => {
    expect(outside).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
