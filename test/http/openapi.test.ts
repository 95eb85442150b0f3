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

type Operation = { responses: Record<string, { description?: string; content?: Record<string, { schema: Record<string, any> }> }> };
function operations(doc: { paths: Record<string, Record<string, Operation>> }): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));
}
const errorSchema = (op: Operation, status: number) => op.responses[String(status)]?.content?.['application/json']?.schema;

test('every face\'s document lists its error answers in that face\'s dialect', async () => {
  const vb365 = (await app.vb365.inject({ url: '/swagger/docs/v6' })).json();
  for (const [name, op] of operations(vb365)) {
    // The token endpoint answers its client errors in OAuth's dialect (declared by the route).
    const statuses = name.endsWith('/v6/token') ? [500] : [401, 403, 500];
    for (const status of statuses) assert.deepEqual(errorSchema(op, status)?.required, ['message'], `${name} ${status}`);
  }
  const vspc = (await app.vspc.inject({ url: '/api/swagger/json' })).json();
  for (const [name, op] of operations(vspc)) {
    const statuses = name.endsWith('/api/v3/token') ? [520] : [401, 403, 520];
    for (const status of statuses) {
      const schema = errorSchema(op, status);
      assert.deepEqual(schema?.required, ['errors'], `${name} ${status}`);
      assert.deepEqual(schema.properties.errors.items.required, ['message', 'type', 'code'], `${name} ${status}`);
    }
    if (name.includes('{')) assert.ok(errorSchema(op, 404), `${name} 404`);
  }
  const tally = (await app.vspc.inject({ url: '/tally/v1/openapi.json' })).json();
  for (const [name, op] of operations(tally)) {
    for (const status of [401, 403, 500, 503]) assert.deepEqual(errorSchema(op, status)?.required, ['error'], `${name} ${status}`);
    if (name.includes('{')) assert.ok(errorSchema(op, 400) && errorSchema(op, 404), `${name} 400/404`);
  }
});

test('every admin route declares its success answer and its own errors', async () => {
  const tally = (await app.vspc.inject({ url: '/tally/v1/openapi.json' })).json();
  for (const [name, op] of operations(tally)) {
    const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
    assert.ok(success.length > 0, `${name}: no success answer`);
    for (const status of success) {
      if (status === '204') continue;
      assert.ok(op.responses[status]!.content, `${name} ${status}: no schema`);
    }
  }
  const doc = tally.paths;
  assert.deepEqual(Object.keys(doc['/tally/v1/companies/{uid}'].delete.responses).sort(), ['204', '400', '401', '403', '404', '409', '500', '503']);
  assert.deepEqual(Object.keys(doc['/tally/v1/companies/{uid}/workloads'].get.responses['200'].content['application/json'].schema.properties), ['companyUid', 'at', 'agents', 'users']);
  assert.match(doc['/tally/v1/companies/{uid}'].put.responses['409'].description, /conflicts/);
  // The admin API's error body, as a client parses it.
  const conflict = doc['/tally/v1/companies/{uid}'].put.responses['409'].content['application/json'].schema;
  assert.deepEqual(Object.keys(conflict.properties.error.properties), ['code', 'message', 'details']);
});
