/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by playwright-core (no browser
 * download). Where it is missing the browser tests are skipped with a loud message, except where
 * TALLY_REQUIRE_BROWSER=1 (CI, `.ci/run`): there they fail.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT } from './server.js';

export const CHROMIUM = process.env.TALLY_TEST_CHROMIUM ?? '/usr/bin/chromium';
const requireBrowser = ['1', 'true', 'yes'].includes(String(process.env.TALLY_REQUIRE_BROWSER ?? '').toLowerCase());

/** Where tests save screenshots (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'test', '.artifacts');

/**
 * Why the browser tests cannot run here, or undefined when they can. Throws where a browser is
 * required (CI), so that a missing chromium fails the run instead of skipping the tests.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set TALLY_TEST_CHROMIUM)`;
  if (requireBrowser) throw new Error(`browser tests are required (TALLY_REQUIRE_BROWSER=1) but there is ${reason}`);
  console.error(`!!! browser tests SKIPPED: ${reason}`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
