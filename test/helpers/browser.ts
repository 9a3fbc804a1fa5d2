// The one way the browser tests start Chromium: the system's build (CHROMIUM_PATH, else found on PATH or at its usual
// place: lib/tools.ts), headless, with nothing that phones home; and the one way they sign in.
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from '../../lib/tools.ts';

export function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    const how = '`npm test` installs it as root (apt-get install chromium); else install it or set CHROMIUM_PATH';
    throw new Error(`No Chromium found (CHROMIUM_PATH, PATH, /usr/bin/chromium): ${how}`);
  }
  return chromium.launch({
    executablePath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface SignInOptions {
  /** The browser window's size (the screenshots of some tests depend on it). */
  viewport?: { width: number; height: number };
  /** Uncaught errors of the page are pushed here (with their stack), for the test to assert there were none. */
  pageErrors?: string[];
  /** The page's default timeout for actions and waits, and the wait for the sign-in itself. */
  timeout?: number;
}

/**
 * A new browser context signed in as `user` the way a person does it: opens `url` (the sign-in form shows first),
 * types the email and password, submits, and waits until the top bar names the user.
 */
export async function signedInPage(
  browser: Browser,
  url: string,
  user: { email: string; password: string },
  opts: SignInOptions = {},
): Promise<Page> {
  const timeout = opts.timeout ?? 30_000;
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const errors = opts.pageErrors;
  if (errors) page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  await page.goto(url);
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  // A locator wait rather than expect.poll, which vitest allows only inside a test (not in beforeAll).
  const named = new RegExp(`^${user.email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page
    .getByTestId('current-user')
    .filter({ hasText: named })
    .waitFor({ timeout })
    .catch(async (err: unknown) => {
      const shown = await page
        .getByTestId('current-user')
        .textContent({ timeout: 1_000 })
        .catch(() => null);
      throw new Error(`not signed in as ${user.email}: the top bar names ${JSON.stringify(shown)}`, { cause: err });
    });
  return page;
}
