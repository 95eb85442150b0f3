/**
 * Malformed requests answer a client error in the dialect of the path they hit, store nothing and
 * never answer 5xx.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z', demo: true });
});
after(() => app.close());

async function ledgerSize(): Promise<number> {
  const row = await app.ctx.store.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(row?.n);
}

function assertDialect(url: string, body: string) {
  const parsed = body === '' ? null : JSON.parse(body);
  if (url.toLowerCase().startsWith('/tally/')) {
    assert.equal(typeof parsed?.error?.code, 'string', body);
    assert.equal(typeof parsed?.error?.message, 'string', body);
  } else if (url.toLowerCase().startsWith('/api/v3/token') && parsed?.error) {
    // The token operation answers OAuth2Error for a failed grant.
    assert.equal(typeof parsed.error_description, 'string', body);
  } else if (url.toLowerCase().startsWith('/api/')) {
    assert.equal(typeof parsed?.errors?.[0]?.message, 'string', body);
    assert.equal(typeof parsed?.errors?.[0]?.code, 'number', body);
  } else if (parsed !== null) {
    assert.equal(typeof (parsed.message ?? parsed.error), 'string', body);
  }
}

test('hostile and malformed requests', async () => {
  const admin = { authorization: `Bearer ${app.adminToken}` };
  const json = { ...admin, 'content-type': 'application/json' };
  const cases: InjectOptions[] = [
    { method: 'GET', url: '/v6/Organizations/%E0%A4%A', headers: admin },
    { method: 'GET', url: '/api/v3/licensing/console/usage/companies/vcc/%zz', headers: admin },
    { method: 'GET', url: `/v6/Organizations/${'a'.repeat(500)}`, headers: admin },
    { method: 'GET', url: '/v6/Organizations?extendedView=maybe', headers: admin },
    { method: 'POST', url: '/v6/token', payload: 'null', headers: { 'content-type': 'application/json' } },
    { method: 'POST', url: '/v6/token', payload: '{"grant_type":', headers: { 'content-type': 'application/json' } },
    { method: 'POST', url: '/v6/token', payload: 'grant_type=password', headers: { 'content-type': 'text/plain' } },
    { method: 'POST', url: '/api/v3/token', payload: 'x'.repeat(2_000_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { method: 'POST', url: '/api/v3/token', payload: 'grant_type=password&username=admin&password=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { method: 'POST', url: '/tally/v1/events', payload: 'null', headers: json },
    { method: 'POST', url: '/tally/v1/events', payload: '{"events":{}}', headers: json },
    { method: 'POST', url: '/tally/v1/events', payload: '{"events":[1,null,"x",[]]}', headers: json },
    { method: 'POST', url: '/tally/v1/events', payload: '{"__proto__":{"x":1}}', headers: json },
    { method: 'POST', url: '/tally/v1/events', payload: '{"events":[]}', headers: { ...admin, 'content-type': 'text/csv' } },
    { method: 'POST', url: '/tally/v1/events', payload: '{"id":"n1"}\nnot json\n', headers: { ...admin, 'content-type': 'application/x-ndjson' } },
    { method: 'POST', url: '/tally/v1/events', payload: `{"events":[${'{"id":"x","type":"vspc.agentDeactivated","at":"2026-11-01T00:00:00Z","agentUid":"b4971992-84ac-4dee-b837-95c8db275f28"},'.repeat(10_001).slice(0, -1)}]}`, headers: json },
    { method: 'PUT', url: '/tally/v1/companies/abc', payload: '{}', headers: json },
    { method: 'PUT', url: '/tally/v1/companies/f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e', payload: '{"name":1}', headers: json },
    { method: 'PUT', url: '/tally/v1/companies/f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e', payload: '{"name":"x","extra":true}', headers: json },
    { method: 'PUT', url: '/tally/v1/licenses/vb365', payload: '{"type":"Gold","totalNumber":-1}', headers: json },
    // Dates that JSON Schema's date-time would let through but that are not RFC 3339 with an offset.
    { method: 'PUT', url: '/tally/v1/licenses/vb365', payload: '{"type":"Subscription","totalNumber":10,"expirationDate":"2027-01-01T00:00:00Z","lastReportSentAt":"2026-11-01 08:00:00+0100"}', headers: json },
    { method: 'PUT', url: '/tally/v1/licenses/vspc', payload: '{"type":"Rental","units":10,"expirationDate":"2027-01-01T00:00:00+01"}', headers: json },
    // NUL cannot be stored by PostgreSQL: a client error, not a server error.
    { method: 'PUT', url: '/tally/v1/companies/f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e', payload: '{"name":"a\\u0000b"}', headers: json },
    { method: 'POST', url: '/tally/v1/events', payload: '{"events":[{"id":"nul","type":"vb365.backup","at":"2026-11-01T00:00:00Z","organizationId":"92460656-7a85-4a04-b1af-1ea903c0bc2e","user":{"id":"u\\u0000","name":"x"}}]}', headers: json },
    { method: 'PUT', url: '/tally/v1/clock', payload: '{"now":"2026-02-30T00:00:00Z"}', headers: json },
    { method: 'PUT', url: '/tally/v1/clock', payload: '{"now":"2026-01-30T00:00:00"}', headers: json },
    { method: 'DELETE', url: '/v6/Organizations', headers: admin },
    { method: 'PATCH', url: '/api/v3/licensing/console/usage/companies/vcc/b4971992-84ac-4dee-b837-95c8db275f28', headers: admin },
    { method: 'GET', url: '/api/v3/licensing/console/usage/companies/vcc/b4971992-84ac-4dee-b837-95c8db275f28', headers: { authorization: 'Basic abc' } },
    { method: 'GET', url: '/v6/Organizations', headers: { authorization: 'Bearer' } },
  ];
  const before = await ledgerSize();
  for (const options of cases) {
    const target = String(options.url).startsWith('/v6') ? app.vb365 : app.vspc;
    const res = await target.inject(options);
    const label = `${options.method} ${String(options.url).slice(0, 60)}`;
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    assertDialect(String(options.url), res.body);
  }
  assert.equal(await ledgerSize(), before, 'nothing was stored');
  // The seed answers are untouched.
  const seed = await app.vb365.inject({ url: '/v6/Organizations/92460656-7a85-4a04-b1af-1ea903c0bc2e/LicensingInformation', headers: admin });
  assert.equal(seed.body, '{"licensedUsers":100,"newUsers":0}');
});

test('a malformed body sent to a path outside every face answers in the listener\'s dialect', async () => {
  for (const [instance, expect] of [
    [app.vb365, (body: any) => assert.equal(typeof body.message, 'string')],
    [app.vspc, (body: any) => assert.equal(typeof body.errors?.[0]?.message, 'string')],
  ] as const) {
    const res = await instance.inject({ method: 'POST', url: '/nothing/at/all', headers: { 'content-type': 'application/json' }, payload: '{bad' });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.json().statusCode, undefined, 'not Fastify\'s default error body');
    expect(res.json());
  }
});
