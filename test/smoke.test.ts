/**
 * Smoke test: the harness starts Tally with the demo and answers both seeds.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from './support/harness.js';

test('the harness starts Tally with the demo and answers both seeds', async () => {
  const app = await startTestApp({ demo: true, clock: '2026-11-23T12:00:00Z' });
  try {
    const vb = await app.vb365.inject({ url: '/v6/Organizations/92460656-7a85-4a04-b1af-1ea903c0bc2e/LicensingInformation', headers: { authorization: `Bearer ${app.adminToken}` } });
    assert.equal(vb.body, '{"licensedUsers":100,"newUsers":0}');
  } finally {
    await app.close();
  }
});
