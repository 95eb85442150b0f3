/**
 * A strict VSPC client: calls every operation the VSPC face serves and parses each answer through
 * the 3.6.1 models (test/clients/vspcModels.ts) the way a client generated from Veeam's document
 * does (test/clients/strictModel.ts). An operation of the served OpenAPI document without a case
 * here fails the suite, so a new route is parsed from its first day.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { ModelError, StrictModels, type OpenApiSchema } from './strictModel.js';
import { collection, model, single, VSPC_MODELS } from './vspcModels.js';

const NOW = '2026-11-23T12:00:00Z';
const RESELLER = 'e0000000-0000-4000-8000-000000000001';
const ALPINE = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const TENANT = 'b4971992-84ac-4dee-b837-95c8db275f28';
const BETA = '0c000000-0000-4000-8000-0000000000b0';
const MISSING = '33333333-3333-4333-8333-333333333333';
const models = new StrictModels(VSPC_MODELS);
const legacy = { 'x-client-version': '3.2' };
const form = 'application/x-www-form-urlencoded';

let app: TestApp;
let ownerUid = '';

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${RESELLER}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine Dental Group', tenantUid: TENANT, resellerUid: RESELLER });
  await adminPut(app, `/tally/v1/companies/${BETA}`, { name: 'Beta Logistics' });
  // Expiring within 30 days and one point short: every license alarm is active.
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 14, expirationDate: '2026-12-01T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const res = await app.ingest([
    { id: 'a1', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: ALPINE, agent: { uid: 'a0000000-0000-4000-8000-000000000001', name: 'srv', mode: 'server' } },
    { id: 'a2', type: 'vspc.agentActivated', at: '2026-05-02T08:00:00Z', companyUid: ALPINE, agent: { uid: 'a0000000-0000-4000-8000-000000000002', name: 'ws', mode: 'workstation' } },
  ]);
  assert.equal(res.status, 200);
  await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
  ownerUid = (await app.ctx.store.db.selectFrom('accounts').select('uid').where('username', '=', 'alpine-owner').executeTakeFirstOrThrow()).uid ?? '';
});

after(() => app.close());

interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: string | (() => string);
  /** The operation as the served OpenAPI document names it. */
  operation: string;
  status: number;
  schema: OpenApiSchema;
  headers?: Record<string, string>;
  body?: string;
  anonymous?: true;
}

const cases: Case[] = [
  { method: 'POST', url: '/token', operation: 'post /api/v3/token', status: 200, schema: model('OAuth2Result'), anonymous: true, body: 'grant_type=password&username=admin&password=test-admin-password', headers: { 'content-type': form } },
  { method: 'POST', url: '/token', operation: 'post /api/v3/token', status: 400, schema: model('OAuth2Error'), anonymous: true, body: 'grant_type=password&username=admin&password=wrong', headers: { 'content-type': form } },
  { method: 'GET', url: '/about', operation: 'get /api/v3/about', status: 200, schema: single(model('AboutInformation')) },
  { method: 'GET', url: '/alarms/templates', operation: 'get /api/v3/alarms/templates', status: 200, schema: collection(model('AlarmTemplate')) },
  { method: 'GET', url: '/alarms/active', operation: 'get /api/v3/alarms/active', status: 200, schema: collection(model('ActiveAlarm')) },
  { method: 'GET', url: '/users/me', operation: 'get /api/v3/users/me', status: 200, schema: single(model('User')) },
  { method: 'GET', url: '/organizations/resellers?expand=Organization', operation: 'get /api/v3/organizations/resellers', status: 200, schema: collection(model('Reseller')) },
  { method: 'GET', url: `/organizations/resellers/${RESELLER}`, operation: 'get /api/v3/organizations/resellers/{resellerUid}', status: 200, schema: single(model('Reseller')) },
  { method: 'GET', url: '/organizations/companies', operation: 'get /api/v3/organizations/companies', status: 200, schema: collection(model('Company')) },
  { method: 'GET', url: '/organizations/companies?expand=Organization', operation: 'get /api/v3/organizations/companies', status: 200, schema: collection(model('Company')) },
  { method: 'GET', url: `/organizations/companies/${ALPINE}`, operation: 'get /api/v3/organizations/companies/{companyUid}', status: 200, schema: single(model('Company')) },
  { method: 'GET', url: `/organizations/companies/${BETA}`, operation: 'get /api/v3/organizations/companies/{companyUid}', status: 200, schema: single(model('Company')) },
  { method: 'GET', url: `/organizations/companies/${MISSING}`, operation: 'get /api/v3/organizations/companies/{companyUid}', status: 404, schema: model('ErrorResponse') },
  { method: 'GET', url: `/organizations/companies/${ALPINE}/siteResources`, operation: 'get /api/v3/organizations/companies/{companyUid}/siteResources', status: 200, schema: collection(model('CloudTenant')) },
  { method: 'GET', url: '/organizations/companies/usage?fromDate=2026-11-20', operation: 'get /api/v3/organizations/companies/usage', status: 200, schema: collection(model('CompanyUsage')) },
  { method: 'GET', url: `/organizations/companies/${ALPINE}/usage`, operation: 'get /api/v3/organizations/companies/{companyUid}/usage', status: 200, schema: collection(model('CompanyUsage')) },
  { method: 'GET', url: '/organizations/companies/usage?toDate=x', operation: 'get /api/v3/organizations/companies/usage', status: 400, schema: model('ErrorResponse') },
  { method: 'GET', url: '/licensing/usage/organizations', operation: 'get /api/v3/licensing/usage/organizations', status: 200, schema: collection(model('OrganizationCurrentLicenseUsage')) },
  { method: 'GET', url: '/licensing/console', operation: 'get /api/v3/licensing/console', status: 200, schema: single(model('ConsoleLicense')) },
  { method: 'GET', url: '/licensing/console/settings', operation: 'get /api/v3/licensing/console/settings', status: 200, schema: single(model('LicenseSettings')) },
  { method: 'GET', url: '/licensing/console/usage', operation: 'get /api/v3/licensing/console/usage', status: 200, schema: single(model('ConsoleLicenseUsage')), headers: legacy },
  { method: 'GET', url: '/licensing/console/usage/companies', operation: 'get /api/v3/licensing/console/usage/companies', status: 200, schema: collection(model('CompanyConsoleLicenseUsage')), headers: legacy },
  { method: 'GET', url: `/licensing/console/usage/companies/${BETA}`, operation: 'get /api/v3/licensing/console/usage/companies/{companyUid}', status: 200, schema: single(model('CompanyConsoleLicenseUsage')), headers: legacy },
  { method: 'GET', url: `/licensing/console/usage/companies/vcc/${TENANT}`, operation: 'get /api/v3/licensing/console/usage/companies/vcc/{tenantUid}', status: 200, schema: single(model('CompanyConsoleLicenseUsage')), headers: legacy },
  { method: 'DELETE', url: () => `/users/${ownerUid}/tokens`, operation: 'delete /api/v3/users/{userUid}/tokens', status: 200, schema: single({ type: 'boolean' }) },
];

test('every operation of the served VSPC document has a strict-client case', async () => {
  const document = (await app.vspc.inject({ url: '/api/swagger/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const served = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => m !== 'parameters').map((m) => `${m} ${path}`));
  const covered = new Set(cases.filter((c) => c.status === 200).map((c) => c.operation));
  assert.deepEqual(served.filter((operation) => !covered.has(operation)), []);
});

for (const c of cases) {
  test(`${c.method} ${typeof c.url === 'string' ? c.url : c.operation} → ${c.status} parses in the 3.6.1 models`, async () => {
    const url = typeof c.url === 'string' ? c.url : c.url();
    const headers: Record<string, string> = { ...(c.anonymous ? {} : { authorization: `Bearer ${app.adminToken}` }), ...c.headers };
    const res = await app.vspc.inject({ method: c.method, url: `/api/v3${url}`, headers, ...(c.body ? { payload: c.body } : {}) });
    assert.equal(res.statusCode, c.status, res.body);
    models.parse(res.json(), c.schema);
  });
}

test('the strict models refuse what a generated client cannot parse', () => {
  const company = {
    instanceUid: ALPINE, name: 'A', status: 'Active', resellerUid: null, subscriptionPlanUid: null, isRestAccessEnabled: true, isAlarmDetectEnabled: false,
    companyServices: { hostedServices: { isVbPublicCloudManagementEnabled: false }, remoteServices: { isBackupResourcesEnabled: true } },
    loginUrl: null, ownerCredentials: { userName: 'owner', password: null }, _embedded: {},
  };
  const schema = single(model('Company'));
  models.parse({ data: company }, schema);
  const refused = (data: object, pattern: RegExp) => assert.throws(() => models.parse({ data }, schema), (e: unknown) => e instanceof ModelError && pattern.test(e.message));
  refused({ ...company, companyServices: { hostedServices: null, remoteServices: null } }, /companyServices\.hostedServices: null/);
  refused({ ...company, ownerCredentials: { userName: null, password: null } }, /ownerCredentials\.userName: null/);
  refused({ ...company, _embedded: { organization: null } }, /_embedded\.organization: null/);
  refused({ ...company, status: 'active' }, /status/);
  refused({ ...company, isRestAccessEnabled: 'true' }, /isRestAccessEnabled/);
  const { ownerCredentials: _, ...withoutOwner } = company;
  refused(withoutOwner, /ownerCredentials is missing/);
  assert.throws(() => models.parse({ data: { licenseId: null } }, single(model('ConsoleLicense'))), /licenseId: null/);
  assert.throws(() => models.parse({ data: [], meta: { pagingInfo: { total: 1.5, count: 0, offset: 0 } } }, collection(model('Company'))), /total/);
});
