/**
 * Discovery and session endpoints that clients call first: VB365 `GET /v6/ServiceInstance`, VSPC
 * `GET /api/v3/about`, `GET /api/v3/users/me` and `GET /api/v3/organizations/resellers[/{uid}]`.
 * Golden bodies; installation ids are made once and kept in the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getSetting } from '../../src/store/settings.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const NORTHWIND = '0b000000-0000-4000-8000-0000000000a1';
const CONTOSO = '0b000000-0000-4000-8000-0000000000b1';
const ALPINE = '0c000000-0000-4000-8000-0000000000a1';
const MISSING = '33333333-3333-4333-8333-333333333333';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let app: TestApp;
let reseller = '';
let owner = '';

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${NORTHWIND}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/resellers/${CONTOSO}`, { name: 'Contoso' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine', resellerUid: NORTHWIND });
  reseller = await app.tokenFor('northwind-admin', ['ServiceProviderGlobalAdministrator'], NORTHWIND);
  owner = await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
});

after(() => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const vspc = (url: string, token = app.adminToken, headers: Record<string, string> = {}) =>
  app.vspc.inject({ url: `/api/v3${url}`, headers: { ...bearer(token), ...headers } });

describe('VB365 GET /v6/ServiceInstance', () => {
  test('anonymous: 401 in the VB365 dialect', async () => {
    const res = await app.vb365.inject({ url: '/v6/ServiceInstance' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.body, '{"message":"Authorization has been denied for this request."}');
  });

  test('with a token: the installation id, kept in the database, and the version', async () => {
    const res = await app.vb365.inject({ url: '/v6/ServiceInstance', headers: bearer(app.adminToken) });
    assert.equal(res.statusCode, 200);
    const id = await getSetting(app.ctx.store.db, 'vb365.installationId');
    assert.match(id ?? '', UUID);
    assert.equal(res.body, `{"installationId":"${id}","version":"6.1.0.438"}`);
    assert.equal((await app.vb365.inject({ url: '/v6/ServiceInstance', headers: bearer(owner) })).body, res.body, 'any account, the same id');
  });
});

describe('VSPC GET /api/v3/about', () => {
  test('the server version follows the negotiated X-Client-Version; the installation id is stable', async () => {
    const res = await vspc('/about');
    assert.equal(res.statusCode, 200);
    const id = await getSetting(app.ctx.store.db, 'vspc.installationId');
    assert.match(id ?? '', UUID);
    assert.equal(res.body, `{"data":{"serverVersion":"9.1.0.0","installationId":"${id}"}}`);
    const version = async (header: string) => (await vspc('/about', app.adminToken, { 'x-client-version': header })).json().data.serverVersion;
    assert.equal(await version('3.2'), '6.0.0.0');
    assert.equal(await version('3.0'), '4.0.0.0');
    assert.equal(await version('3.5.1'), '8.1.0.0');
    assert.equal(await version('3.6'), '9.0.0.0');
    assert.equal(await version('3.6.1'), '9.1.0.0');
    const newer = await vspc('/about', app.adminToken, { 'x-client-version': '3.7' });
    assert.equal(newer.statusCode, 400);
    assert.equal(newer.json().error.code, 'UnsupportedApiVersion');
  });

  test('anonymous: 401 in the VSPC dialect', async () => {
    const res = await app.vspc.inject({ url: '/api/v3/about' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().errors[0].type, 'security');
  });
});

describe('VSPC GET /api/v3/users/me', () => {
  test("the caller's user: its uid, organization and role in the User schema's spelling", async () => {
    const uid = async (username: string) =>
      (await app.ctx.store.db.selectFrom('accounts').select('uid').where('username', '=', username).executeTakeFirstOrThrow()).uid;
    assert.equal((await vspc('/users/me', reseller)).body,
      `{"data":{"instanceUid":"${await uid('northwind-admin')}","organizationUid":"${NORTHWIND}","userName":"northwind-admin","role":"ResellerOwner","status":"Enabled"}}`);
    assert.equal((await vspc('/users/me', owner)).body,
      `{"data":{"instanceUid":"${await uid('alpine-owner')}","organizationUid":"${ALPINE}","userName":"alpine-owner","role":"CompanyOwner","status":"Enabled"}}`);
    const installation = await getSetting(app.ctx.store.db, 'vspc.installationId');
    assert.equal((await vspc('/users/me')).json().data.organizationUid, installation ?? (await vspc('/about')).json().data.installationId);
    assert.equal((await vspc('/users/me')).json().data.role, 'PortalAdministrator');
  });
});

describe('VSPC GET /api/v3/organizations/resellers', () => {
  const northwind = (userName: string, organization = false) =>
    `{"instanceUid":"${NORTHWIND}","name":"Northwind","ownerCredentials":{"userName":"${userName}","password":null},` +
    `"_embedded":{${organization ? `"organization":{"instanceUid":"${NORTHWIND}","name":"Northwind","type":"Reseller"}` : ''}}}`;
  const contoso = `{"instanceUid":"${CONTOSO}","name":"Contoso","ownerCredentials":{"userName":"","password":null},"_embedded":{}}`;
  const paging = (total: number, count: number, offset = 0) => `"meta":{"pagingInfo":{"total":${total},"count":${count},"offset":${offset}}}`;

  test('every reseller for a portal administrator, paged, filtered, expanded', async () => {
    assert.equal((await vspc('/organizations/resellers')).body, `{"data":[${northwind('northwind-admin')},${contoso}],${paging(2, 2)}}`);
    assert.equal((await vspc('/organizations/resellers?limit=1&offset=1')).body, `{"data":[${contoso}],${paging(2, 1, 1)}}`);
    assert.equal((await vspc('/organizations/resellers?expand=Organization&limit=1')).body, `{"data":[${northwind('northwind-admin', true)}],${paging(2, 1)}}`);
    const filter = encodeURIComponent('[{"property":"name","operation":"equals","value":"Contoso"}]');
    assert.equal((await vspc(`/organizations/resellers?filter=${filter}`)).body, `{"data":[${contoso}],${paging(1, 1)}}`);
    assert.equal((await vspc('/organizations/resellers?expand=Sites')).statusCode, 400);
  });

  test("a reseller's account sees its own reseller only; a company's account none (403)", async () => {
    assert.equal((await vspc('/organizations/resellers', reseller)).body, `{"data":[${northwind('northwind-admin')}],${paging(1, 1)}}`);
    assert.equal((await vspc(`/organizations/resellers/${CONTOSO}`, reseller)).statusCode, 404);
    assert.equal((await vspc('/organizations/resellers', owner)).statusCode, 403);
  });

  test('one reseller; select; 404 and 400', async () => {
    assert.equal((await vspc(`/organizations/resellers/${NORTHWIND}`)).body, `{"data":${northwind('northwind-admin')}}`);
    assert.equal((await vspc(`/organizations/resellers/${NORTHWIND}?select=${encodeURIComponent('[{"propertyPath":"name"}]')}`)).body, '{"data":{"name":"Northwind"}}');
    const missing = await vspc(`/organizations/resellers/${MISSING}`);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, `{"errors":[{"message":"Reseller with UID ${MISSING} does not exist.","type":"logical","code":404}]}`);
    assert.equal((await vspc('/organizations/resellers/nope')).statusCode, 400);
  });
});
