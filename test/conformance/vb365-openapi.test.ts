/**
 * Conformance: every VB365 answer Tally gives validates against Veeam's published v6 OpenAPI
 * document (test/fixtures/openapi/vb365_rest_v6.json, provenance beside it) for its operation: the 200 schema for
 * successes, the `default` (RESTExceptionInfo) for errors. Beyond the schema, which is permissive,
 * every property Tally emits must be one the document declares (catches misspellings such as
 * `isBackedUp` where v6 says `isBackedup`).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const DOCUMENT_FILE = path.resolve(import.meta.dirname, '..', 'fixtures', 'openapi', 'vb365_rest_v6.json');

type Schema = Record<string, any>;
const spec = JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema({ components: spec.components }, 'vb365');

function resolve(schema: Schema): Schema {
  if (schema.$ref) return resolve(spec.components.schemas[String(schema.$ref).split('/').pop()!]!);
  return schema;
}

/** The schema the document gives for an operation's answer with this status. */
function responseSchema(method: string, template: string, status: number): Schema {
  const operation = spec.paths[template]?.[method.toLowerCase()];
  assert.ok(operation, `the v6 document has ${method} ${template}`);
  const response = operation.responses[String(status)] ?? operation.responses.default;
  assert.ok(response, `${method} ${template} documents ${status} or a default`);
  const content = response.content?.['application/json'] ?? response.content?.['*/*'];
  return content?.schema ?? {};
}

/** The media types the document declares for an operation's answer with this status (none: no body). */
function documentedMediaTypes(method: string, template: string, status: number): string[] {
  const operation = spec.paths[template]?.[method.toLowerCase()];
  const response = operation?.responses[String(status)] ?? operation?.responses.default;
  return Object.keys(response?.content ?? {});
}

/** Refs rewritten to point into the registered document. */
function bound(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"vb365#/components/'));
}

/** Every property of `value` must be declared by `schema` (walking arrays, refs and additionalProperties maps). */
function undeclared(value: unknown, schema: Schema, where = '$'): string[] {
  const s = resolve(schema);
  if (Array.isArray(value)) return value.flatMap((item, i) => (s.items ? undeclared(item, s.items, `${where}[${i}]`) : []));
  if (value === null || typeof value !== 'object') return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const declared = s.properties?.[key];
    if (declared) problems.push(...undeclared(child, declared, `${where}.${key}`));
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') problems.push(...undeclared(child, s.additionalProperties, `${where}.${key}`));
    else if (!s.additionalProperties) problems.push(`${where}.${key}`);
  }
  return problems;
}

let app: TestApp;
const ORG = '11111111-2222-4333-8444-555555555555';
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'contoso.onmicrosoft.com', officeName: 'contoso' });
  await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 1, expirationDate: '2026-11-30T00:00:00Z', licensedTo: 'Provider', supportId: '1' });
  await app.ingest([
    { id: 'c1', type: 'vb365.backup', at: '2026-09-01T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'c2', type: 'vb365.backup', at: '2026-11-20T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'anna@contoso.example' } },
    { id: 'c3', type: 'vb365.backup', at: '2026-10-01T00:00:00Z', organizationId: ORG, user: { id: 'u2', name: 'ben@contoso.example' } },
    { id: 'c4', type: 'vb365.backup', at: '2026-11-21T00:00:00Z', organizationId: ORG, user: { id: 'u2', name: 'ben@contoso.example' } },
    { id: 'c5', type: 'vb365.backup', at: '2026-11-05T00:00:00Z', organizationId: ORG, user: { id: 'u3', name: 'carla@contoso.example' } },
  ]);
});
after(() => app.close());

const REPORT = '/v6/licensing/reports/{reportId}/approve';
const OVERVIEW = '/v6/Reports/GenerateLicenseOverview';
const json = 'application/json';
const overview = (options: object) => JSON.stringify({ startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', ...options });

/** `clock`: the request is made at that instant (the clock is put back afterwards). */
const cases: { method: string; url: string; template: string; body?: string; contentType?: string; auth?: boolean; status: number; clock?: string }[] = [
  { method: 'POST', url: '/v6/token', template: '/v6/token', body: 'grant_type=password&username=admin&password=test-admin-password', contentType: 'application/x-www-form-urlencoded', auth: false, status: 200 },
  { method: 'POST', url: '/v6/token', template: '/v6/token', body: 'grant_type=password&username=admin&password=wrong', contentType: 'application/x-www-form-urlencoded', auth: false, status: 400 },
  { method: 'GET', url: '/v6/ServiceInstance', template: '/v6/ServiceInstance', status: 200 },
  { method: 'GET', url: '/v6/ServiceInstance', template: '/v6/ServiceInstance', auth: false, status: 401 },
  { method: 'GET', url: '/v6/Organizations', template: '/v6/Organizations', status: 200 },
  { method: 'GET', url: '/v6/Organizations?extendedView=false', template: '/v6/Organizations', status: 200 },
  { method: 'GET', url: `/v6/Organizations/${ORG}`, template: '/v6/Organizations/{organizationId}', status: 200 },
  { method: 'GET', url: '/v6/Organizations/33333333-3333-4333-8333-333333333333', template: '/v6/Organizations/{organizationId}', status: 404 },
  { method: 'GET', url: `/v6/Organizations/${ORG}/LicensingInformation`, template: '/v6/Organizations/{organizationId}/LicensingInformation', status: 200 },
  { method: 'GET', url: '/v6/Organizations/not-a-guid/LicensingInformation', template: '/v6/Organizations/{organizationId}/LicensingInformation', status: 400 },
  { method: 'GET', url: '/v6/License', template: '/v6/License', status: 200 },
  { method: 'GET', url: '/v6/LicensedUsers?limit=2', template: '/v6/LicensedUsers', status: 200 },
  { method: 'GET', url: `/v6/LicensedUsers?organizationId=${ORG}&name=*a*`, template: '/v6/LicensedUsers', status: 200 },
  { method: 'DELETE', url: '/v6/LicensedUsers/u1:00000000-0000-0000-0000-000000000000', template: '/v6/LicensedUsers/{licensedUserId}', status: 409 },
  { method: 'DELETE', url: '/v6/LicensedUsers/nobody', template: '/v6/LicensedUsers/{licensedUserId}', status: 404 },
  { method: 'POST', url: '/v6/licensing/reports/202610/approve', template: REPORT, body: '{"removedUsers":[{"organizationId":"x","removedUsersCount":0}]}', contentType: json, status: 400, clock: '2026-11-02T00:00:00Z' },
  { method: 'POST', url: '/v6/licensing/reports/202610/approve', template: REPORT, body: `{"removedUsers":[{"organizationId":"${ORG}","removedUsersCount":1,"removalReason":"test"}]}`, contentType: json, status: 200, clock: '2026-11-02T00:00:00Z' },
  { method: 'POST', url: '/v6/licensing/reports/202610/approve', template: REPORT, body: '{}', contentType: json, status: 409 },
  { method: 'POST', url: '/v6/licensing/reports/202609/approve', template: REPORT, body: '{}', contentType: json, status: 404 },
  { method: 'GET', url: '/v6/licensing/reports/latest', template: '/v6/licensing/reports/latest', status: 200 },
  { method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', template: OVERVIEW, body: overview({ format: 'CSV' }), contentType: json, status: 200 },
  { method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', template: OVERVIEW, body: overview({ format: 'PDF', timezone: 'Europe/Berlin' }), contentType: json, status: 200 },
  { method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', template: OVERVIEW, body: overview({ format: 'CSV', timezone: 'Nowhere/Else' }), contentType: json, status: 400 },
];

for (const c of cases) {
  test(`${c.method} ${c.url} → ${c.status} conforms to the v6 document`, async () => {
    const headers: Record<string, string> = {};
    if (c.auth !== false) headers.authorization = `Bearer ${app.adminToken}`;
    if (c.contentType) headers['content-type'] = c.contentType;
    const before = await app.ctx.clock.now();
    if (c.clock) await app.ctx.clock.set(Date.parse(c.clock));
    const res = await app.vb365.inject({ method: c.method as 'GET', url: c.url, headers, ...(c.body ? { payload: c.body } : {}) }).finally(() => app.ctx.clock.set(before));
    assert.equal(res.statusCode, c.status, res.body);
    const media = documentedMediaTypes(c.method, c.template, c.status);
    if (!media.includes('application/json') && !media.includes('*/*')) {
      // A file, or no body at all: what the document declares is the media type, or nothing.
      if (media.includes('application/octet-stream')) {
        assert.equal(res.headers['content-type'], 'application/octet-stream');
        assert.ok(res.rawPayload.length > 0);
      } else {
        assert.equal(res.body, '');
      }
      return;
    }
    const schema = responseSchema(c.method, c.template, c.status);
    const body = res.json();
    const validate = ajv.compile(bound(schema));
    assert.ok(validate(body), `${JSON.stringify(validate.errors)}\n${res.body.slice(0, 500)}`);
    // The token error also carries OAuth's error fields on purpose (docs/compatibility.md).
    const allowed = c.template === '/v6/token' && c.status === 400 ? ['$.error', '$.error_description'] : [];
    assert.deepEqual(undeclared(body, schema).filter((p) => !allowed.includes(p)), []);
  });
}

test('a deliberate misspelling is caught by the declared-property check', () => {
  const schema = responseSchema('GET', '/v6/Organizations/{organizationId}', 200);
  assert.deepEqual(undeclared({ isBackedUp: true, name: 'x' }, schema), ['$.isBackedUp']);
});
