/**
 * A strict VB365 client: calls every operation the VB365 face serves and parses each JSON answer
 * through the models of Veeam's v6 OpenAPI document (test/fixtures/openapi/vb365_rest_v6.json)
 * the way a generated client reads them (test/clients/strictModel.ts): null only where the
 * document says `nullable`, objects as objects, enums in their enum. The conformance suite
 * (test/conformance/vb365-openapi.test.ts) validates with AJV and checks undeclared properties;
 * this suite adds the nullability a generated client enforces. An operation of the served
 * document without a case here fails the suite.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { ModelError, StrictModels, type OpenApiSchema } from './strictModel.js';

const DOCUMENT_FILE = path.resolve(import.meta.dirname, '..', 'fixtures', 'openapi', 'vb365_rest_v6.json');
const spec = JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, OpenApiSchema> } };
const models = new StrictModels(spec.components.schemas);

/** The model the document gives for an operation's JSON answer with this status (its `default` for errors). */
function answerModel(operation: string, status: number): OpenApiSchema | undefined {
  const [method, template] = operation.split(' ') as [string, string];
  const op = spec.paths[template]?.[method];
  assert.ok(op, `the v6 document has ${operation}`);
  const response = op.responses[String(status)] ?? op.responses.default;
  return response?.content?.['application/json']?.schema;
}

const ORG = '11111111-2222-4333-8444-555555555555';
const HYBRID = '22222222-3333-4444-8555-666666666666';
let app: TestApp;

before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'contoso.onmicrosoft.com', officeName: 'contoso' });
  await adminPut(app, `/tally/v1/organizations/${HYBRID}`, { name: 'fabrikam.onmicrosoft.com', type: 'Hybrid', region: 'Germany' });
  await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 1, expirationDate: '2026-11-30T00:00:00Z' });
  await app.ingest([
    { id: 'c1', type: 'vb365.backup', at: '2026-09-01T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'c2', type: 'vb365.backup', at: '2026-11-20T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'c3', type: 'vb365.backup', at: '2026-10-01T00:00:00Z', organizationId: ORG, user: { id: 'u2', name: 'ben@contoso.example' } },
    { id: 'c4', type: 'vb365.backup', at: '2026-11-21T00:00:00Z', organizationId: ORG, user: { id: 'u2', name: 'ben@contoso.example' } },
  ]);
});
after(() => app.close());

interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  operation: string;
  status: number;
  body?: string;
  contentType?: string;
  anonymous?: true;
  /** The request is made at this instant (the clock is put back afterwards). */
  clock?: string;
}

const json = 'application/json';
const cases: Case[] = [
  { method: 'POST', url: '/v6/token', operation: 'post /v6/token', status: 200, anonymous: true, body: 'grant_type=password&username=admin&password=test-admin-password', contentType: 'application/x-www-form-urlencoded' },
  { method: 'GET', url: '/v6/ServiceInstance', operation: 'get /v6/ServiceInstance', status: 200 },
  { method: 'GET', url: '/v6/ServiceInstance', operation: 'get /v6/ServiceInstance', status: 401, anonymous: true },
  { method: 'GET', url: '/v6/Organizations', operation: 'get /v6/Organizations', status: 200 },
  { method: 'GET', url: '/v6/Organizations?extendedView=false', operation: 'get /v6/Organizations', status: 200 },
  { method: 'GET', url: `/v6/Organizations/${HYBRID}`, operation: 'get /v6/Organizations/{organizationId}', status: 200 },
  { method: 'GET', url: '/v6/Organizations/33333333-3333-4333-8333-333333333333', operation: 'get /v6/Organizations/{organizationId}', status: 404 },
  { method: 'GET', url: `/v6/Organizations/${ORG}/LicensingInformation`, operation: 'get /v6/Organizations/{organizationId}/LicensingInformation', status: 200 },
  { method: 'GET', url: '/v6/License', operation: 'get /v6/License', status: 200 },
  { method: 'GET', url: '/v6/LicensedUsers?limit=1', operation: 'get /v6/LicensedUsers', status: 200 },
  { method: 'GET', url: '/v6/LicensedUsers?offset=1&limit=1', operation: 'get /v6/LicensedUsers', status: 200 },
  { method: 'DELETE', url: '/v6/LicensedUsers/nobody', operation: 'delete /v6/LicensedUsers/{licensedUserId}', status: 404 },
  { method: 'GET', url: '/v6/licensing/reports/latest', operation: 'get /v6/licensing/reports/latest', status: 200 },
  { method: 'POST', url: '/v6/licensing/reports/202610/approve', operation: 'post /v6/licensing/reports/{reportId}/approve', status: 200, body: '{}', contentType: json, clock: '2026-11-02T00:00:00Z' },
  {
    method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', operation: 'post /v6/Reports/GenerateLicenseOverview', status: 200, contentType: json,
    body: JSON.stringify({ startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', format: 'CSV' }),
  },
];

test('every operation of the served VB365 document has a strict-client case', async () => {
  const document = (await app.vb365.inject({ url: '/swagger/docs/v6' })).json() as { paths: Record<string, Record<string, unknown>> };
  const served = Object.entries(document.paths).flatMap(([p, item]) => Object.keys(item).filter((m) => m !== 'parameters').map((m) => `${m} ${p}`));
  const covered = new Set(cases.map((c) => c.operation));
  assert.deepEqual(served.filter((operation) => !covered.has(operation)), []);
});

for (const c of cases) {
  test(`${c.method} ${c.url} → ${c.status} parses in the v6 models`, async () => {
    const headers: Record<string, string> = c.anonymous ? {} : { authorization: `Bearer ${app.adminToken}` };
    if (c.contentType) headers['content-type'] = c.contentType;
    const before = await app.ctx.clock.now();
    if (c.clock) await app.ctx.clock.set(Date.parse(c.clock));
    const res = await app.vb365
      .inject({ method: c.method, url: c.url, headers, ...(c.body ? { payload: c.body } : {}) })
      .finally(() => app.ctx.clock.set(before));
    assert.equal(res.statusCode, c.status, res.body);
    const schema = answerModel(c.operation, c.status);
    // A file or an empty answer has no model to parse (the conformance suite checks its media type).
    if (!schema || !String(res.headers['content-type'] ?? '').startsWith('application/json')) return;
    models.parse(res.json(), schema);
  });
}

test('the v6 models refuse what a generated client cannot parse', () => {
  const license = answerModel('get /v6/License', 200)!;
  models.parse({ licenseID: null, email: '', status: 'Valid', expirationDate: null, type: 'Rental', totalNumber: 1 }, license);
  assert.throws(() => models.parse({ email: null }, license), (e: unknown) => e instanceof ModelError && /email: null/.test(e.message));
  assert.throws(() => models.parse({ status: 'valid' }, license), /status/);
  assert.throws(() => models.parse({ totalNumber: 1.5 }, license), /totalNumber/);
  const page = answerModel('get /v6/LicensedUsers', 200)!;
  assert.throws(() => models.parse({ offset: 0, limit: 1, results: [{ licenseState: 'Licensed', _links: null }] }, page), /_links: null/);
  assert.throws(() => models.parse({ offset: 0, limit: 1 }, page), /results is missing/);
});
