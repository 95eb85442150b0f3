/**
 * OpenAPI documents and Swagger UI, generated from the routes' own schemas.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
});
after(() => app.close());

test('VB365: the raw v6 document holds the /v6 operations with their schemas, and nothing else', async () => {
  const res = await app.vb365.inject({ url: '/swagger/docs/v6' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.equal(doc.openapi, '3.0.3');
  assert.equal(doc.info.version, 'v6');
  const paths = Object.keys(doc.paths).sort();
  assert.deepEqual(paths, [
    '/v6/License',
    '/v6/LicensedUsers',
    '/v6/LicensedUsers/{licensedUserId}',
    '/v6/Organizations',
    '/v6/Organizations/{organizationId}',
    '/v6/Organizations/{organizationId}/LicensingInformation',
    '/v6/Reports/GenerateLicenseOverview',
    '/v6/ServiceInstance',
    '/v6/licensing/reports/latest',
    '/v6/licensing/reports/{reportId}/approve',
    '/v6/token',
  ]);
  const info = doc.paths['/v6/Organizations/{organizationId}/LicensingInformation'].get;
  assert.deepEqual(Object.keys(info.responses['200'].content['application/json'].schema.properties), ['licensedUsers', 'newUsers']);
  assert.equal(info.parameters[0].name, 'organizationId');
  assert.equal(info.parameters[0].schema.format, 'uuid');
  assert.deepEqual(doc.components.securitySchemes, { Bearer: { type: 'http', scheme: 'bearer' } });
});

test('VB365: Swagger UI at /swagger/ui/index', async () => {
  const res = await app.vb365.inject({ url: '/swagger/ui/index/' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /text\/html/);
  const json = await app.vb365.inject({ url: '/swagger/ui/index/json' });
  assert.ok(Object.keys(json.json().paths).every((p) => p.startsWith('/v6/')));
});

test('VSPC: Swagger UI at /api/swagger with the /api/v3 operations', async () => {
  const ui = await app.vspc.inject({ url: '/api/swagger/' });
  assert.equal(ui.statusCode, 200);
  const doc = (await app.vspc.inject({ url: '/api/swagger/json' })).json();
  const paths = Object.keys(doc.paths);
  assert.ok(paths.includes('/api/v3/licensing/console/usage/companies/vcc/{tenantUid}'), paths.join(', '));
  assert.ok(paths.includes('/api/v3/token'));
  assert.ok(paths.every((p) => p.startsWith('/api/v3/')));
  const counter = doc.paths['/api/v3/licensing/console/usage/companies/vcc/{tenantUid}'].get.responses['200'].content['application/json'].schema.properties.data.properties.counters.items;
  assert.deepEqual(Object.keys(counter.properties), ['type', 'unitType', 'usedUnits', 'usedCount', 'newUnits', 'newCount']);
  assert.equal(counter.properties.usedUnits.type, 'number');
  assert.equal(counter.properties.usedCount.type, 'integer');
});

test('admin API: its own document on both listeners', async () => {
  for (const face of [app.vb365, app.vspc]) {
    const doc = (await face.inject({ url: '/tally/v1/openapi.json' })).json();
    const paths = Object.keys(doc.paths);
    assert.ok(paths.includes('/tally/v1/events'));
    assert.ok(paths.includes('/tally/v1/licenses/vb365'));
    assert.ok(paths.every((p) => p.startsWith('/tally/v1/')));
  }
});
