/**
 * Rule 9: with automatic license update on, a monthly usage report approved (or sent
 * automatically after the review days) within the last month doubles the exceed allowance.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPut, startTestApp } from '../support/harness.js';

const ORG = '11111111-2222-4333-8444-555555555555';

test('approving the monthly report doubles the allowance from that instant; a month later it ends', async () => {
  const app = await startTestApp({ clock: '2026-11-02T12:00:00Z' });
  try {
    await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'contoso.onmicrosoft.com' });
    // 5 units, allowance max(20, 20 %) = 20, doubled 40; 60 users consume since September.
    await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 5, expirationDate: '2027-06-30T00:00:00Z', autoUpdate: true });
    const events = Array.from({ length: 60 }, (_, i) => [
      { id: `s${i}`, type: 'vb365.backup', at: '2026-09-10T02:00:00Z', organizationId: ORG, user: { id: `u${i}`, name: `u${i}` } },
      { id: `o${i}`, type: 'vb365.backup', at: '2026-10-30T02:00:00Z', organizationId: ORG, user: { id: `u${i}`, name: `u${i}` } },
      { id: `n${i}`, type: 'vb365.backup', at: '2026-11-25T02:00:00Z', organizationId: ORG, user: { id: `u${i}`, name: `u${i}` } },
    ]).flat();
    assert.equal((await app.ingest(events)).status, 200);
    const auth = { authorization: `Bearer ${app.adminToken}` };
    const info = async () => (await app.vb365.inject({ url: `/v6/Organizations/${ORG}/LicensingInformation`, headers: auth })).json();
    const used = async () => (await app.vb365.inject({ url: '/v6/License', headers: auth })).json().usedNumber;

    assert.deepEqual(await info(), { licensedUsers: 25, newUsers: 0 });
    const report = await app.vb365.inject({ url: '/v6/licensing/reports/latest', headers: auth });
    assert.equal(report.json().reportParameters.reportStatus, 'Draft');
    assert.equal(await used(), 25);

    const approve = await app.vb365.inject({ method: 'POST', url: '/v6/licensing/reports/202610/approve', headers: auth, payload: { removedUsers: [] } });
    assert.equal(approve.statusCode, 200, approve.body);
    assert.deepEqual(await info(), { licensedUsers: 45, newUsers: 0 });
    assert.equal(await used(), 45);

    // The report counts for one month after its approval (November's report has not been generated).
    await app.ctx.clock.set(Date.parse('2026-12-02T11:59:59.999Z'));
    assert.deepEqual(await info(), { licensedUsers: 45, newUsers: 0 });
    await app.ctx.clock.set(Date.parse('2026-12-02T12:00:00.000Z'));
    assert.deepEqual(await info(), { licensedUsers: 25, newUsers: 0 });
  } finally {
    await app.close();
  }
});
