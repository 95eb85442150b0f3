/**
 * Inputs the fuzz suite (fuzz.test.ts) found answering 5xx, kept as fixed cases so that they stay
 * fixed whatever seed the fuzzer runs with.
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

const get = (face: 'vb365' | 'vspc', url: string) => app[face].inject({ url, headers: { authorization: `Bearer ${app.adminToken}` } });

test('query numbers that coerce to Infinity are a 400 in the dialect, not a 500 from the serializer', async () => {
  // AJV coerces "1e309" to Infinity after its integer check has passed.
  for (const url of ['/v6/LicensedUsers?offset=1e309', '/v6/LicensedUsers?offset=-1e309', '/v6/LicensedUsers?limit=1e309']) {
    const res = await get('vb365', url);
    assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
    assert.match(res.json().message, /must be a finite number/);
  }
  const vspc = await get('vspc', '/api/v3/organizations/companies?limit=1e309');
  assert.equal(vspc.statusCode, 400, vspc.body);
  assert.equal(vspc.json().errors[0].parameterName, 'limit');
  const admin = await get('vspc', '/tally/v1/audit?offset=1e400');
  assert.equal(admin.statusCode, 400, admin.body);
  assert.equal(admin.json().error.code, 'validation_failed');
  // Large but finite numbers are still numbers.
  assert.equal((await get('vb365', '/v6/LicensedUsers?offset=1e300')).statusCode, 200);
});

test('JSON bodies with numbers beyond double range are refused by the schema', async () => {
  const res = await app.vspc.inject({
    method: 'PUT',
    url: '/tally/v1/licenses/vspc',
    headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' },
    payload: '{"type":"Rental","units":1e400,"expirationDate":"2027-01-01T00:00:00Z"}',
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal((await get('vspc', '/tally/v1/licenses/vspc')).statusCode, 404, 'nothing was stored');
});

test('a password login with a name no account can have is refused like a wrong password, and counted', async () => {
  // PostgreSQL refuses NUL in text and cannot index a 5,000-character key: both were a 500 there.
  const login = (username: string, face: 'vb365' | 'vspc' = 'vb365') =>
    app[face].inject({
      method: 'POST',
      url: face === 'vb365' ? '/v6/token' : '/api/v3/token',
      payload: new URLSearchParams({ grant_type: 'password', username, password: 'wrong' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: '203.0.113.60',
    });
  const names = ['nobody\u0000', 'u'.repeat(5000), 'with space', 'tab\there', 'a/b'];
  for (const [i, username] of names.entries()) {
    const res = await login(username, i % 2 ? 'vspc' : 'vb365');
    assert.equal(res.statusCode, 400, `${JSON.stringify(username.slice(0, 20))}: ${res.body}`);
  }
  // Impossible names share one stand-in account: after five failures they are throttled (429) like any account.
  assert.equal((await login('nobody\u0000')).statusCode, 429);
  assert.equal((await login('u'.repeat(5000), 'vspc')).statusCode, 429);
  // And they count against the address: 20 failures from it lock every account for it.
  for (let i = 0; i < 15; i++) assert.equal((await login(`nobody-${i}`)).json().error, 'invalid_grant');
  assert.equal((await login('admin')).statusCode, 429);
  assert.equal((await app.vb365.inject({ method: 'POST', url: '/v6/token', payload: 'grant_type=password&username=admin&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: '203.0.113.61' })).statusCode, 400, 'another address is not locked');
});

test('bodies that are not valid UTF-8 are refused, not stored with replacement characters', async () => {
  const uid = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const invalid = (text: string, bad: number[]) => Buffer.concat([Buffer.from(text.split('@')[0]!), Buffer.from(bad), Buffer.from(text.split('@')[1]!)]);
  const put = await app.vspc.inject({
    method: 'PUT',
    url: `/tally/v1/resellers/${uid}`,
    headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' },
    payload: invalid('{"name":"@"}', [0xff, 0xfe]),
  });
  assert.equal(put.statusCode, 400, put.body);
  assert.match(put.json().error.message, /not valid JSON: the body is not valid UTF-8/);
  assert.equal((await get('vspc', `/tally/v1/resellers/${uid}`)).statusCode, 404, 'nothing was stored');

  // The same on the faces' JSON routes, in their dialects.
  const vb = await app.vb365.inject({
    method: 'POST',
    url: '/v6/Reports/GenerateLicenseOverview',
    headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' },
    payload: invalid('{"startTime":"2026-11-01","endTime":"@","format":"PDF"}', [0xc0, 0xaf]),
  });
  assert.equal(vb.statusCode, 400, vb.body);

  // NDJSON event batches too: an otherwise valid event with an overlong '/' in its name.
  const event = '{"id":"utf8-1","type":"vspc.agentActivated","at":"2026-11-02T08:00:00Z","companyUid":"' + uid + '","agent":{"uid":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","name":"srv@","mode":"server"}}';
  const batch = await app.vspc.inject({
    method: 'POST',
    url: '/tally/v1/events',
    headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/x-ndjson' },
    payload: invalid(event, [0xc0, 0xaf]),
  });
  assert.equal(batch.statusCode, 400, batch.body);
  const valid = await app.vspc.inject({
    method: 'POST',
    url: '/tally/v1/events',
    headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/x-ndjson' },
    payload: Buffer.from(event.replace('@', 'é')),
  });
  assert.equal(valid.statusCode, 200, valid.body);
  assert.deepEqual(valid.json(), { accepted: 1, duplicates: 0 }, 'the same event in valid UTF-8 is new: nothing was stored before');
});

test('a body that is not valid UTF-8 sent to no route at all is a 4xx too', async () => {
  for (const [face, url] of [['vb365', '/nowhere'], ['vspc', '/TALLY/V1/LICENSES/VB365']] as const) {
    const res = await app[face].inject({ method: 'DELETE', url, headers: { 'content-type': 'application/json' }, payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${face} ${url}: ${res.statusCode} ${res.body}`);
  }
});
