/**
 * Token lifecycle: rotation and families, reuse of a spent refresh token, revocation (VSPC
 * `DELETE /users/{userUid}/tokens`, the admin API, the session logout), sessions ended by a
 * password change, disabling or deleting, expiry on the wall clock, and tokens stored as hashes.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthService, DEFAULT_AUTH_OPTIONS, hashToken } from '../../src/services/auth.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { accepted, auditEntries, bearer, grant, login, uidOf } from './helpers.js';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
});
after(() => app.close());

const refreshWith = (face: 'vb365' | 'vspc', refresh: string, address?: string) =>
  grant(app, face, { grant_type: 'refresh_token', refresh_token: refresh }, address);

describe('refresh tokens rotate and are single-use', () => {
  test('a refresh issues a new pair in the same family; the old refresh token is spent', async () => {
    await app.tokenFor('rotor', ['PortalAdministrator']);
    const first = await login(app, 'rotor', 'password-of-rotor');
    const res = await refreshWith('vb365', first.refresh);
    assert.equal(res.statusCode, 200, res.body);
    const second = { access: res.json().access_token as string, refresh: res.json().refresh_token as string };
    assert.notEqual(second.access, first.access);
    assert.notEqual(second.refresh, first.refresh);
    // Both access tokens stay valid until they expire: rotation spends refresh tokens only.
    assert.ok(await accepted(app, first.access));
    assert.ok(await accepted(app, second.access));
    const third = await refreshWith('vspc', second.refresh);
    assert.equal(third.statusCode, 200);
  });

  test('presenting a spent refresh token revokes its whole family, and only that family', async () => {
    await app.tokenFor('victim', ['PortalAdministrator']);
    const stolen = await login(app, 'victim', 'password-of-victim');
    const otherDevice = await login(app, 'victim', 'password-of-victim', 'vb365');
    // The legitimate client rotates twice.
    const r1 = (await refreshWith('vspc', stolen.refresh)).json();
    const r2 = (await refreshWith('vspc', r1.refresh_token)).json();
    assert.ok(await accepted(app, r2.access_token));
    // The thief replays the first, already spent, refresh token.
    const replay = await refreshWith('vspc', stolen.refresh, '203.0.113.7');
    assert.equal(replay.statusCode, 400);
    assert.deepEqual(replay.json(), { error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or already used.' });
    // Every token of that family is gone: the access tokens and the current refresh token.
    for (const token of [stolen.access, r1.access_token, r2.access_token]) assert.equal(await accepted(app, token), false);
    assert.equal((await refreshWith('vspc', r2.refresh_token)).statusCode, 400);
    // The login on the other device is another family and lives on.
    assert.ok(await accepted(app, otherDevice.access));
    assert.equal((await refreshWith('vb365', otherDevice.refresh)).statusCode, 200);
    // The reuse is in the audit log with the presenter's address.
    const [entry] = await auditEntries(app, 'action=token.reuse_detected');
    assert.equal(entry?.target, 'account/victim');
    assert.equal(entry?.clientAddress, '203.0.113.7');
    assert.equal(entry?.actor, 'anonymous');
    assert.equal(entry?.details.tokensRevoked, 6, 'three access tokens, two spent refresh tokens and the current one');
  });

  test('an access token is not a refresh token, and a refresh token is not an access token', async () => {
    const pair = await login(app, 'admin', 'test-admin-password');
    assert.equal((await refreshWith('vspc', pair.access)).statusCode, 400);
    assert.equal(await accepted(app, pair.refresh), false);
    assert.ok(await accepted(app, pair.access), 'presenting the access token as a refresh token revoked nothing');
  });

  test('two refreshes with one token at once: at most one pair survives', async () => {
    await app.tokenFor('racer', ['PortalAdministrator']);
    const pair = await login(app, 'racer', 'password-of-racer');
    const [a, b] = await Promise.all([refreshWith('vspc', pair.refresh), refreshWith('vb365', pair.refresh)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    assert.deepEqual(statuses, [200, 400]);
    // The loser presented a spent token: the family, including the winner's new pair, is revoked.
    const winner = (a.statusCode === 200 ? a : b).json();
    assert.equal(await accepted(app, winner.access_token), false);
  });
});

describe('revocation', () => {
  test('VSPC DELETE /users/{userUid}/tokens: the user itself, every token, answered {"data":true}', async () => {
    const own = await app.tokenFor('leaver', ['ServiceProviderOperator']);
    const second = await login(app, 'leaver', 'password-of-leaver', 'vb365');
    const uid = await uidOf(app, 'leaver');
    const res = await app.vspc.inject({ method: 'DELETE', url: `/api/v3/users/${uid.toUpperCase()}/tokens`, headers: bearer(own) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.body, '{"data":true}');
    assert.match(res.headers['content-type'] as string, /^application\/json; charset=utf-8/);
    for (const token of [own, second.access]) assert.equal(await accepted(app, token), false);
    assert.equal((await refreshWith('vspc', second.refresh)).statusCode, 400);
  });

  test('VSPC DELETE /users/{userUid}/tokens: another user only for Portal Administrators; 403 before any lookup', async () => {
    const mine = await app.tokenFor('nosy', ['ServiceProviderAdministrator']);
    const theirs = await app.tokenFor('target', ['ServiceProviderAdministrator']);
    const targetUid = await uidOf(app, 'target');
    const refused = await app.vspc.inject({ method: 'DELETE', url: `/api/v3/users/${targetUid}/tokens`, headers: bearer(mine) });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().errors[0].type, 'security');
    const unknown = await app.vspc.inject({ method: 'DELETE', url: '/api/v3/users/00000000-0000-4000-8000-000000000000/tokens', headers: bearer(mine) });
    assert.equal(unknown.statusCode, 403, 'a missing uid looks like any other foreign one');
    assert.ok(await accepted(app, theirs));
    const byAdmin = await app.vspc.inject({ method: 'DELETE', url: `/api/v3/users/${targetUid}/tokens?userLoginId=7`, headers: bearer(app.adminToken) });
    assert.equal(byAdmin.statusCode, 200);
    assert.equal(await accepted(app, theirs), false);
    assert.ok(await accepted(app, mine));
    const missing = await app.vspc.inject({ method: 'DELETE', url: '/api/v3/users/00000000-0000-4000-8000-000000000000/tokens', headers: bearer(app.adminToken) });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().errors[0].type, 'logical');
    const malformed = await app.vspc.inject({ method: 'DELETE', url: '/api/v3/users/not-a-uid/tokens', headers: bearer(app.adminToken) });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().errors[0].parameterName, 'userUid');
    const badLogin = await app.vspc.inject({ method: 'DELETE', url: `/api/v3/users/${targetUid}/tokens?userLoginId=x`, headers: bearer(app.adminToken) });
    assert.equal(badLogin.statusCode, 400);
  });

  test('DELETE /tally/v1/session ends only the calling session; DELETE /tally/v1/users/{name}/tokens ends all', async () => {
    await app.tokenFor('twodevices', ['Vb365Administrator']);
    const laptop = await login(app, 'twodevices', 'password-of-twodevices', 'vb365');
    const phone = await login(app, 'twodevices', 'password-of-twodevices', 'vb365');
    const out = await app.vb365.inject({ method: 'DELETE', url: '/tally/v1/session', headers: bearer(laptop.access) });
    assert.equal(out.statusCode, 204);
    assert.equal(await accepted(app, laptop.access), false);
    assert.equal((await refreshWith('vb365', laptop.refresh)).statusCode, 400);
    assert.ok(await accepted(app, phone.access));
    const all = await app.vb365.inject({ method: 'DELETE', url: '/tally/v1/users/twodevices/tokens', headers: bearer(app.adminToken) });
    assert.equal(all.statusCode, 204);
    assert.equal(await accepted(app, phone.access), false);
    const missing = await app.vb365.inject({ method: 'DELETE', url: '/tally/v1/users/nobody-at-all/tokens', headers: bearer(app.adminToken) });
    assert.equal(missing.statusCode, 404);
  });
});

describe('a password change, disabling or deleting an account ends its sessions', () => {
  for (const [what, change] of [
    ['a new password', (name: string) => ({ method: 'PUT' as const, payload: { password: 'another-password-1', roles: ['CompanyOwner'] }, url: `/tally/v1/users/${name}` })],
    ['disabling', (name: string) => ({ method: 'PUT' as const, payload: { roles: ['CompanyOwner'], disabled: true }, url: `/tally/v1/users/${name}` })],
    ['deleting', (name: string) => ({ method: 'DELETE' as const, url: `/tally/v1/users/${name}` })],
  ] as const) {
    test(what, async () => {
      const name = `ends-${what.replace(/\W/g, '')}`;
      const first = await app.tokenFor(name, ['CompanyOwner']);
      const pair = await login(app, name, `password-of-${name}`, 'vb365');
      const res = await app.vspc.inject({ ...change(name), headers: bearer(app.adminToken) });
      assert.ok(res.statusCode === 200 || res.statusCode === 204, res.body);
      for (const token of [first, pair.access]) assert.equal(await accepted(app, token), false);
      assert.equal((await refreshWith('vspc', pair.refresh)).statusCode, 400);
    });
  }

  test('a change of roles keeps the sessions, and takes effect on the next request', async () => {
    const token = await app.tokenFor('promoted', ['ReadOnlyUser']);
    assert.equal((await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(token) })).statusCode, 403);
    await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/promoted', headers: bearer(app.adminToken), payload: { roles: ['PortalAdministrator'] } });
    assert.equal((await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(token) })).statusCode, 200);
  });
});

describe('expiry and storage', () => {
  test('an access token expires an hour after it was issued, on the wall clock', async () => {
    await app.tokenFor('sleeper', ['PortalAdministrator']);
    // Issued on a wall clock 61 minutes behind: it expired a minute ago.
    const past = new AuthService(app.ctx.store.db, DEFAULT_AUTH_OPTIONS, () => Date.now() - 61 * 60_000);
    const old = (await past.login('sleeper', 'password-of-sleeper'))!;
    assert.equal(old.expiresIn, 3600);
    const res = await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(old.accessToken) });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.message, 'The access token has expired.');
    // Its refresh token (14 days) still works.
    assert.equal((await refreshWith('vspc', old.refreshToken)).statusCode, 200);
    // Moving the time-travel clock does not touch token lifetimes.
    const fresh = (await past.login('sleeper', 'password-of-sleeper'))!;
    const recent = await login(app, 'sleeper', 'password-of-sleeper');
    await app.vspc.inject({ method: 'PUT', url: '/tally/v1/clock', headers: bearer(app.adminToken), payload: { now: '2027-06-01T00:00:00Z' } });
    assert.ok(await accepted(app, recent.access));
    assert.equal(await accepted(app, fresh.accessToken), false);
  });

  test('the database holds SHA-256 hashes of tokens, never the tokens', async () => {
    const pair = await login(app, 'admin', 'test-admin-password');
    const rows = await app.ctx.store.db.selectFrom('tokens').select(['token_hash', 'family_id', 'kind']).execute();
    const hashes = new Set(rows.map((r) => r.token_hash));
    assert.ok(hashes.has(hashToken(pair.access)) && hashes.has(hashToken(pair.refresh)));
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(pair.access) && !text.includes(pair.refresh));
    // 256 random bits, base64url.
    assert.match(pair.access, /^[A-Za-z0-9_-]{43}$/);
    const family = rows.filter((r) => r.token_hash === hashToken(pair.access) || r.token_hash === hashToken(pair.refresh));
    assert.equal(new Set(family.map((r) => r.family_id)).size, 1, 'the pair of one login shares a family');
  });
});
