import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's chromium (apt package `chromium`); no browser is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
/** Where the browser tests leave their screenshots. */
export const SHOTS = join(process.cwd(), 'test-output', 'screenshots');

/** Fails at once, saying what to install, when Chromium is missing; makes the screenshots folder. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`End-to-end tests need Chromium at ${CHROMIUM}: install Debian's "chromium" package (apt-get install chromium)`);
  }
  mkdirSync(SHOTS, { recursive: true });
}

/**
 * Headless Chromium with nothing that reaches out to the network on its own (this machine's
 * network is closed); launch() gives it a fresh temporary profile, newContext() a fresh session.
 */
export async function openBrowser(): Promise<{ browser: Browser; context: BrowserContext }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(20_000);
  return { browser, context };
}
