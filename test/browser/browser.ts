import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Shared set-up of the console's browser tests: Debian's chromium, screenshots, console errors. */

const CHROMIUM = process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'test-output', 'screenshots');
export const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** chromium may still be installing when the suite starts: wait for it (bounded), else undefined. */
export async function findChromium(maxWaitMs = Number(process.env.STRATUS_CHROMIUM_WAIT_MS ?? 180_000)): Promise<string | undefined> {
  const deadline = Date.now() + maxWaitMs;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > deadline) {
      console.warn(`console browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  return CHROMIUM;
}

/**
 * Launches headless chromium with the flags this machine's closed network needs and opens a
 * desktop-sized page whose console errors and page errors are collected into `errors`.
 */
export async function openBrowser(executablePath: string, errors: string[], opts: { acceptDownloads?: boolean } = {}): Promise<{ browser: Browser; page: Page }> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, ...opts });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return { browser, page };
}
