/**
 * Swagger UI renders on both faces of the real server (dist/cli.js serve), in headless Chromium:
 * the operations list appears with the face's title and its known operations, and a screenshot of
 * each is saved under test/.artifacts/. A blank page (no operations within the time limit) fails.
 * Nothing here loosens the page's security headers (no CSP bypass): if they stop Swagger UI from
 * rendering, this test says so. (Checked by hand to pass under `default-src 'self'; style-src
 * 'self'`, which only refuses Swagger UI's inline style attributes.)
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, browserMissing, launchChromium } from '../support/browser.js';
import { spawnTally, type ServerProcess } from '../support/server.js';

const faces = [
  {
    face: 'vb365' as const,
    path: '/swagger/ui/index',
    title: 'Veeam Backup for Microsoft 365 REST API (Tally)',
    operation: '/v6/Organizations/{organizationId}/LicensingInformation',
  },
  {
    face: 'vspc' as const,
    path: '/api/swagger',
    title: 'Veeam Service Provider Console REST API (Tally)',
    operation: '/api/v3/licensing/console/usage/companies/vcc/{tenantUid}',
  },
];

const missing = browserMissing();

describe('Swagger UI in a browser', { skip: missing }, () => {
  let server: ServerProcess;
  let browser: Browser;
  before(async () => {
    server = await spawnTally({ args: ['--http', '--no-demo', '--host', '127.0.0.1'] });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const { face, path: uiPath, title, operation } of faces) {
    test(`the ${face} face's Swagger UI at ${uiPath} lists its operations under its title`, { timeout: 120_000 }, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      // A strict Content-Security-Policy (docs/security.md) refuses Swagger UI's inline style
      // attributes and says so on the console; the page still renders, which is what counts here.
      // Refused scripts or documents show as the missing operations list instead.
      page.on('console', (message) => {
        if (message.type() === 'error' && !/Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      try {
        const response = await page.goto(`${server[face]}${uiPath}`, { waitUntil: 'load', timeout: 60_000 });
        assert.equal(response?.status(), 200);
        // The operations list is drawn by Swagger UI's script from the OpenAPI document: a blank
        // page (no script, an empty bundle, a refused document) never gets here.
        await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 60_000 });
        await page.screenshot({ path: path.join(ARTIFACTS, `swagger-ui-${face}.png`) });
        const shownTitle = (await page.locator('.info .title').innerText()).trim();
        assert.ok(shownTitle.startsWith(title), `title shown: ${JSON.stringify(shownTitle)}; ${problems.join('; ')}`);
        const paths = (await page.locator('.opblock-summary-path').allInnerTexts()).map((text) => text.replace(/\u200b/g, '').trim());
        assert.ok(paths.includes(operation), `${operation} is listed among ${paths.length}: ${paths.join(', ')}`);
        assert.ok(paths.every((shown) => shown.startsWith(face === 'vb365' ? '/v6/' : '/api/v3/')), 'only the face\'s own API is listed');
        assert.deepEqual(problems, [], 'the page ran without errors');
      } catch (error) {
        await page.screenshot({ path: path.join(ARTIFACTS, `swagger-ui-${face}-failed.png`) }).catch(() => {});
        throw error;
      } finally {
        await page.close();
      }
    });
  }
});
