// The dashboard's icons draw without any particular font: the bell in the top bar is an inline SVG with a name, and
// a screenshot of it has ink in it (an emoji bell was an empty box in Chromium without an emoji font, as here).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;

/** Pixels of a PNG clearly unlike its top-left one (the background), counted by the page's own image decoder. */
function inkPixels(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      const distance =
        Math.abs(data[i]! - data[0]!) + Math.abs(data[i + 1]! - data[1]!) + Math.abs(data[i + 2]! - data[2]!);
      if (distance > 60) ink++;
    }
    return ink;
  }, png.toString('base64'));
}

/** A screenshot of the bell's icon with a 2 px margin, so its corners are the top bar's background. */
async function bellShot(page: Page): Promise<Buffer> {
  const box = await page.getByTestId('bell-icon').boundingBox();
  if (!box) throw new Error('the bell icon has no box on screen');
  return page.screenshot({ clip: { x: box.x - 2, y: box.y - 2, width: box.width + 4, height: box.height + 4 } });
}

describe('dashboard icons (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let tech: TestUser;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npx vite build --config web/vite.config.ts`);
    }
    stack = await startStack();
    const company = await createCompany(stack.sql, { name: 'Umbrella Clinics' });
    tech = await createUser(stack.sql, 'technician', [company.companyId]);
    // One unread page waiting in the bell.
    await stack.sql`
      INSERT INTO notifications (user_id, company_id, event_key, kind, title, body, severity)
      VALUES (${tech.id}, ${company.companyId}, 'icons-test:1', 'assigned', 'Disk full on srv-1', 'Yours now', 'high')`;
    browser = await launchChromium();
    page = await signedInPage(browser, `${stack.url}/#/incidents`, tech, {
      viewport: { width: 1400, height: 900 },
      timeout: UI_TIMEOUT,
    });
    await page.getByTestId('bell').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('draws the bell as a named inline SVG, with the unread count beside it', async () => {
    const icon = page.getByRole('img', { name: 'Notifications' });
    await icon.waitFor();
    expect(await icon.evaluate((el) => el.tagName.toLowerCase())).toBe('svg');
    // A real drawing: paths with a non-empty outline, and a box on screen.
    const drawn = await icon.evaluate((svg) => {
      const paths = [...svg.querySelectorAll('path')].map((p) => p.getBBox());
      const box = svg.getBoundingClientRect();
      return { paths: paths.filter((b) => b.width > 0 && b.height > 0).length, width: box.width, height: box.height };
    });
    expect(drawn.paths).toBeGreaterThan(0);
    expect(drawn.width).toBeGreaterThanOrEqual(12);
    expect(drawn.height).toBeGreaterThanOrEqual(12);
    // No emoji left anywhere in the page's text.
    expect(await page.locator('body').innerText()).not.toMatch(/\p{Extended_Pictographic}/u);
    await expect.poll(() => page.getByTestId('bell-count').textContent()).toBe('1');
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
  });

  it('shows ink where the bell is, and none once the icon is hidden', async () => {
    await page.screenshot({ path: 'test-results/dashboard-bell.png', clip: { x: 900, y: 0, width: 500, height: 60 } });
    const visible = await inkPixels(page, await bellShot(page));
    // A bell of 18 px drawn with a 1.8 px stroke covers well over 40 pixels.
    expect(visible).toBeGreaterThan(40);
    // The measure itself tells a missing glyph: the same place with the icon hidden has no ink.
    await page.getByTestId('bell-icon').evaluate((svg) => svg.style.setProperty('visibility', 'hidden'));
    expect(await inkPixels(page, await bellShot(page))).toBe(0);
    await page.getByTestId('bell-icon').evaluate((svg) => svg.style.removeProperty('visibility'));
  });
});
