/**
 * Bounded work per request on the VB365 face (issue 19, item 1): the worst name filters and the
 * widest report interval and the largest pages a client may ask for are each answered within a generous bound, while a
 * request on the VSPC face sent meanwhile is answered in under a second; an interval beyond the
 * cap is refused with a 400 in the VB365 dialect; an overview past its time budget is cancelled
 * (its worker terminated) with a 503, and the next one is answered. Exact figures belong in bench/.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from '../security/helpers.js';

const NOW = '2026-11-23T12:00:00Z';
/** Generous bounds: the old regular expression took minutes, a year from the year 1000 too. */
const ANSWER_BOUND_MS = 10_000;
const CONCURRENT_BOUND_MS = 1_000;

let app: TestApp;

before(async () => {
  app = await startTestApp({ clock: NOW, demo: true });
  // Warm both faces (first compilation of each route, the pool and user caches): the bound is
  // about one request holding up another, not about a cold start.
  await app.vspc.inject({ url: '/api/v3/licensing/console', headers: bearer(app.adminToken) });
  await app.vb365.inject({ url: '/v6/LicensedUsers?name=warm', headers: bearer(app.adminToken) });
});

after(async () => {
  await app.close();
});

/** Sends `slow` on the VB365 face and, while it runs, a console request on the VSPC face; both durations. */
async function withConcurrentVspcRequest(slow: () => Promise<{ statusCode: number; body: string }>) {
  const started = performance.now();
  const answer = slow().then((res) => ({ res, ms: performance.now() - started }));
  // Let the slow request get going before the other face is asked.
  await new Promise((resolve) => setImmediate(resolve));
  const vspcStarted = performance.now();
  const vspc = await app.vspc.inject({ url: '/api/v3/licensing/console', headers: bearer(app.adminToken) });
  const vspcMs = performance.now() - vspcStarted;
  return { ...(await answer), vspc, vspcMs };
}

describe('bounded work per request on the VB365 face', () => {
  test('the demo has many licensed users to filter', async () => {
    const res = await app.vb365.inject({ url: '/v6/LicensedUsers?limit=1', headers: bearer(app.adminToken) });
    assert.equal(res.statusCode, 200);
    assert.ok(res.json().totalCount > 1_000, `${res.json().totalCount} users`);
  });

  const patterns = ['******#', '*'.repeat(399) + '#', '*a'.repeat(199) + '#', '?*'.repeat(199) + '#', '*?'.repeat(199) + '*', 'a*'.repeat(199) + 'z'];
  for (const pattern of patterns) {
    test(`the name filter ${JSON.stringify(pattern.length > 20 ? pattern.slice(0, 12) + '…' : pattern)} (${pattern.length} characters) is answered promptly, and so is the VSPC face meanwhile`, async () => {
      const url = `/v6/LicensedUsers?name=${encodeURIComponent(pattern)}`;
      const { res, ms, vspc, vspcMs } = await withConcurrentVspcRequest(() => app.vb365.inject({ url, headers: bearer(app.adminToken) }));
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(ms < ANSWER_BOUND_MS, `answered in ${ms.toFixed(0)} ms`);
      assert.equal(vspc.statusCode, 200, vspc.body);
      assert.ok(vspcMs < CONCURRENT_BOUND_MS, `VSPC answered in ${vspcMs.toFixed(0)} ms`);
    });
  }

  for (const format of ['CSV', 'PDF']) {
    test(`the widest license overview allowed (one year, ${format}) is answered promptly, and so is the VSPC face meanwhile`, async () => {
      const payload = { startTime: '2025-11-23T12:00:00Z', endTime: NOW, format };
      const { res, ms, vspc, vspcMs } = await withConcurrentVspcRequest(() =>
        app.vb365.inject({ method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', headers: bearer(app.adminToken), payload }),
      );
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(ms < ANSWER_BOUND_MS, `answered in ${ms.toFixed(0)} ms`);
      assert.equal(vspc.statusCode, 200, vspc.body);
      assert.ok(vspcMs < CONCURRENT_BOUND_MS, `VSPC answered in ${vspcMs.toFixed(0)} ms`);
    });
  }

  test('the largest pages each face allows are answered promptly, and the other face meanwhile', async () => {
    // VB365: every licensed user of the demo in one page (the schema's maximum, 10,000), unfiltered.
    const vb365 = await withConcurrentVspcRequest(() => app.vb365.inject({ url: '/v6/LicensedUsers?limit=10000', headers: bearer(app.adminToken) }));
    assert.equal(vb365.res.statusCode, 200, vb365.res.body);
    assert.ok(JSON.parse(vb365.res.body).results.length > 3000, 'the whole demo in one page');
    assert.ok(vb365.ms < ANSWER_BOUND_MS, `answered in ${vb365.ms.toFixed(0)} ms`);
    assert.ok(vb365.vspcMs < CONCURRENT_BOUND_MS, `VSPC answered in ${vb365.vspcMs.toFixed(0)} ms`);
    // VSPC: the largest page of a collection (500), sorted.
    const started = performance.now();
    const page = app.vspc.inject({ url: '/api/v3/organizations/companies?limit=500&sort=%5B%7B%22property%22%3A%22name%22%2C%22direction%22%3A%22descending%22%7D%5D', headers: bearer(app.adminToken) });
    await new Promise((resolve) => setImmediate(resolve));
    const vb365Started = performance.now();
    const other = await app.vb365.inject({ url: '/v6/License', headers: bearer(app.adminToken) });
    const otherMs = performance.now() - vb365Started;
    const vspc = await page;
    assert.equal(vspc.statusCode, 200, vspc.body);
    assert.ok(performance.now() - started < ANSWER_BOUND_MS);
    assert.equal(other.statusCode, 200, other.body);
    assert.ok(otherMs < CONCURRENT_BOUND_MS, `VB365 answered in ${otherMs.toFixed(0)} ms`);
  });

  test('a license overview that runs past its time budget is cancelled with a 503 that says why, and the next one is answered in full', async () => {
    const payload = { startTime: '2025-11-23T12:00:00Z', endTime: NOW, format: 'CSV' };
    const overview = () => app.vb365.inject({ method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', headers: bearer(app.adminToken), payload });
    const full = await overview();
    assert.equal(full.statusCode, 200, full.body);
    const budget = app.ctx.compute.budgetMs;
    app.ctx.compute.budgetMs = 1;
    try {
      const { res, vspc, vspcMs } = await withConcurrentVspcRequest(overview);
      assert.equal(res.statusCode, 503, res.body);
      assert.deepEqual(JSON.parse(res.body), { message: 'The request took longer than its time budget of 1 ms and was cancelled; try a shorter interval or try again later.' });
      assert.equal(vspc.statusCode, 200, vspc.body);
      assert.ok(vspcMs < CONCURRENT_BOUND_MS, `VSPC answered in ${vspcMs.toFixed(0)} ms`);
    } finally {
      app.ctx.compute.budgetMs = budget;
    }
    // A fresh worker counts the next request: the same file as before the cancellation.
    const again = await overview();
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.body, full.body);
  });

  test('a license overview longer than one year is refused with a 400 that says why, at once', async () => {
    for (const startTime of ['1000-01-01T00:00:00Z', '2025-11-23T11:59:59Z']) {
      const started = performance.now();
      const res = await app.vb365.inject({
        method: 'POST',
        url: '/v6/Reports/GenerateLicenseOverview',
        headers: bearer(app.adminToken),
        payload: { startTime, endTime: NOW, format: 'CSV' },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(res.json(), { message: 'The reporting interval is longer than 1 year: endTime must be at most 1 year after startTime.' });
      assert.ok(performance.now() - started < ANSWER_BOUND_MS);
    }
  });
});
