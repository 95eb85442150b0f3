/**
 * Login throttling per account and per client address, in each face's dialect (the owner's side:
 * test/security/lockout.test.ts).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
const OPS_RESELLER = '0b000000-0000-4000-8000-0000000000e1';
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await app.ctx.store.db.insertInto('resellers').values({ uid: OPS_RESELLER, name: 'Ops' }).execute();
  await app.tokenFor('ops', ['ServiceProviderAdministrator'], OPS_RESELLER);
});
after(() => app.close());

const form = (username: string, password: string) => `grant_type=password&username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`;
const login = (face: 'vb365' | 'vspc', username: string, password: string, address: string) =>
  app[face].inject({
    method: 'POST',
    url: face === 'vb365' ? '/v6/token' : '/api/v3/token',
    payload: form(username, password),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    remoteAddress: address,
  });

test('five failed logins lock the account for the window, on both faces, whatever the password', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await login(i % 2 ? 'vb365' : 'vspc', 'admin', 'wrong', '10.0.0.1')).statusCode, 400);
  const vb = await login('vb365', 'admin', ADMIN_PASSWORD, '10.0.0.9');
  assert.equal(vb.statusCode, 429);
  const wait = Number(vb.headers['retry-after']);
  assert.ok(wait > 890 && wait <= 900, String(wait));
  assert.equal(vb.body, `{"message":"Too many failed logins; try again in ${wait} seconds."}`);
  const vspc = await login('vspc', 'ADMIN', ADMIN_PASSWORD, '10.0.0.9');
  assert.equal(vspc.statusCode, 429);
  const body = vspc.json();
  assert.equal(body.errors[0].type, 'transport');
  assert.equal(body.errors[0].code, 429);
  assert.ok(body.errors[0].retryAfter > 890);
  // Another account is not affected.
  assert.equal((await login('vspc', 'ops', 'password-of-ops', '10.0.0.9')).statusCode, 200);
});

test('twenty failed logins from one address lock that address for every account; other addresses are not affected', async () => {
  assert.equal((await login('vspc', 'ops', 'wrong', '10.0.0.3')).statusCode, 400);
  assert.equal((await login('vspc', 'ops', 'password-of-ops', '10.0.0.3')).statusCode, 200);
  for (let i = 0; i < 20; i++) assert.equal((await login('vb365', `nobody-${i}`, 'wrong', '10.0.0.2')).statusCode, 400);
  assert.equal((await login('vspc', 'ops', 'password-of-ops', '10.0.0.2')).statusCode, 429);
  assert.equal((await login('vspc', 'ops', 'password-of-ops', '10.0.0.4')).statusCode, 200);
});
