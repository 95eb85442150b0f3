/**
 * VSPC organizations and the modern usage endpoint: whole bodies, byte for byte, over a small
 * known ledger; paging, filter, sort, select, expand, scoping, versions and error bodies.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { vspcServerUid } from '../../src/services/organizationUsage.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const NORTHWIND = 'e0000000-0000-4000-8000-000000000001';
const CONTOSO = 'e0000000-0000-4000-8000-000000000002';
const ALPINE = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const ALPINE_TENANT = 'b4971992-84ac-4dee-b837-95c8db275f28';
const BETA = '0c000000-0000-4000-8000-0000000000b0';
const CEDAR = '0c000000-0000-4000-8000-0000000000c0';
const CEDAR_TENANT = '0d000000-0000-4000-8000-0000000000c0';
const MISSING = '33333333-3333-4333-8333-333333333333';
const agent = (n: number) => `a0000000-0000-4000-8000-00000000000${n}`;

let app: TestApp;
let serverUid: string;

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${NORTHWIND}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/resellers/${CONTOSO}`, { name: 'Contoso' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine Dental Group', tenantUid: ALPINE_TENANT, resellerUid: NORTHWIND });
  await adminPut(app, `/tally/v1/companies/${BETA}`, { name: 'Beta Logistics', resellerUid: CONTOSO });
  await adminPut(app, `/tally/v1/companies/${CEDAR}`, { name: 'Cedar Clinic', tenantUid: CEDAR_TENANT });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-11-30T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const res = await app.ingest([
    // Alpine: one server new this month, one server used, one workstation new, one deactivated.
    { id: 'a1', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(1), name: 'srv1', mode: 'server' } },
    { id: 'a2', type: 'vspc.agentActivated', at: '2026-06-03T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(2), name: 'srv2', mode: 'server' } },
    { id: 'a3', type: 'vspc.agentActivated', at: '2026-11-03T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(3), name: 'ws1', mode: 'workstation' } },
    { id: 'a4', type: 'vspc.agentActivated', at: '2026-06-03T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(4), name: 'ws2', mode: 'workstation' } },
    { id: 'a5', type: 'vspc.agentDeactivated', at: '2026-11-10T08:00:00Z', agentUid: agent(4) },
    // Cedar: one workstation used; an agent activated after now does not count yet.
    { id: 'c1', type: 'vspc.agentActivated', at: '2026-05-01T08:00:00Z', companyUid: CEDAR, agent: { uid: agent(5), name: 'ws3', mode: 'workstation' } },
    { id: 'c2', type: 'vspc.agentActivated', at: '2026-11-24T08:00:00Z', companyUid: CEDAR, agent: { uid: agent(6), name: 'srv3', mode: 'server' } },
  ]);
  assert.deepEqual(res, { status: 200, body: { accepted: 7, duplicates: 0 } });
  await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
  serverUid = await vspcServerUid(app.ctx.store.db);
});

after(() => app.close());

const get = (url: string, token = app.adminToken, headers: Record<string, string> = {}) =>
  app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${token}`, ...headers } });

function company(uid: string, name: string, resellerUid: string | null, owner: string | null, tenant: boolean, organization = false): string {
  return (
    `{"instanceUid":"${uid}","name":"${name}","status":"Active","resellerUid":${resellerUid ? `"${resellerUid}"` : 'null'},` +
    '"subscriptionPlanUid":null,"isRestAccessEnabled":true,"isAlarmDetectEnabled":false,' +
    '"companyServices":{"hostedServices":{"isVbPublicCloudManagementEnabled":false},' +
    `"remoteServices":{"isBackupResourcesEnabled":${tenant},"isVbPublicCloudManagementEnabled":false}},"loginUrl":null,` +
    `"ownerCredentials":{"userName":"${owner ?? ''}","password":null},` +
    `"_embedded":{${organization ? `"organization":{"instanceUid":"${uid}","name":"${name}","type":"Company"}` : ''}}}`
  );
}

const beta = company(BETA, 'Beta Logistics', CONTOSO, null, false);
const cedar = company(CEDAR, 'Cedar Clinic', null, null, true);
const alpine = company(ALPINE, 'Alpine Dental Group', NORTHWIND, 'alpine-owner', true);
const paging = (total: number, count: number, offset = 0) => `"meta":{"pagingInfo":{"total":${total},"count":${count},"offset":${offset}}}`;

describe('GET /organizations/companies', () => {
  test('every company, ordered by uid, with the tenant-free Company schema', async () => {
    const res = await get('/organizations/companies');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.body, `{"data":[${beta},${cedar},${alpine}],${paging(3, 3)}}`);
  });

  test('expand=Organization embeds the organization (any case, comma-delimited); an unknown value is a 400', async () => {
    const res = await get('/organizations/companies?expand=organization&limit=1&offset=2');
    assert.equal(res.body, `{"data":[${company(ALPINE, 'Alpine Dental Group', NORTHWIND, 'alpine-owner', true, true)}],${paging(3, 1, 2)}}`);
    assert.equal((await get('/organizations/companies?expand=Organization,Organization&limit=1')).json().data[0]._embedded.organization.type, 'Company');
    const bad = await get('/organizations/companies?expand=Sites');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.body, `{"errors":[{"message":"The value 'Sites' is not valid for expand: the values are Organization.","type":"logical","code":400,"parameterName":"expand"}]}`);
  });

  test('paging, filter, sort and select use the VSPC collection query', async () => {
    assert.equal((await get('/organizations/companies?limit=2&offset=1')).body, `{"data":[${cedar},${alpine}],${paging(3, 2, 1)}}`);
    assert.equal((await get('/organizations/companies?offset=5')).body, `{"data":[],${paging(3, 0, 5)}}`);
    const filter = encodeURIComponent(`[{'property':'resellerUid','operation':'equals','value':'${CONTOSO}'}]`);
    assert.equal((await get(`/organizations/companies?filter=${filter}`)).body, `{"data":[${beta}],${paging(1, 1)}}`);
    // The filter a public report script sends (status notEquals Deleted, ignorecase).
    const notDeleted = encodeURIComponent('[{"property":"status","operation":"notEquals","collation":"ignorecase","value":"Deleted"}]');
    assert.equal((await get(`/organizations/companies?filter=${notDeleted}&limit=500&offset=0`)).json().meta.pagingInfo.total, 3);
    const byOwner = encodeURIComponent('[{"property":"ownerCredentials.userName","operation":"equals","value":"alpine-owner"}]');
    assert.equal((await get(`/organizations/companies?filter=${byOwner}`)).body, `{"data":[${alpine}],${paging(1, 1)}}`);
    const sort = encodeURIComponent('[{"property":"name","direction":"descending"}]');
    assert.deepEqual((await get(`/organizations/companies?sort=${sort}`)).json().data.map((c: { name: string }) => c.name), ['Cedar Clinic', 'Beta Logistics', 'Alpine Dental Group']);
    const select = encodeURIComponent('[{"propertyPath":"instanceUid"},{"propertyPath":"name"}]');
    assert.equal(
      (await get(`/organizations/companies?select=${select}&limit=2`)).body,
      `{"data":[{"instanceUid":"${BETA}","name":"Beta Logistics"},{"instanceUid":"${CEDAR}","name":"Cedar Clinic"}],${paging(3, 2)}}`,
    );
    const badFilter = await get('/organizations/companies?filter=nope');
    assert.equal(badFilter.statusCode, 400);
    assert.equal(badFilter.json().errors[0].parameterName, 'filter');
    const badLimit = await get('/organizations/companies?limit=0');
    assert.equal(badLimit.statusCode, 400);
    assert.equal(badLimit.json().errors[0].parameterName, 'limit');
  });
});

describe('GET /organizations/companies/{companyUid}', () => {
  test('one company; select; 404 and 400 bodies', async () => {
    assert.equal((await get(`/organizations/companies/${ALPINE}`)).body, `{"data":${alpine}}`);
    assert.equal((await get(`/organizations/companies/${ALPINE.toUpperCase()}`)).body, `{"data":${alpine}}`);
    const select = encodeURIComponent('[{"propertyPath":"resellerUid"}]');
    assert.equal((await get(`/organizations/companies/${ALPINE}?select=${select}`)).body, `{"data":{"resellerUid":"${NORTHWIND}"}}`);
    const missing = await get(`/organizations/companies/${MISSING}`);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, `{"errors":[{"message":"Company with UID ${MISSING} does not exist.","type":"logical","code":404}]}`);
    const malformed = await get('/organizations/companies/xyz');
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.body, `{"errors":[{"message":"The value 'xyz' is not valid for companyUid: it must be a valid uuid.","type":"logical","code":400,"parameterName":"companyUid"}]}`);
    const badSelect = await get(`/organizations/companies/${ALPINE}?select=%5B1%5D`);
    assert.equal(badSelect.statusCode, 400);
    assert.equal(badSelect.json().errors[0].parameterName, 'select');
  });
});

describe('GET /organizations/companies/{companyUid}/siteResources (the Cloud Connect tenant of a company)', () => {
  test('the tenant, assigned to the company; none for a company without one; 404 for a missing company', async () => {
    assert.equal(
      (await get(`/organizations/companies/${ALPINE}/siteResources`)).body,
      `{"data":[{"instanceUid":"${ALPINE_TENANT}","credentials":{"userName":"","password":null},"assignedForCompany":"${ALPINE}"}],${paging(1, 1)}}`,
    );
    assert.equal((await get(`/organizations/companies/${BETA}/siteResources`)).body, `{"data":[],${paging(0, 0)}}`);
    const missing = await get(`/organizations/companies/${MISSING}/siteResources`);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, `{"errors":[{"message":"Company with UID ${MISSING} does not exist.","type":"logical","code":404}]}`);
  });
});

describe('GET /licensing/usage/organizations', () => {
  const workstation = (fresh: number, used: number) =>
    `{"id":"3cd1c49e-6ccd-42ee-8892-5d027efca157","description":"Workstation","unitType":"Points","rentalUnits":0.0,"newUnits":${(fresh * 4).toFixed(1)},` +
    `"usedUnits":${(used * 4).toFixed(1)},"rentalCount":0,"newCount":${fresh},"usedCount":${used},"workloadsByPlatform":[]}`;
  const server = (fresh: number, used: number) =>
    `{"id":"15dd8880-4379-40b9-adbb-08ac396823cb","description":"Server","unitType":"Points","rentalUnits":0.0,"newUnits":${(fresh * 11).toFixed(1)},` +
    `"usedUnits":${(used * 11).toFixed(1)},"rentalCount":0,"newCount":${fresh},"usedCount":${used},"workloadsByPlatform":[]}`;
  const usage = (uid: string, provider: string | null, workloads: string[]) =>
    `{"organizationUid":"${uid}","organizationType":"Company","providerUid":${provider ? `"${provider}"` : 'null'},"servers":[` +
    (workloads.length > 0 ? `{"serverUid":"${serverUid}","serverType":"VSPC","workloads":[${workloads.join(',')}]}` : '') +
    ']}';
  const betaUsage = () => usage(BETA, CONTOSO, []);
  const cedarUsage = () => usage(CEDAR, null, [workstation(0, 1)]);
  const alpineUsage = () => usage(ALPINE, NORTHWIND, [workstation(1, 0), server(1, 1)]);

  test('every company: the VSPC server of Tally with its workloads; none without agents', async () => {
    const res = await get('/licensing/usage/organizations');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, `{"data":[${betaUsage()},${cedarUsage()},${alpineUsage()}],${paging(3, 3)}}`);
    // The server uid is the installation's, stable from one request to the next.
    assert.equal((await get('/licensing/usage/organizations')).body, res.body);
  });

  test('the same numbers as the legacy console counters of each company', async () => {
    const legacy = (await get('/licensing/console/usage/companies')).json().data as { companyUid: string; counters: Record<string, unknown>[] }[];
    const modern = (await get('/licensing/usage/organizations')).json().data as { organizationUid: string; servers: { workloads: Record<string, unknown>[] }[] }[];
    const descriptions: Record<string, string> = { vaC_Server_Agent: 'Server', vaC_Workstation_Agent: 'Workstation' };
    for (const { companyUid, counters } of legacy) {
      const workloads = modern.find((o) => o.organizationUid === companyUid)!.servers.flatMap((s) => s.workloads);
      for (const counter of counters) {
        const workload = workloads.find((w) => w.description === descriptions[String(counter.type)]);
        const counts = workload ? [workload.usedUnits, workload.usedCount, workload.newUnits, workload.newCount] : [0, 0, 0, 0];
        assert.deepEqual(counts, [counter.usedUnits, counter.usedCount, counter.newUnits, counter.newCount], `${companyUid} ${String(counter.type)}`);
      }
    }
  });

  test('query parameters select organizations and servers; enums ignore case; unknown values are 400', async () => {
    const q = async (query: string) => (await get(`/licensing/usage/organizations?${query}`)).body;
    assert.equal(await q(`organizationUid=${ALPINE.toUpperCase()}`), `{"data":[${alpineUsage()}],${paging(1, 1)}}`);
    assert.equal(await q(`providerUid=${CONTOSO}`), `{"data":[${betaUsage()}],${paging(1, 1)}}`);
    assert.equal(await q('organizationType=company&limit=1'), `{"data":[${betaUsage()}],${paging(3, 1)}}`);
    assert.equal(await q('organizationType=Reseller'), `{"data":[],${paging(0, 0)}}`);
    assert.equal(await q(`serverType=vspc&serverUid=${serverUid}&organizationUid=${CEDAR}`), `{"data":[${cedarUsage()}],${paging(1, 1)}}`);
    assert.equal(await q(`serverType=BackupAndReplication&organizationUid=${CEDAR}`), `{"data":[${usage(CEDAR, null, [])}],${paging(1, 1)}}`);
    assert.equal(await q(`serverUid=${MISSING}&organizationUid=${ALPINE}`), `{"data":[${usage(ALPINE, NORTHWIND, [])}],${paging(1, 1)}}`);
    const filter = encodeURIComponent("[{'property':'providerUid','operation':'equals','value':null}]");
    assert.equal(await q(`filter=${filter}`), `{"data":[${cedarUsage()}],${paging(1, 1)}}`);
    const select = encodeURIComponent('[{"propertyPath":"organizationUid"}]');
    assert.equal(await q(`select=${select}&offset=2`), `{"data":[{"organizationUid":"${ALPINE}"}],${paging(3, 1, 2)}}`);
    const badType = await get('/licensing/usage/organizations?organizationType=Tenant');
    assert.equal(badType.statusCode, 400);
    assert.equal(
      badType.body,
      `{"errors":[{"message":"The value 'Tenant' is not valid for organizationType: the values are Company, Provider, Reseller, Unknown.","type":"logical","code":400,"parameterName":"organizationType"}]}`,
    );
    const badServer = await get('/licensing/usage/organizations?serverType=Cloud');
    assert.equal(badServer.statusCode, 400);
    assert.equal(badServer.json().errors[0].parameterName, 'serverType');
    const badUid = await get('/licensing/usage/organizations?providerUid=x');
    assert.equal(badUid.statusCode, 400);
    assert.equal(badUid.json().errors[0].parameterName, 'providerUid');
  });

  test('versions: served to 3.3+ and unversioned clients; 3.0–3.2 did not have the route', async () => {
    const url = '/licensing/usage/organizations';
    for (const version of ['3.3', '3.6', '3.6.1', '3.7']) assert.equal((await get(url, app.adminToken, { 'x-client-version': version })).statusCode, 200, version);
    const old = await get(url, app.adminToken, { 'x-client-version': '3.2' });
    assert.equal(old.statusCode, 400);
    assert.equal(
      old.body,
      `{"error":{"code":"UnsupportedApiVersion","message":"The HTTP resource that matches the request URI 'http://localhost:80/api/v3${url}' is not supported.","innerError":null}}`,
    );
    assert.equal((await get(url, app.adminToken, { 'x-client-version': '4.0' })).json().error.code, 'UnsupportedApiVersion');
    assert.equal((await get(url, app.adminToken, { 'x-client-version': 'nine' })).json().error.code, 'InvalidApiVersion');
    // The organizations routes exist in every v3 version.
    for (const version of ['3.0', '3.2', '3.6.1']) assert.equal((await get('/organizations/companies', app.adminToken, { 'x-client-version': version })).statusCode, 200);
  });
});

describe('roles and scoping', () => {
  test('who may read companies and usage', async () => {
    const operator = await app.tokenFor('sp-operator', ['ServiceProviderOperator']);
    const readOnly = await app.tokenFor('read-only', ['ReadOnlyUser']);
    const auditor = await app.tokenFor('sp-auditor', ['ServiceProviderInvoiceAuditor']);
    const vb365 = await app.tokenFor('vb365-admin', ['Vb365Administrator']);
    assert.equal((await get('/organizations/companies', operator)).json().meta.pagingInfo.total, 3);
    assert.equal((await get('/organizations/companies', readOnly)).json().meta.pagingInfo.total, 3);
    const forbidden = await get('/organizations/companies', auditor);
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.body, '{"errors":[{"message":"Access denied: your role does not allow this operation.","type":"security","code":403}]}');
    assert.equal((await get(`/organizations/companies/${ALPINE}`, vb365)).statusCode, 403);
    // The usage of organizations: the console-usage roles (no operator, no company role).
    assert.equal((await get('/licensing/usage/organizations', operator)).statusCode, 403);
    const anonymous = await app.vspc.inject({ url: '/api/v3/licensing/usage/organizations' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.body, '{"errors":[{"message":"Authorization is required: send an access token in the Authorization header.","type":"security","code":401}]}');
  });

  test('a reseller-scoped account sees its companies only; a foreign company answers exactly like a missing one', async () => {
    const northwind = await app.tokenFor('northwind-admin', ['ServiceProviderAdministrator'], NORTHWIND);
    assert.equal((await get('/organizations/companies', northwind)).body, `{"data":[${alpine}],${paging(1, 1)}}`);
    const foreign = await get(`/organizations/companies/${BETA}`, northwind);
    const missing = await get(`/organizations/companies/${MISSING.replace('3333-4333', '3333-4334')}`, northwind);
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body, `{"errors":[{"message":"Company with UID ${BETA} does not exist.","type":"logical","code":404}]}`);
    assert.equal(missing.statusCode, 404);
    assert.equal((await get(`/organizations/companies/${BETA}/siteResources`, northwind)).body, foreign.body);
    const usage = (await get('/licensing/usage/organizations', northwind)).json();
    assert.deepEqual(usage.data.map((o: { organizationUid: string }) => o.organizationUid), [ALPINE]);
    assert.equal((await get(`/licensing/usage/organizations?organizationUid=${BETA}`, northwind)).body, `{"data":[],${paging(0, 0)}}`);
  });

  test('a company-scoped account sees its own company only', async () => {
    const owner = (await app.ctx.auth.login('alpine-owner', 'password-of-alpine-owner'))!.accessToken;
    assert.equal((await get('/organizations/companies', owner)).body, `{"data":[${alpine}],${paging(1, 1)}}`);
    assert.equal((await get(`/organizations/companies/${CEDAR}`, owner)).statusCode, 404);
    assert.equal((await get(`/organizations/companies/${ALPINE}/siteResources`, owner)).json().data[0].instanceUid, ALPINE_TENANT);
  });
});
