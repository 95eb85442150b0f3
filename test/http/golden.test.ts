/**
 * Golden tests: whole response bodies, byte for byte, for each face, over a small known ledger.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const ORG_A = '11111111-2222-4333-8444-555555555555';
const ORG_B = '22222222-3333-4444-8555-666666666666';
const COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const TENANT = 'b4971992-84ac-4dee-b837-95c8db275f28';
const AGENTS = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000005'];

let app: TestApp;
const auth = () => ({ authorization: `Bearer ${app.adminToken}` });

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/organizations/${ORG_A}`, { name: 'contoso.onmicrosoft.com', officeName: 'contoso' });
  await adminPut(app, `/tally/v1/organizations/${ORG_B}`, { name: 'fabrikam.onmicrosoft.com', type: 'Hybrid', region: 'Germany' });
  await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Alpine Dental Group', tenantUid: TENANT });
  await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 100, expirationDate: '2026-11-30T00:00:00Z' });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2026-11-30T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const events = [
    // ORG_A: two consuming users, one new this month, one released after 31 days, one Teams object.
    { id: 'b1', type: 'vb365.backup', at: '2026-08-01T02:00:00Z', organizationId: ORG_A, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'b2', type: 'vb365.backup', at: '2026-11-22T02:00:00Z', organizationId: ORG_A, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'b3', type: 'vb365.backup', at: '2026-10-25T02:00:00Z', organizationId: ORG_A, user: { id: 'u2', name: 'ben@contoso.example' } },
    { id: 'b4', type: 'vb365.backup', at: '2026-11-05T02:00:00Z', organizationId: ORG_A, user: { id: 'u3', name: 'carla@contoso.example' } },
    { id: 'b5', type: 'vb365.backup', at: '2026-09-01T02:00:00Z', organizationId: ORG_A, user: { id: 'u4', name: 'leaver@contoso.example' } },
    { id: 'b6', type: 'vb365.backup', at: '2026-11-20T02:00:00Z', organizationId: ORG_A, user: { id: 't1', name: 'Team', kind: 'teams' } },
    // Agents: two new this month, one used, one deactivated, one activated after now.
    { id: 'a1', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[0], name: 'srv1', mode: 'server' } },
    { id: 'a2', type: 'vspc.agentActivated', at: '2026-11-03T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[1], name: 'ws1', mode: 'workstation' } },
    { id: 'a3', type: 'vspc.agentActivated', at: '2026-06-03T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[2], name: 'srv2', mode: 'server' } },
    { id: 'a4', type: 'vspc.agentActivated', at: '2026-06-03T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[3], name: 'ws2', mode: 'workstation' } },
    { id: 'a5', type: 'vspc.agentDeactivated', at: '2026-11-10T08:00:00Z', agentUid: AGENTS[3] },
    { id: 'a6', type: 'vspc.agentActivated', at: '2026-11-24T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[4], name: 'srv3', mode: 'server' } },
  ];
  const res = await app.ingest(events);
  assert.deepEqual(res, { status: 200, body: { accepted: 12, duplicates: 0 } });
});

after(() => app.close());

describe('VB365 face', () => {
  test('GET /v6/Organizations is a plain array with extended fields', async () => {
    const res = await app.vb365.inject({ url: '/v6/Organizations', headers: auth() });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(
      res.body,
      `[{"type":"Office365","region":"Worldwide","id":"${ORG_A}","name":"contoso.onmicrosoft.com","_links":{"self":{"href":"/v6/Organizations/${ORG_A}"}},"officeName":"contoso","isBackedup":true,"firstBackuptime":"2026-08-01T02:00:00.000Z","lastBackuptime":"2026-11-22T02:00:00.000Z"},` +
        `{"type":"Hybrid","region":"Germany","id":"${ORG_B}","name":"fabrikam.onmicrosoft.com","_links":{"self":{"href":"/v6/Organizations/${ORG_B}"}},"isBackedup":false,"firstBackuptime":null,"lastBackuptime":null}]`,
    );
  });

  test('extendedView=false leaves out the backup fields', async () => {
    const res = await app.vb365.inject({ url: `/v6/Organizations/${ORG_A}?extendedView=false`, headers: auth() });
    assert.equal(
      res.body,
      `{"type":"Office365","region":"Worldwide","id":"${ORG_A}","name":"contoso.onmicrosoft.com","_links":{"self":{"href":"/v6/Organizations/${ORG_A}"}},"officeName":"contoso"}`,
    );
  });

  test('LicensingInformation under a rental license', async () => {
    const a = await app.vb365.inject({ url: `/v6/Organizations/${ORG_A}/LicensingInformation`, headers: auth() });
    assert.equal(a.body, '{"licensedUsers":2,"newUsers":1}');
    const b = await app.vb365.inject({ url: `/v6/Organizations/${ORG_B}/LicensingInformation`, headers: auth() });
    assert.equal(b.body, '{"licensedUsers":0,"newUsers":0}');
  });

  test('GET /v6/License: the installation-wide totals', async () => {
    const res = await app.vb365.inject({ url: '/v6/License', headers: auth() });
    assert.equal(
      res.body,
      '{"licenseID":null,"email":"","status":"Valid","expirationDate":"2026-11-30T00:00:00.000Z","type":"Rental","licensedTo":"","contactPerson":"","totalNumber":100,"usedNumber":2,"newNumber":1,"supportID":"","supportExpirationDate":null}',
    );
  });

  test('GET /v6/LicensedUsers: the v6 page with states, links and filters', async () => {
    const user = (id: string, name: string, last: string, state: string) =>
      `{"id":"${id}:00000000-0000-0000-0000-000000000000","name":"${name}","isBackedUp":true,"lastBackupDate":"${last}","licenseState":"${state}",` +
      `"organizationId":"${ORG_A}","backedUpOrganizationId":"${ORG_A}","organizationName":"contoso.onmicrosoft.com","_links":{"organization":{"href":"/v6/Organizations/${ORG_A}"}}}`;
    const anna = user('u1', 'anna@contoso.example', '2026-11-22T02:00:00.000Z', 'Licensed');
    const ben = user('u2', 'ben@contoso.example', '2026-10-25T02:00:00.000Z', 'Licensed');
    const carla = user('u3', 'carla@contoso.example', '2026-11-05T02:00:00.000Z', 'New');
    const page = async (query: string) => (await app.vb365.inject({ url: `/v6/LicensedUsers${query}`, headers: auth() })).body;
    assert.equal(await page(''), `{"offset":0,"limit":30,"results":[${anna},${ben},${carla}],"_links":{"self":{"href":"/v6/LicensedUsers?offset=0&limit=30"}},"totalCount":3}`);
    assert.equal(
      await page('?limit=2'),
      `{"offset":0,"limit":2,"results":[${anna},${ben}],"_links":{"self":{"href":"/v6/LicensedUsers?offset=0&limit=2"},"next":{"href":"/v6/LicensedUsers?offset=2&limit=2"}},"totalCount":3}`,
    );
    assert.equal(
      await page('?offset=2&limit=2'),
      `{"offset":2,"limit":2,"results":[${carla}],"_links":{"self":{"href":"/v6/LicensedUsers?offset=2&limit=2"},"prev":{"href":"/v6/LicensedUsers?offset=0&limit=2"}},"totalCount":3}`,
    );
    assert.equal(JSON.parse(await page('?name=B*')).results[0].name, 'ben@contoso.example');
    assert.equal(JSON.parse(await page('?name=%3Farla%40*')).totalCount, 1);
    assert.equal(JSON.parse(await page(`?organizationId=${ORG_B}`)).totalCount, 0);
    assert.equal(JSON.parse(await page(`?organizationId=${ORG_A}&name=*`)).totalCount, 3);
    const tooMany = await app.vb365.inject({ url: '/v6/LicensedUsers?limit=10001', headers: auth() });
    assert.equal(tooMany.statusCode, 400);
    assert.equal(tooMany.body, `{"message":"The value '10001' is not valid for limit: it must be <= 10000."}`);
  });

  test('the token answer carries all seven fields', async () => {
    const res = await app.vb365.inject({ method: 'POST', url: '/v6/token', payload: 'grant_type=password&username=admin&password=test-admin-password&refresh_token=%27%27', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in', 'refresh_token', 'userName', '.issued', '.expires']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.userName, 'admin');
    assert.equal(Date.parse(body['.expires']) - Date.parse(body['.issued']), 3_600_000);
    assert.match(body.access_token, /^[A-Za-z0-9_-]{43}$/);
  });

  test('a wrong method is 405 with the methods the resource serves', async () => {
    const res = await app.vb365.inject({ method: 'DELETE', url: `/v6/Organizations/${ORG_A}/LicensingInformation`, headers: auth() });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'GET');
    assert.equal(res.body, `{"message":"The requested resource does not support http method 'DELETE'."}`);
    const vspc = await app.vspc.inject({ method: 'POST', url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`, headers: auth() });
    assert.equal(vspc.statusCode, 405);
    assert.equal(vspc.body, '{"errors":[{"message":"The method POST is not allowed for this resource.","type":"logical","code":405}]}');
  });

  test('error bodies', async () => {
    const cases: [string, number, string][] = [
      [`/v6/Organizations/not-a-guid/LicensingInformation`, 400, `{"message":"The value 'not-a-guid' is not valid for organizationId: it must be a valid uuid."}`],
      [`/v6/Organizations/33333333-3333-4333-8333-333333333333/LicensingInformation`, 404, '{"message":"Organization with ID 33333333-3333-4333-8333-333333333333 was not found."}'],
      ['/v6/Nothing', 404, `{"message":"No HTTP resource was found that matches the request URI '/v6/Nothing'."}`],
    ];
    for (const [url, status, body] of cases) {
      const res = await app.vb365.inject({ url, headers: auth() });
      assert.equal(res.statusCode, status, url);
      assert.equal(res.body, body, url);
    }
    const anonymous = await app.vb365.inject({ url: `/v6/Organizations/${ORG_A}/LicensingInformation` });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.body, '{"message":"Authorization has been denied for this request."}');
    const rejected = await app.vb365.inject({ url: `/v6/Organizations/${ORG_A}/LicensingInformation`, headers: { authorization: 'Bearer nope' } });
    assert.equal(rejected.statusCode, 401);
    assert.equal(rejected.body, '');
    const badLogin = await app.vb365.inject({ method: 'POST', url: '/v6/token', payload: { grant_type: 'password', username: 'admin', password: 'wrong' } });
    assert.equal(badLogin.statusCode, 400);
    assert.equal(badLogin.body, '{"error":"invalid_grant","error_description":"The user name or password is incorrect.","message":"The user name or password is incorrect."}');
  });
});

describe('VSPC face', () => {
  const url = `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`;

  test('console usage by tenant: new, used, deactivated and future agents', async () => {
    const res = await app.vspc.inject({ url, headers: auth() });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(
      res.body,
      `{"data":{"companyUid":"${COMPANY}","tenantUid":"${TENANT}","counters":[` +
        '{"type":"vaC_Server_Agent","unitType":"points","usedUnits":11.0,"usedCount":1,"newUnits":11.0,"newCount":1},' +
        '{"type":"vaC_Workstation_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":4.0,"newCount":1}]}}',
    );
  });

  test('error bodies', async () => {
    const bad = await app.vspc.inject({ url: '/api/v3/licensing/console/usage/companies/vcc/xyz', headers: auth() });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.body, `{"errors":[{"message":"The value 'xyz' is not valid for tenantUid: it must be a valid uuid.","type":"logical","code":400,"parameterName":"tenantUid"}]}`);
    const missing = await app.vspc.inject({ url: '/api/v3/licensing/console/usage/companies/vcc/33333333-3333-4333-8333-333333333333', headers: auth() });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, '{"errors":[{"message":"Tenant with UID 33333333-3333-4333-8333-333333333333 does not exist.","type":"logical","code":404}]}');
    const anonymous = await app.vspc.inject({ url });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.body, '{"errors":[{"message":"Authorization is required: send an access token in the Authorization header.","type":"security","code":401}]}');
    const owner = await app.tokenFor('owner', ['CompanyOwner']);
    const forbidden = await app.vspc.inject({ url, headers: { authorization: `Bearer ${owner}` } });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.body, '{"errors":[{"message":"Access denied: your role does not allow this operation.","type":"security","code":403}]}');
    const badLogin = await app.vspc.inject({ method: 'POST', url: '/api/v3/token', payload: 'grant_type=password&username=admin&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(badLogin.statusCode, 400);
    assert.equal(badLogin.body, '{"error":"invalid_grant","error_description":"The user name or password is incorrect."}');
  });

  test('the token answer', async () => {
    const res = await app.vspc.inject({ method: 'POST', url: '/api/v3/token', payload: 'grant_type=password&username=admin&password=test-admin-password', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(Object.keys(res.json()), ['access_token', 'token_type', 'refresh_token', 'expires_in']);
    assert.match(res.body, /^\{"access_token":"[A-Za-z0-9_-]{43}","token_type":"bearer","refresh_token":"[A-Za-z0-9_-]{43}","expires_in":3600\}$/);
  });
});

describe('VSPC console license and usage family', () => {
  const server = '{"type":"vaC_Server_Agent","unitType":"points","usedUnits":11.0,"usedCount":1,"newUnits":11.0,"newCount":1}';
  const workstation = '{"type":"vaC_Workstation_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":4.0,"newCount":1}';
  const company = `{"companyUid":"${COMPANY}","tenantUid":"${TENANT}","counters":[${server},${workstation}]}`;
  const get = async (url: string, token = app.adminToken) => app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${token}` } });

  test('GET /licensing/console/usage: installation totals and summary counters', async () => {
    assert.equal(
      (await get('/licensing/console/usage')).body,
      '{"data":{"unitType":"points","usedUnits":11.0,"usedCount":1,"newUnits":15.0,"newCount":2,"licensedUnits":1000.0,"counters":[' +
        '{"type":"vaC_Server_Agent","unitType":"points","usedUnits":11.0,"newUnits":11.0,"newCount":1,"usedCount":1},' +
        '{"type":"vaC_Workstation_Agent","unitType":"points","usedUnits":0.0,"newUnits":4.0,"newCount":1,"usedCount":0}]}}',
    );
  });

  test('GET /licensing/console/usage/companies: paged, with meta.pagingInfo', async () => {
    assert.equal((await get('/licensing/console/usage/companies')).body, `{"data":[${company}],"meta":{"pagingInfo":{"total":1,"count":1,"offset":0}}}`);
    assert.equal((await get('/licensing/console/usage/companies?offset=1&limit=500')).body, '{"data":[],"meta":{"pagingInfo":{"total":1,"count":0,"offset":1}}}');
    const tooBig = await get('/licensing/console/usage/companies?limit=501');
    assert.equal(tooBig.statusCode, 400);
    assert.equal(tooBig.json().errors[0].parameterName, 'limit');
    const negative = await get('/licensing/console/usage/companies?offset=-1');
    assert.equal(negative.statusCode, 400);
    assert.equal(negative.json().errors[0].parameterName, 'offset');
  });

  test('the collection takes filter, sort and select (single-quoted JSON too)', async () => {
    const second = '0c000000-0000-4000-8000-0000000000aa';
    await adminPut(app, `/tally/v1/companies/${second}`, { name: 'Beta', tenantUid: '0d000000-0000-4000-8000-0000000000aa' });
    try {
      const q = (query: string) => get(`/licensing/console/usage/companies?${query}`);
      const filtered = await q(`filter=${encodeURIComponent(`[{'property':'companyUid','operation':'equals','value':'${COMPANY}'}]`)}`);
      assert.equal(filtered.body, `{"data":[${company}],"meta":{"pagingInfo":{"total":1,"count":1,"offset":0}}}`);
      const sorted = (await q(`sort=${encodeURIComponent('[{"property":"companyUid","direction":"descending"}]')}`)).json();
      assert.deepEqual(sorted.data.map((c: { companyUid: string }) => c.companyUid), [COMPANY, second]);
      const selected = await q(`select=${encodeURIComponent('[{"propertyPath":"tenantUid"}]')}&limit=1`);
      assert.equal(selected.body, `{"data":[{"tenantUid":"0d000000-0000-4000-8000-0000000000aa"}],"meta":{"pagingInfo":{"total":2,"count":1,"offset":0}}}`);
      const bad = await q('filter=%5B%7B%22operation%22%3A%22eq%22%7D%5D');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().errors[0].parameterName, 'filter');
    } finally {
      await app.ctx.store.db.deleteFrom('companies').where('uid', '=', second).execute();
    }
  });

  test('GET /licensing/console/usage/companies/{companyUid}', async () => {
    assert.equal((await get(`/licensing/console/usage/companies/${COMPANY}`)).body, `{"data":${company}}`);
    const missing = await get('/licensing/console/usage/companies/33333333-3333-4333-8333-333333333333');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, '{"errors":[{"message":"Company with UID 33333333-3333-4333-8333-333333333333 does not exist.","type":"logical","code":404}]}');
  });

  test('GET /licensing/console and /settings: Portal Administrator only', async () => {
    assert.equal(
      (await get('/licensing/console')).body,
      '{"data":{"licenseId":"","edition":"","package":"None","licenseeCompany":"","licenseeEmail":"","licenseeAdministratorEmail":"",' +
        '"contactPerson":"","expirationDate":"2026-11-30T00:00:00.000Z","supportExpirationDate":null,"supportId":"","status":"Valid",' +
        '"statusMessage":"","cloudConnect":"No","instances":1000.0,"type":"Rental","lastUpdateDate":null,"lastUpdateMessage":"","lastUpdateStatus":"Unknown"}}',
    );
    assert.equal((await get('/licensing/console/settings')).body, '{"data":{"isAutoUpdateEnabled":false}}');
    const provider = await app.tokenFor('sp-admin', ['ServiceProviderAdministrator']);
    assert.equal((await get('/licensing/console', provider)).statusCode, 403);
    assert.equal((await get('/licensing/console/settings', provider)).statusCode, 403);
    assert.equal((await get('/licensing/console/usage', provider)).statusCode, 200);
    assert.equal((await get('/licensing/console/usage/companies', provider)).statusCode, 200);
    const owner = await app.tokenFor('company-owner', ['CompanyOwner']);
    assert.equal((await get('/licensing/console/usage', owner)).statusCode, 403);
  });
});

describe('VSPC X-Client-Version', () => {
  test('legacy routes: served to 3.0–3.2 and to clients without a version; newer versions get UnsupportedApiVersion', async () => {
    const url = `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`;
    const call = (version?: string, path = url) =>
      app.vspc.inject({ url: path, headers: { authorization: `Bearer ${app.adminToken}`, ...(version === undefined ? {} : { 'x-client-version': version }) } });
    for (const version of [undefined, '3.0', '3.1', '3.2', '3.2.1']) assert.equal((await call(version)).statusCode, 200, String(version));
    const newer = await call('3.3');
    assert.equal(newer.statusCode, 400);
    assert.equal(newer.body, `{"error":{"code":"UnsupportedApiVersion","message":"The HTTP resource that matches the request URI 'http://localhost:80${url}' is not supported.","innerError":null}}`);
    assert.equal((await call('3.6.1', '/api/v3/licensing/console/usage')).statusCode, 400);
    assert.equal((await call('2.0')).statusCode, 400);
    const invalid = await call('latest');
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'InvalidApiVersion');
    // Routes that exist in every v3 version answer whatever the client's version.
    assert.equal((await call('3.6.1', '/api/v3/licensing/console')).statusCode, 200);
  });
});

describe('VSPC tenant scoping', () => {
  test('a reseller-scoped account sees only its companies; a foreign one answers like a missing one', async () => {
    const reseller = 'e0000000-0000-4000-8000-000000000001';
    const other = 'e0000000-0000-4000-8000-000000000002';
    await adminPut(app, `/tally/v1/resellers/${reseller}`, { name: 'Northwind' });
    await adminPut(app, `/tally/v1/resellers/${other}`, { name: 'Contoso' });
    const outsider = await app.tokenFor('outsider', ['ServiceProviderAdministrator'], other);
    const insider = await app.tokenFor('insider', ['ServiceProviderGlobalAdministrator'], reseller);
    const get = async (url: string, token: string) => app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${token}` } });
    try {
      await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Alpine Dental Group', tenantUid: TENANT, resellerUid: reseller });
      const missing = '{"errors":[{"message":"Tenant with UID b4971992-84ac-4dee-b837-95c8db275f28 does not exist.","type":"logical","code":404}]}';
      const foreign = await get(`/licensing/console/usage/companies/vcc/${TENANT}`, outsider);
      assert.equal(foreign.statusCode, 404);
      assert.equal(foreign.body, missing);
      assert.equal((await get(`/licensing/console/usage/companies/${COMPANY}`, outsider)).statusCode, 404);
      assert.equal((await get('/licensing/console/usage/companies', outsider)).body, '{"data":[],"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}}}');
      assert.equal((await get('/licensing/console/usage', outsider)).json().data.usedCount, 0);
      assert.equal((await get(`/licensing/console/usage/companies/vcc/${TENANT}`, insider)).statusCode, 200);
      assert.equal((await get('/licensing/console/usage/companies', insider)).json().meta.pagingInfo.total, 1);
      assert.equal((await get('/licensing/console/usage', insider)).json().data.newCount, 2);
    } finally {
      await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Alpine Dental Group', tenantUid: TENANT });
    }
  });
});

describe('VSPC enum style and license types', () => {
  test('pascal style and a subscription license counting instances', async () => {
    const other = await startTestApp({ clock: NOW, vspcEnumStyle: 'pascal' });
    try {
      await adminPut(other, `/tally/v1/companies/${COMPANY}`, { name: 'Alpine', tenantUid: TENANT });
      await adminPut(other, '/tally/v1/licenses/vspc', { type: 'Subscription', units: 100, expirationDate: '2027-01-01T00:00:00Z', weights: { server: 1, workstation: 0.5 } });
      const res = await other.ingest([
        { id: 'x1', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[0], name: 'srv', mode: 'server' } },
        { id: 'x2', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[1], name: 'ws', mode: 'workstation' } },
        { id: 'x3', type: 'vspc.agentActivated', at: '2026-01-02T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[2], name: 'ws', mode: 'workstation' } },
        { id: 'x4', type: 'vspc.agentActivated', at: '2026-01-02T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENTS[3], name: 'ws', mode: 'workstation' } },
      ]);
      assert.equal(res.status, 200);
      const usage = await other.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`, headers: { authorization: `Bearer ${other.adminToken}` } });
      assert.equal(
        usage.body,
        `{"data":{"companyUid":"${COMPANY}","tenantUid":"${TENANT}","counters":[` +
          '{"type":"VAC_Server_Agent","unitType":"Instances","usedUnits":1.0,"usedCount":1,"newUnits":0.0,"newCount":0},' +
          '{"type":"VAC_Workstation_Agent","unitType":"Instances","usedUnits":1.5,"usedCount":3,"newUnits":0.0,"newCount":0}]}}',
      );
    } finally {
      await other.close();
    }
  });
});

describe('admin API', () => {
  test('ingestion answers and errors', async () => {
    const dup = await app.ingest([{ id: 'b1', type: 'vb365.backup', at: '2026-08-01T02:00:00Z', organizationId: ORG_A, user: { id: 'u1', name: 'anna@contoso.example' } }]);
    assert.deepEqual(dup, { status: 200, body: { accepted: 0, duplicates: 1 } });
    const conflict = await app.ingest([
      { id: 'new-1', type: 'vspc.agentDeactivated', at: '2026-11-20T00:00:00Z', agentUid: AGENTS[0] },
      { id: 'b1', type: 'vb365.backup', at: '2026-08-01T02:00:01Z', organizationId: ORG_A, user: { id: 'u1', name: 'anna@contoso.example' } },
    ]);
    assert.equal(conflict.status, 409);
    assert.deepEqual(conflict.body, {
      error: {
        code: 'conflict',
        message: 'event "b1" was already recorded with different content; nothing was stored.',
        details: [{ index: 1, field: 'id', message: 'event "b1" was already recorded with different content' }],
      },
    });
    const invalid = await app.ingest([
      { id: 'new-1', type: 'vspc.agentDeactivated', at: '2026-11-20T00:00:00Z', agentUid: AGENTS[0] },
      { id: 'new-2', type: 'vspc.agentDeactivated', at: '2026-11-20', agentUid: AGENTS[0] },
    ]);
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body, {
      error: {
        code: 'validation_failed',
        message: 'The batch has invalid events; nothing was stored.',
        details: [{ index: 1, field: 'at', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z' }],
      },
    });
    // Neither failed request stored new-1.
    assert.deepEqual(await app.ingest([{ id: 'new-1', type: 'vspc.agentDeactivated', at: '2026-11-20T00:00:00Z', agentUid: AGENTS[0] }]), { status: 200, body: { accepted: 1, duplicates: 0 } });
  });

  test('clock', async () => {
    const res = await app.vb365.inject({ url: '/tally/v1/clock', headers: auth() });
    assert.equal(res.body, '{"now":"2026-11-23T12:00:00.000Z","fixed":true}');
  });
});

describe('accounts', () => {
  test('the last enabled PortalAdministrator cannot lock everyone out', async () => {
    const res = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/admin', headers: auth(), payload: { roles: ['ReadOnlyUser'] } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.body, '{"error":{"code":"conflict","message":"admin is the last enabled PortalAdministrator; give another account that role first."}}');
    const disable = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/admin', headers: auth(), payload: { roles: ['PortalAdministrator'], disabled: true } });
    assert.equal(disable.statusCode, 409);
    // With a second administrator, the first may step down.
    await app.tokenFor('second-admin', ['PortalAdministrator']);
    const stepDown = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/admin', headers: auth(), payload: { roles: ['PortalAdministrator', 'Vb365Administrator'], disabled: false } });
    assert.equal(stepDown.statusCode, 200);
  });

  test('a new password or disabling an account ends its sessions', async () => {
    const token = await app.tokenFor('operator', ['PortalAdministrator']);
    const login = await app.vspc.inject({ method: 'POST', url: '/api/v3/token', payload: 'grant_type=password&username=operator&password=password-of-operator', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const refresh = login.json().refresh_token as string;
    const before = await app.vspc.inject({ url: '/tally/v1/clock', headers: { authorization: `Bearer ${token}` } });
    assert.equal(before.statusCode, 200);
    const changed = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/operator', headers: auth(), payload: { password: 'a-brand-new-password', roles: ['PortalAdministrator'] } });
    assert.equal(changed.statusCode, 200);
    const after = await app.vspc.inject({ url: '/tally/v1/clock', headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.statusCode, 401);
    const refreshed = await app.vspc.inject({ method: 'POST', url: '/api/v3/token', payload: `grant_type=refresh_token&refresh_token=${refresh}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(refreshed.statusCode, 400);
  });

  test('list and delete accounts; the last administrator cannot be deleted', async () => {
    await app.tokenFor('temp-user', ['ReadOnlyUser']);
    const list = await app.vspc.inject({ url: '/tally/v1/users', headers: auth() });
    const temp = (list.json() as { username: string }[]).find((u) => u.username === 'temp-user');
    const { uid, ...rest } = temp as unknown as { uid: string };
    assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a stable uuid (the VSPC userUid)');
    assert.deepEqual(rest, { username: 'temp-user', roles: ['ReadOnlyUser'], scopeUid: null, disabled: false });
    assert.ok(!list.body.includes('scrypt'), 'no password hashes');
    const removed = await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/temp-user', headers: auth() });
    assert.equal(removed.statusCode, 204);
    assert.equal((await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/temp-user', headers: auth() })).statusCode, 404);
    const other = await startTestApp({ clock: NOW });
    try {
      const last = await other.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/admin', headers: { authorization: `Bearer ${other.adminToken}` } });
      assert.equal(last.statusCode, 409);
    } finally {
      await other.close();
    }
  });

  test('the events envelope takes nothing but events', async () => {
    const res = await app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: auth(), payload: { events: [], extra: true } });
    assert.equal(res.statusCode, 400);
  });
});

describe('VB365 license status', () => {
  test('Community without a license; Expired once past the expiration date', async () => {
    const other = await startTestApp({ clock: NOW });
    try {
      const get = async () => (await other.vb365.inject({ url: '/v6/License', headers: { authorization: `Bearer ${other.adminToken}` } })).body;
      assert.equal(
        await get(),
        '{"licenseID":null,"email":"","status":"Valid","expirationDate":null,"type":"Community","licensedTo":"","contactPerson":"","totalNumber":10,"usedNumber":0,"newNumber":0,"supportID":"","supportExpirationDate":null}',
      );
      await adminPut(other, '/tally/v1/licenses/vb365', {
        type: 'Subscription', totalNumber: 50, expirationDate: '2026-11-23T11:59:59Z', licensedTo: 'Provider Ltd', contactPerson: 'Jane Doe',
        email: 'jane@provider.example', supportId: '01234567', supportExpirationDate: '2027-11-23T00:00:00+01:00',
      });
      assert.equal(
        await get(),
        '{"licenseID":null,"email":"jane@provider.example","status":"Expired","expirationDate":"2026-11-23T11:59:59.000Z","type":"Subscription","licensedTo":"Provider Ltd","contactPerson":"Jane Doe","totalNumber":50,"usedNumber":0,"newNumber":0,"supportID":"01234567","supportExpirationDate":"2027-11-22T23:00:00.000Z"}',
      );
    } finally {
      await other.close();
    }
  });
});

describe('VB365 revocation', () => {
  test('refused while data is held; then frees the unit for the first user waiting; a new backup takes one again', async () => {
    const other = await startTestApp({ clock: NOW });
    const headers = { authorization: `Bearer ${other.adminToken}` };
    const info = async () => (await other.vb365.inject({ url: `/v6/Organizations/${ORG_A}/LicensingInformation`, headers })).body;
    const states = async () =>
      ((await other.vb365.inject({ url: '/v6/LicensedUsers', headers })).json().results as { id: string; licenseState: string }[]).map((u) => `${u.id.split(':')[0]}=${u.licenseState}`);
    const revoke = (user: string) => other.vb365.inject({ method: 'DELETE', url: `/v6/LicensedUsers/${user}:00000000-0000-0000-0000-000000000000`, headers });
    try {
      await adminPut(other, `/tally/v1/organizations/${ORG_A}`, { name: 'contoso.onmicrosoft.com' });
      await adminPut(other, '/tally/v1/licenses/vb365', { type: 'Evaluation', totalNumber: 2, expirationDate: '2027-01-01T00:00:00Z' });
      const backup = (id: string, user: string, at: string) => ({ id, type: 'vb365.backup', at, organizationId: ORG_A, user: { id: user, name: `${user}@contoso.example` } });
      await other.ingest([
        backup('1a', 'u1', '2026-08-01T00:00:00Z'), backup('1b', 'u1', '2026-11-20T00:00:00Z'),
        backup('2a', 'u2', '2026-09-01T00:00:00Z'), backup('2b', 'u2', '2026-11-20T00:00:00Z'),
        backup('3a', 'u3', '2026-10-01T00:00:00Z'), backup('3b', 'u3', '2026-11-20T00:00:00Z'),
      ]);
      assert.deepEqual(await states(), ['u1=Licensed', 'u2=Licensed', 'u3=Exceeded']);
      assert.equal(await info(), '{"licensedUsers":2,"newUsers":0}');

      const refused = await revoke('u1');
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.body, '{"message":"Cannot revoke the license of u1@contoso.example: a backup repository still contains data of this user. Remove the user\'s data first."}');
      assert.deepEqual(await states(), ['u1=Licensed', 'u2=Licensed', 'u3=Exceeded']);

      await other.ingest([{ id: 'rm1', type: 'vb365.dataRemoved', at: '2026-11-21T00:00:00Z', organizationId: ORG_A, userId: 'u1' }]);
      const revoked = await revoke('U1');
      assert.equal(revoked.statusCode, 204);
      assert.equal(revoked.body, '');
      assert.deepEqual(await states(), ['u2=Licensed', 'u3=Licensed']);
      assert.equal(await info(), '{"licensedUsers":2,"newUsers":0}');
      assert.equal((await revoke('u1')).statusCode, 404);

      // Backed up again later: holds a unit again, keeps its first backup (ranks first, not new).
      await other.ctx.clock.set(Date.parse('2026-11-23T13:00:00Z'));
      await other.ingest([backup('1c', 'u1', '2026-11-23T12:30:00Z')]);
      assert.deepEqual(await states(), ['u1=Licensed', 'u2=Licensed', 'u3=Exceeded']);
    } finally {
      await other.close();
    }
  });
});
