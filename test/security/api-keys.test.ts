/**
 * API keys: made through the admin API, shown once, stored as hashes, usable as bearer tokens; read-only keys read only.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashToken } from '../../src/services/auth.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

const COMPANY = '0c000000-0000-4000-8000-00000000a001';
const TENANT = '0d000000-0000-4000-8000-00000000a001';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Keyed', tenantUid: TENANT });
  await app.tokenFor('integration', ['PortalAdministrator', 'Vb365Administrator']);
});
after(() => app.close());

async function createKey(username: string, body: object) {
  const res = await app.vspc.inject({ method: 'POST', url: `/tally/v1/users/${username}/apikeys`, headers: bearer(app.adminToken), payload: body });
  return res;
}

test('a key is shown once, listed without its secret, and stored only as its hash', async () => {
  const res = await createKey('integration', { name: 'PSA sync' });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  const created = res.json();
  assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'key', 'name', 'readOnly']);
  assert.equal(created.readOnly, false);
  assert.match(created.key, /^[A-Za-z0-9_-]{43}$/);
  const list = await app.vspc.inject({ url: '/tally/v1/users/integration/apikeys', headers: bearer(app.adminToken) });
  assert.equal(list.statusCode, 200);
  assert.deepEqual(list.json(), [{ id: created.id, name: 'PSA sync', readOnly: false, createdAt: created.createdAt }]);
  assert.ok(!list.body.includes(created.key));
  const rows = await app.ctx.store.db.selectFrom('api_keys').selectAll().execute();
  assert.ok(!JSON.stringify(rows).includes(created.key));
  assert.ok(rows.some((r) => r.key_hash === hashToken(created.key)));
});

test('a key is a bearer token on both faces and the admin API, with its account\'s roles', async () => {
  const { key } = (await createKey('integration', { name: 'full' })).json();
  const vspc = await app.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`, headers: bearer(key) });
  assert.equal(vspc.statusCode, 200, vspc.body);
  assert.equal((await app.vb365.inject({ url: '/v6/License', headers: bearer(key) })).statusCode, 200);
  assert.equal((await app.vspc.inject({ method: 'PUT', url: `/tally/v1/resellers/${COMPANY}`, headers: bearer(key), payload: { name: 'Via key' } })).statusCode, 200);
  // A key of an account without the role is refused like any token of that account.
  await app.tokenFor('reader', ['ReadOnlyUser']);
  const { key: weak } = (await createKey('reader', { name: 'weak' })).json();
  assert.equal((await app.vb365.inject({ url: '/v6/License', headers: bearer(weak) })).statusCode, 403);
});

test('a read-only key may GET; any other method is 403 in the face\'s dialect', async () => {
  const res = await createKey('integration', { name: 'reporting', readOnly: true });
  const { key } = res.json();
  assert.equal(res.json().readOnly, true);
  assert.equal((await app.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`, headers: bearer(key) })).statusCode, 200);
  assert.equal((await app.vb365.inject({ url: '/v6/LicensedUsers', headers: bearer(key) })).statusCode, 200);
  assert.equal((await app.vspc.inject({ url: '/tally/v1/users', headers: bearer(key) })).statusCode, 200);

  const vb = await app.vb365.inject({ method: 'DELETE', url: '/v6/LicensedUsers/a:b', headers: bearer(key) });
  assert.equal(vb.statusCode, 403);
  assert.ok(typeof vb.json().message === 'string');
  const vspc = await app.vspc.inject({ method: 'DELETE', url: '/api/v3/users/00000000-0000-4000-8000-000000000000/tokens', headers: bearer(key) });
  assert.equal(vspc.statusCode, 403);
  assert.equal(vspc.json().errors[0].type, 'security');
  const tally = await app.vspc.inject({ method: 'PUT', url: `/tally/v1/resellers/${COMPANY}`, headers: bearer(key), payload: { name: 'Nope' } });
  assert.equal(tally.statusCode, 403);
  assert.equal(tally.json().error.code, 'forbidden');
  const events = await app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: bearer(key), payload: { events: [] } });
  assert.equal(events.statusCode, 403);
  assert.equal((await app.vspc.inject({ url: `/tally/v1/resellers/${COMPANY}`, headers: bearer(app.adminToken) })).json().name, 'Via key');
});

test('a deleted key, or a key of a disabled or deleted account, is rejected', async () => {
  await app.tokenFor('temporary', ['PortalAdministrator']);
  const a = (await createKey('temporary', { name: 'a' })).json();
  const b = (await createKey('temporary', { name: 'b' })).json();
  const ok = (key: string) => app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(key) });
  assert.equal((await ok(a.key)).statusCode, 200);
  const removed = await app.vspc.inject({ method: 'DELETE', url: `/tally/v1/users/temporary/apikeys/${a.id}`, headers: bearer(app.adminToken) });
  assert.equal(removed.statusCode, 204);
  assert.equal((await ok(a.key)).statusCode, 401);
  assert.equal((await app.vspc.inject({ method: 'DELETE', url: `/tally/v1/users/temporary/apikeys/${a.id}`, headers: bearer(app.adminToken) })).statusCode, 404);

  await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/temporary', headers: bearer(app.adminToken), payload: { roles: ['PortalAdministrator'], disabled: true } });
  assert.equal((await ok(b.key)).statusCode, 401);
  await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/temporary', headers: bearer(app.adminToken), payload: { roles: ['PortalAdministrator'], disabled: false } });
  assert.equal((await ok(b.key)).statusCode, 200, 'disabling suspends keys; enabling resumes them');
  await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/temporary', headers: bearer(app.adminToken) });
  assert.equal((await ok(b.key)).statusCode, 401);
  const leftovers = await app.ctx.store.db.selectFrom('api_keys').select('id').where('username', '=', 'temporary').execute();
  assert.equal(leftovers.length, 0);
});

test('an API key is not a session: the session logout refuses it', async () => {
  const { key } = (await createKey('integration', { name: 'logout' })).json();
  const res = await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/session', headers: bearer(key) });
  assert.equal(res.statusCode, 409);
});

test('bad input changes nothing', async () => {
  const before = (await app.ctx.store.db.selectFrom('api_keys').select('id').execute()).length;
  for (const body of [{}, { name: '' }, { name: 'x', readOnly: 'yes' }, { name: 'x', extra: 1 }, { name: 'a\u0000b' }]) {
    const res = await createKey('integration', body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(res.json().error.code, 'validation_failed');
  }
  assert.equal((await createKey('nobody-here', { name: 'x' })).statusCode, 404);
  assert.equal((await app.vspc.inject({ url: '/tally/v1/users/nobody-here/apikeys', headers: bearer(app.adminToken) })).statusCode, 404);
  assert.equal((await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/integration/apikeys/not-a-uuid', headers: bearer(app.adminToken) })).statusCode, 400);
  assert.equal((await app.ctx.store.db.selectFrom('api_keys').select('id').execute()).length, before);
});
