// The dashboard across access-token expiry, with 10-second tokens: two tabs renew their tokens on their own
// timers from one rotating refresh cookie without tripping reuse detection, and live updates keep arriving; a
// browser whose clock is behind (so it renews too late) recovers from the server's UNAUTHENTICATED answers, on a
// live stream and on a request, without the user noticing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 20_000;
const TTL_SECONDS = 10;

describe('session refresh (real browser, 10 s access tokens)', () => {
  let stack: Stack;
  let browser: Browser;
  let company: TestCompany;
  let user: TestUser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let reported = 0;

  async function open(context: BrowserContext, label: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(`[${label}] ${err.stack ?? err.message}`));
    return page;
  }

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    return context;
  }

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${stack.url}/#/incidents`);
    await page.getByTestId('login-email').fill(user.email);
    await page.getByTestId('login-password').fill(user.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    await page.locator('.live.on').waitFor();
  }

  const alert = (asset: string) =>
    postAlert(stack.url, company.apiKey, {
      asset_name: asset,
      signature: 'disk_full',
      severity: 'low',
      message: `${asset} disk 91% full`,
      tool_source: 'Prometheus',
    });

  /** The access tokens the server handed this page (login and refreshes), newest last. */
  function tokensOf(page: Page): string[] {
    const tokens: string[] = [];
    page.on('response', async (r) => {
      if (!/\/(graphql|auth\/refresh)$/.test(r.url())) return;
      const token = /"accessToken":"([^"]+)"/.exec(await r.text().catch(() => ''))?.[1];
      if (token) tokens.push(token);
    });
    return tokens;
  }

  /** Waits until the server refuses `token` as expired (its exp passed), asking as any client would. */
  async function expiredOnServer(token: string | undefined): Promise<void> {
    if (!token) throw new Error('the page was handed no access token');
    await eventually(
      async () =>
        (await graphql(stack.url, '{ unreadNotificationCount }', {}, token)).errors?.[0]?.extensions?.code ===
        'UNAUTHENTICATED',
      'the server to refuse the expired access token',
      TTL_SECONDS * 3000,
    );
  }

  async function sessionState(): Promise<{ live: number; reused: number }> {
    const [s] = await stack.sql<Array<{ live: number }>>`
      SELECT count(*)::int AS live FROM sessions WHERE user_id = ${user.id} AND revoked_at IS NULL`;
    const [a] = await stack.sql<Array<{ reused: number }>>`
      SELECT count(*)::int AS reused FROM audit_log WHERE actor_id = ${user.id} AND action = 'session.reuse_detected'`;
    return { live: s!.live, reused: a!.reused };
  }

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack({ env: { ACCESS_TOKEN_TTL: `${TTL_SECONDS}s` } });
    company = await createCompany(stack.sql, { name: 'Umbrella Labs' });
    browser = await launchChromium();
  });

  afterEach(() => {
    const fresh = pageErrors.slice(reported);
    reported = pageErrors.length;
    expect(fresh, 'uncaught page errors').toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  it('renews tokens in two tabs before they expire, with live updates throughout', async () => {
    user = await createUser(stack.sql, 'technician', [company.companyId]);
    const context = await newContext();
    const first = await open(context, 'tab 1');
    const firstTokens = tokensOf(first);
    await signIn(first);
    // A second tab of the same browser: same cookie jar, its own memory and timers.
    const second = await open(context, 'tab 2');
    await second.goto(`${stack.url}/#/incidents`);
    await second.locator('.live.on').waitFor();
    const refreshes = { first: 0, second: 0 };
    first.on('request', (r) => void (r.url().endsWith('/auth/refresh') && refreshes.first++));
    second.on('request', (r) => void (r.url().endsWith('/auth/refresh') && refreshes.second++));

    // Each tab renews at three quarters of its token's life, so two renewals each take about 1.5 lifetimes: by then
    // every token either tab started with has expired (checked next, on the server, for the first tab's login).
    await expect
      .poll(() => Math.min(refreshes.first, refreshes.second), { timeout: TTL_SECONDS * 4000, interval: 100 })
      .toBeGreaterThanOrEqual(2);
    await expiredOnServer(firstTokens[0]);

    expect((await alert('umbrella-web-01')).status).toBe(202);
    for (const page of [first, second]) {
      await page.getByTestId('incident-row').filter({ hasText: 'umbrella-web-01' }).waitFor();
      expect(await page.getByTestId('current-user').textContent()).toBe(user.email);
      expect(await page.locator('.live.on').count()).toBe(1);
    }
    expect(await sessionState()).toEqual({ live: 1, reused: 0 });
  });

  it('recovers when the server says the token expired: a live stream and a request', async () => {
    user = await createUser(stack.sql, 'technician', [company.companyId]);
    const context = await newContext();
    const page = await open(context, 'slow clock');
    // A minute behind: the page believes each token has 70 s left, so its timer never renews in time.
    await page.clock.install({ time: Date.now() - 60_000 });
    const tokens = tokensOf(page);
    await signIn(page);
    let refreshes = 0;
    let refusals = 0;
    page.on('request', (r) => void (r.url().endsWith('/auth/refresh') && refreshes++));
    page.on('response', async (r) => {
      if (r.url().endsWith('/graphql') && (await r.text().catch(() => '')).includes('UNAUTHENTICATED')) refusals++;
    });
    const list = page.getByTestId('incident-row');
    await page.getByText('Loading incidents…').waitFor({ state: 'hidden' });

    // The first token has expired on the server: the next event ends the stream with UNAUTHENTICATED; the page
    // renews, reconnects and reloads, so the incident that event carried still shows.
    await expect.poll(() => tokens.length).toBe(1);
    await expiredOnServer(tokens[0]);
    expect((await alert('umbrella-db-02')).status).toBe(202);
    await list.filter({ hasText: 'umbrella-db-02' }).waitFor();
    expect(refreshes).toBe(1);

    // The renewed token expires too; a request with it is refused, renewed once and sent again.
    await expect.poll(() => tokens.length).toBe(2);
    await expiredOnServer(tokens[1]);
    await list.filter({ hasText: 'umbrella-db-02' }).click();
    await page.getByTestId('incident-detail').getByRole('heading', { name: 'umbrella-db-02' }).waitFor();
    expect(await page.getByTestId('current-user').textContent()).toBe(user.email);
    expect(await page.getByTestId('login-email').count()).toBe(0);
    expect(refusals, 'the request was refused once before its retry').toBeGreaterThanOrEqual(1);
    expect(refreshes).toBe(2);
    expect(await sessionState()).toEqual({ live: 1, reused: 0 });
  });
});
