/**
 * Scope is a property of the principal, enforced in the services (issue 19 item 2, issue 18 item
 * 4): which scopes each role takes, and what a scoped account reads of the VSPC face and the
 * admin API (the month-end report included). The route × identity matrix (route-matrix.test.ts)
 * tries a scoped account of every role on every route; this file checks the rules and the answers.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

const NOW = '2026-11-23T12:00:00Z';
const NORTHWIND = '0b000000-0000-4000-8000-00000000f001';
const CONTOSO = '0b000000-0000-4000-8000-00000000f002';
const ALPINE = '0c000000-0000-4000-8000-00000000f001';
const BIRCH = '0c000000-0000-4000-8000-00000000f002';
const CEDAR = '0c000000-0000-4000-8000-00000000f003';
const agent = (n: number) => `0e000000-0000-4000-8000-${String(n).padStart(12, 'f')}`;

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${NORTHWIND}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/resellers/${CONTOSO}`, { name: 'Contoso' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine', resellerUid: NORTHWIND });
  await adminPut(app, `/tally/v1/companies/${BIRCH}`, { name: 'Birch', resellerUid: NORTHWIND });
  await adminPut(app, `/tally/v1/companies/${CEDAR}`, { name: 'Cedar', resellerUid: CONTOSO });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-11-30T00:00:00Z' });
  const res = await app.ingest([ALPINE, BIRCH, CEDAR].map((companyUid, i) => ({
    id: `s${i}`, type: 'vspc.agentActivated', at: '2026-10-02T08:00:00Z', companyUid, agent: { uid: agent(i + 1), name: `srv${i}`, mode: 'server' },
  })));
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(() => app.close());

const putUser = (username: string, body: object) =>
  app.vspc.inject({ method: 'PUT', url: `/tally/v1/users/${username}`, headers: bearer(app.adminToken), payload: { password: 'a-long-password', ...body } });

describe('which scope each role takes', () => {
  for (const role of ['CompanyOwner', 'CompanyAdministrator', 'CompanyInvoiceAuditor', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator',
    'ServiceProviderOperator', 'ServiceProviderUser', 'ServiceProviderInvoiceAuditor']) {
    test(`${role} cannot be created without a scope (400 naming scopeUid); nothing stored`, async () => {
      const res = await putUser(`unscoped-${role}`, { roles: [role] });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'validation_failed');
      assert.equal(res.json().error.details[0].field, 'scopeUid');
      assert.match(res.json().error.message, new RegExp(`${role} needs a scopeUid`));
      assert.equal((await app.vspc.inject({ url: `/tally/v1/users/unscoped-${role}`, headers: bearer(app.adminToken) })).statusCode, 404);
    });
  }

  test('PortalAdministrator refuses a scope (400); without one it is created', async () => {
    const refused = await putUser('portal-scoped', { roles: ['PortalAdministrator'], scopeUid: NORTHWIND });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json().error.message, /PortalAdministrator .* cannot be confined/);
    assert.equal((await putUser('portal-scoped', { roles: ['PortalAdministrator'] })).statusCode, 200);
  });

  test('a reseller role needs a reseller, a company role a company (409 for the other kind or for nothing)', async () => {
    assert.equal((await putUser('sp-at-company', { roles: ['ServiceProviderAdministrator'], scopeUid: ALPINE })).statusCode, 409);
    assert.equal((await putUser('owner-at-reseller', { roles: ['CompanyOwner'], scopeUid: NORTHWIND })).statusCode, 409);
    const nothing = await putUser('owner-at-nothing', { roles: ['CompanyOwner'], scopeUid: '0c000000-0000-4000-8000-0000000f0000' });
    assert.equal(nothing.statusCode, 409);
    assert.equal(nothing.json().error.message, 'Scope 0c000000-0000-4000-8000-0000000f0000 names no reseller and no company.');
    assert.equal((await putUser('mixed', { roles: ['ServiceProviderAdministrator', 'CompanyOwner'], scopeUid: NORTHWIND })).statusCode, 400);
  });

  test('ReadOnlyUser, Vb365Administrator and Ingest take a reseller, a company or no scope', async () => {
    for (const [i, role] of (['ReadOnlyUser', 'Vb365Administrator', 'Ingest'] as const).entries()) {
      assert.equal((await putUser(`optional-${i}-none`, { roles: [role] })).statusCode, 200, role);
      assert.equal((await putUser(`optional-${i}-reseller`, { roles: [role], scopeUid: NORTHWIND })).statusCode, 200, role);
      assert.equal((await putUser(`optional-${i}-company`, { roles: [role], scopeUid: CEDAR })).statusCode, 200, role);
    }
  });
});

describe('what a scoped account reads', () => {
  test('a reseller-scoped account reads its own companies\' month-end report (JSON and CSV), not the others\'', async () => {
    const token = await app.tokenFor('northwind-auditor', ['ServiceProviderInvoiceAuditor'], NORTHWIND);
    const report = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10', headers: bearer(token) });
    assert.equal(report.statusCode, 200, report.body);
    assert.deepEqual(report.json().companies.map((c: { companyUid: string }) => c.companyUid), [ALPINE, BIRCH]);
    const csv = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10?format=csv', headers: bearer(token) });
    assert.equal(csv.statusCode, 200);
    assert.ok(csv.body.includes(ALPINE) && csv.body.includes(BIRCH) && !csv.body.includes(CEDAR), csv.body);
    // The provider's report is whole.
    const whole = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10', headers: bearer(app.adminToken) });
    assert.deepEqual(whole.json().companies.map((c: { companyUid: string }) => c.companyUid), [ALPINE, BIRCH, CEDAR]);
  });

  test('a company-scoped owner reads its company\'s part of the report only', async () => {
    const token = await app.tokenFor('cedar-owner', ['CompanyOwner'], CEDAR);
    const report = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10', headers: bearer(token) });
    assert.deepEqual(report.json().companies.map((c: { companyUid: string }) => c.companyUid), [CEDAR]);
  });

  test('a ReadOnlyUser confined to a reseller sees that reseller\'s companies on the VSPC face; a foreign one answers as missing', async () => {
    const token = await app.tokenFor('northwind-reader', ['ReadOnlyUser'], NORTHWIND);
    const list = await app.vspc.inject({ url: '/api/v3/organizations/companies', headers: bearer(token) });
    assert.deepEqual(list.json().data.map((c: { instanceUid: string }) => c.instanceUid), [ALPINE, BIRCH]);
    const foreign = await app.vspc.inject({ url: `/api/v3/organizations/companies/${CEDAR}`, headers: bearer(token) });
    const missing = await app.vspc.inject({ url: '/api/v3/organizations/companies/0c000000-0000-4000-8000-00000000ffff', headers: bearer(token) });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body.replace(CEDAR, 'X'), missing.body.replace('0c000000-0000-4000-8000-00000000ffff', 'X'));
  });
});
