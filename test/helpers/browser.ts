// The one way the browser tests start Chromium: the system's build (CHROMIUM_PATH, else found on PATH or at its usual
// place: lib/tools.ts), headless, with nothing that phones home.
import { chromium, type Browser } from 'playwright-core';
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
