/**
 * The audit log: an entry for each kind of change (who, when, from where, what), never a secret,
 * queryable by Portal Administrators only, dated on the wall clock rather than the time-travel clock;
 * and every refusal (failed and throttled logins, 401, 403, API-key use), rate-limited, with one
 * structured log line each.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildFaceApp } from '../../src/http/app.js';
import { RefusalLimiter, redactSecrets, REDACTED } from '../../src/services/audit.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { auditEntries, bearer, grant, login, type AuditEntryView } from './helpers.js';

const CLOCK = '2026-11-23T12:00:00Z';
const ORG = '0a000000-0000-4000-8000-00000000b001';
const RESELLER = '0b000000-0000-4000-8000-00000000b001';
const COMPANY = '0c000000-0000-4000-8000-00000000b001';
const ADDRESS = '198.51.100.23';
const SCOPE_RESELLER = '0b000000-0000-4000-8000-00000000b0ff';
const ZERO = '00000000-0000-0000-0000-000000000000';

let app: TestApp;
const secrets: string[] = [];
let startedAt: number;

before(async () => {
  startedAt = Date.now();
  app = await startTestApp({ clock: CLOCK });
  secrets.push('test-admin-password', app.adminToken);
  // Scopes of the reseller and company roles below must exist (written without an audit entry).
  await app.ctx.store.db.insertInto('resellers').values({ uid: SCOPE_RESELLER, name: 'Scope reseller' }).execute();
  await app.ctx.store.db.insertInto('companies').values({ uid: COMPANY, name: 'Company B', reseller_uid: null, tenant_uid: null }).execute();
});
after(() => app.close());

/** A request as the admin from ADDRESS; fails the test unless it succeeds. */
async function change(method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: object, face: 'vb365' | 'vspc' = 'vspc') {
  const res = await app[face].inject({ method, url, headers: bearer(app.adminToken), remoteAddress: ADDRESS, ...(payload ? { payload } : {}) });
  assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  return res;
}

async function only(action: string, target?: string): Promise<AuditEntryView> {
  const found = (await auditEntries(app, `action=${action}`)).filter((e) => target === undefined || e.target === target);
  assert.equal(found.length, 1, `${action} ${target ?? ''}: ${JSON.stringify(found)}`);
  return found[0]!;
}

describe('every kind of change is recorded', () => {
  test('accounts: create, update, password reset, disable, enable, delete', async () => {
    await change('PUT', '/tally/v1/users/auditee', { password: 'first-secret-pw', roles: ['ReadOnlyUser'] });
    secrets.push('first-secret-pw');
    const created = await only('account.create', 'account/auditee');
    assert.equal(created.actor, 'admin');
    assert.match(created.actorUid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.clientAddress, ADDRESS);
    assert.deepEqual(created.details.roles, ['ReadOnlyUser']);
    const at = Date.parse(created.at);
    assert.ok(at >= startedAt && at <= Date.now(), 'the wall clock, not the time-travel clock');

    const session = await login(app, 'auditee', 'first-secret-pw');
    secrets.push(session.access, session.refresh);
    await change('PUT', '/tally/v1/users/auditee', { password: 'second-secret-pw', roles: ['ReadOnlyUser', 'CompanyOwner'], scopeUid: COMPANY });
    secrets.push('second-secret-pw');
    const updated = await only('account.update', 'account/auditee');
    assert.deepEqual(updated.details.changes, { roles: { from: ['ReadOnlyUser'], to: ['ReadOnlyUser', 'CompanyOwner'] }, scopeUid: { from: null, to: COMPANY } });
    const reset = await only('account.password_reset', 'account/auditee');
    assert.equal(reset.details.sessionsEnded, 2);

    await change('PUT', '/tally/v1/users/auditee', { roles: ['ReadOnlyUser', 'CompanyOwner'], scopeUid: COMPANY, disabled: true });
    await only('account.disable', 'account/auditee');
    await change('PUT', '/tally/v1/users/auditee', { roles: ['ReadOnlyUser', 'CompanyOwner'], scopeUid: COMPANY });
    await only('account.enable', 'account/auditee');
    // The same PUT again changes nothing and records nothing.
    const count = (await auditEntries(app)).length;
    await change('PUT', '/tally/v1/users/auditee', { roles: ['ReadOnlyUser', 'CompanyOwner'], scopeUid: COMPANY });
    assert.equal((await auditEntries(app)).length, count);

    await change('DELETE', '/tally/v1/users/auditee');
    const deleted = await only('account.delete', 'account/auditee');
    assert.equal(deleted.details.uid, created.details.uid);
  });

  test('tokens: revocation through VSPC, the admin API and the logout; reuse of a spent refresh token', async () => {
    await change('PUT', '/tally/v1/users/revokee', { password: 'revokee-secret', roles: ['ServiceProviderUser'], scopeUid: SCOPE_RESELLER });
    secrets.push('revokee-secret');
    const uid = (await app.vspc.inject({ url: '/tally/v1/users/revokee', headers: bearer(app.adminToken) })).json().uid;
    const pair = await login(app, 'revokee', 'revokee-secret');
    secrets.push(pair.access, pair.refresh);
    await change('DELETE', `/api/v3/users/${uid}/tokens`);
    await change('DELETE', '/tally/v1/users/revokee/tokens');
    const mine = await login(app, 'revokee', 'revokee-secret');
    secrets.push(mine.access, mine.refresh);
    const out = await app.vb365.inject({ method: 'DELETE', url: '/tally/v1/session', headers: bearer(mine.access), remoteAddress: ADDRESS });
    assert.equal(out.statusCode, 204);
    const revocations = (await auditEntries(app, 'action=token.revoke')).filter((e) => e.target === 'account/revokee');
    assert.deepEqual(revocations.map((e) => [e.actor, e.details.scope, e.details.tokensRevoked]), [
      ['revokee', 'session', 2],
      ['admin', 'all', 0],
      ['admin', 'all', 2],
    ]);
    const again = await login(app, 'revokee', 'revokee-secret');
    secrets.push(again.access, again.refresh);
    const next = (await grant(app, 'vb365', { grant_type: 'refresh_token', refresh_token: again.refresh })).json();
    secrets.push(next.access_token, next.refresh_token);
    await grant(app, 'vspc', { grant_type: 'refresh_token', refresh_token: again.refresh }, ADDRESS);
    const reuse = await only('token.reuse_detected', 'account/revokee');
    assert.equal(reuse.clientAddress, ADDRESS);
  });

  test('API keys: create and delete, never the key', async () => {
    await change('PUT', '/tally/v1/users/robot', { password: 'robot-secret-pw', roles: ['Ingest'] });
    secrets.push('robot-secret-pw');
    const created = (await change('POST', '/tally/v1/users/robot/apikeys', { name: 'collector', readOnly: true })).json();
    secrets.push(created.key);
    const entry = await only('apikey.create', 'account/robot');
    assert.deepEqual(entry.details, { keyId: created.id, name: 'collector', readOnly: true });
    await change('DELETE', `/tally/v1/users/robot/apikeys/${created.id}`);
    assert.equal((await only('apikey.delete', 'account/robot')).details.keyId, created.id);
  });

  test('entities and licenses', async () => {
    await change('PUT', `/tally/v1/resellers/${RESELLER}`, { name: 'Reseller B' });
    assert.deepEqual((await only('reseller.upsert', `reseller/${RESELLER}`)).details, { name: 'Reseller B' });
    await change('PUT', `/tally/v1/companies/${COMPANY}`, { name: 'Company B', resellerUid: RESELLER });
    assert.equal((await only('company.upsert', `company/${COMPANY}`)).details.resellerUid, RESELLER);
    await change('PUT', `/tally/v1/organizations/${ORG}`, { name: 'b.onmicrosoft.com', companyUid: COMPANY });
    assert.equal((await only('organization.upsert', `organization/${ORG}`)).details.name, 'b.onmicrosoft.com');
    await change('PUT', '/tally/v1/licenses/vb365', { type: 'Subscription', totalNumber: 10, expirationDate: '2027-12-31T00:00:00Z' });
    assert.equal((await only('license.put', 'license/vb365')).details.totalNumber, 10);
    await change('PUT', '/tally/v1/licenses/vspc', { type: 'Rental', units: 100, expirationDate: '2027-12-31T00:00:00Z' });
    await change('DELETE', '/tally/v1/licenses/vspc');
    await only('license.delete', 'license/vspc');
  });

  test('event batches (their size, not their contents), VB365 revocations and clock moves', async () => {
    const events = [
      { id: 'audit-b1', type: 'vb365.backup', at: '2026-11-20T00:00:00Z', organizationId: ORG, user: { id: 'u-audit', name: 'confidential-name@b.example' } },
      { id: 'audit-rm', type: 'vb365.dataRemoved', at: '2026-11-21T00:00:00Z', organizationId: ORG, userId: 'u-audit' },
    ];
    await change('POST', '/tally/v1/events', { events });
    await change('POST', '/tally/v1/events', { events });
    const batches = await auditEntries(app, 'action=events.ingest');
    assert.deepEqual(batches.map((e) => e.details), [
      { count: 2, accepted: 0, duplicates: 2 },
      { count: 2, accepted: 2, duplicates: 0 },
    ]);
    assert.ok(!JSON.stringify(batches).includes('confidential-name'), 'no event contents');

    await change('DELETE', `/v6/LicensedUsers/u-audit:${ZERO}`, undefined, 'vb365');
    const revoked = await only('vb365.license_revoke', `licensed-user/u-audit:${ZERO}`);
    assert.deepEqual([revoked.details.organizationId, revoked.details.userId], [ORG, 'u-audit']);

    await change('PUT', '/tally/v1/clock', { now: '2027-01-01T00:00:00Z' });
    const moved = await only('clock.set', 'clock');
    assert.deepEqual(moved.details, { from: '2026-11-23T12:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
    assert.ok(Date.parse(moved.at) < Date.parse('2027-01-01T00:00:00Z'), 'dated on the wall clock');
  });
});

describe('reading the log', () => {
  test('no entry contains a password, a token or an API key', async () => {
    const all = JSON.stringify(await auditEntries(app));
    assert.ok(secrets.length > 10);
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret appears in the audit log: ${secret.slice(0, 4)}…`);
    const rows = JSON.stringify(await app.ctx.store.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of secrets) assert.ok(!rows.includes(secret));
  });

  test('secret-looking keys are redacted whatever a caller passes; booleans about them stay', () => {
    assert.deepEqual(
      redactSecrets({ password: 'p', nested: [{ refresh_token: 't', apiKey: 'k', name: 'n' }], passwordChanged: true, Authorization: 'Bearer x' }),
      { password: REDACTED, nested: [{ refresh_token: REDACTED, apiKey: REDACTED, name: 'n' }], passwordChanged: true, Authorization: REDACTED },
    );
  });

  test('filters, paging, newest first', async () => {
    const all = await auditEntries(app);
    assert.ok(all.length > 20);
    const ids = all.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    const accounts = await auditEntries(app, 'action=account.*');
    assert.ok(accounts.length >= 6 && accounts.every((e) => e.action.startsWith('account.')));
    const byRevokee = await auditEntries(app, 'actor=revokee');
    assert.ok(byRevokee.length >= 1 && byRevokee.every((e) => e.actor === 'revokee'));
    const none = await auditEntries(app, `since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.equal(none.length, 0);
    const page = (await app.vspc.inject({ url: '/tally/v1/audit?limit=2&offset=1', headers: bearer(app.adminToken) })).json();
    assert.equal(page.total, all.length);
    assert.deepEqual(page.entries.map((e: AuditEntryView) => e.id), ids.slice(1, 3));
    for (const bad of ['limit=0', 'limit=1001', 'offset=-1', 'action=DROP%20TABLE', 'since=yesterday', 'other=1']) {
      const res = await app.vspc.inject({ url: `/tally/v1/audit?${bad}`, headers: bearer(app.adminToken) });
      assert.equal(res.statusCode, 400, bad);
    }
  });

  test('Portal Administrators only', async () => {
    for (const role of ['ServiceProviderGlobalAdministrator', 'Vb365Administrator', 'ReadOnlyUser', 'Ingest']) {
      const token = await app.tokenFor(`reader-${role}`, [role], role.startsWith('ServiceProvider') ? SCOPE_RESELLER : undefined);
      assert.equal((await app.vb365.inject({ url: '/tally/v1/audit', headers: bearer(token) })).statusCode, 403, role);
    }
    assert.equal((await app.vb365.inject({ url: '/tally/v1/audit' })).statusCode, 401);
  });
});

describe('every refusal leaves a trace (rate-limited)', () => {
  const since = () => `since=${encodeURIComponent(new Date(startedAt).toISOString())}`;
  const refusals = async (action: string, clientAddress: string) =>
    (await auditEntries(app, `action=${action}&${since()}`)).filter((e) => e.clientAddress === clientAddress);

  test('failed logins: the user name as given, the address and the reason; throttled logins too', async () => {
    await app.tokenFor('refused-user', ['Vb365Administrator']);
    const address = '203.0.113.1';
    const attempts: [string, string][] = [
      ['refused-user', 'wrong-password-here'],
      ['no-such-account', 'whatever-password'],
      ['bad\u0000name\u202e', 'whatever-password'],
    ];
    for (const [username, password] of attempts) {
      assert.equal((await grant(app, 'vb365', { grant_type: 'password', username, password }, address)).statusCode, 400);
    }
    const failed = await refusals('login.failed', address);
    const byName = new Map(failed.map((e) => [e.details.username, e]));
    assert.equal(byName.get('refused-user')?.details.reason, 'wrong-password');
    assert.equal(byName.get('no-such-account')?.details.reason, 'unknown-account');
    assert.equal(byName.get('bad\\u0000name\\u202e')?.details.reason, 'impossible-name');
    for (const entry of failed) {
      assert.equal(entry.actor, 'anonymous');
      assert.equal(entry.target, `account/${entry.details.username}`);
    }
    // Five failures lock the account from this address: the next try is throttled and says which lock.
    for (let i = 0; i < 4; i++) await grant(app, 'vspc', { grant_type: 'password', username: 'refused-user', password: 'again-wrong' }, address);
    assert.equal((await grant(app, 'vspc', { grant_type: 'password', username: 'refused-user', password: 'password-of-refused-user' }, address)).statusCode, 429);
    const [throttled] = await refusals('login.throttled', address);
    assert.equal(throttled?.details.username, 'refused-user');
    assert.ok(['account', 'account-address'].includes(String(throttled?.details.scope)));
    assert.ok(Number(throttled?.details.retryAfter) > 0);
  });

  test('401 and 403 on protected routes: reason, route, account and address', async () => {
    const address = '203.0.113.2';
    await app.vb365.inject({ url: '/v6/LicensedUsers', remoteAddress: address });
    await app.vspc.inject({ url: '/api/v3/licensing/console', headers: bearer('not-a-token'), remoteAddress: address });
    const unauthenticated = await refusals('auth.unauthenticated', address);
    assert.deepEqual(unauthenticated.map((e) => e.details.reason).sort(), ['invalid', 'missing']);
    assert.ok(unauthenticated.some((e) => e.target === 'route/GET /v6/LicensedUsers' && e.details.path === '/v6/LicensedUsers'));

    const token = await app.tokenFor('refused-reader', ['ReadOnlyUser']);
    assert.equal((await app.vspc.inject({ url: '/tally/v1/users', headers: bearer(token), remoteAddress: address })).statusCode, 403);
    const [forbidden] = await refusals('auth.forbidden', address);
    assert.equal(forbidden?.actor, 'refused-reader');
    assert.equal(forbidden?.details.reason, 'role');
    assert.equal(forbidden?.target, 'route/GET /tally/v1/users');
  });

  test('a confined account naming a foreign object is answered as if it were missing, and the refusal is recorded', async () => {
    const address = '203.0.113.6';
    const foreign = '0c000000-0000-4000-8000-00000000b0aa';
    await app.ctx.store.db.insertInto('companies').values({ uid: foreign, name: 'Someone else', reseller_uid: null, tenant_uid: null }).execute();
    const token = await app.tokenFor('confined-owner', ['CompanyOwner'], COMPANY);
    const url = (uid: string) => `/api/v3/organizations/companies/${uid}`;
    const missing = await app.vspc.inject({ url: url('0c000000-0000-4000-8000-00000000b0bb'), headers: bearer(token), remoteAddress: address });
    const refused = await app.vspc.inject({ url: url(foreign), headers: bearer(token), remoteAddress: address });
    assert.equal(refused.statusCode, 404);
    assert.equal(refused.body.replace(foreign, 'X'), missing.body.replace('0c000000-0000-4000-8000-00000000b0bb', 'X'), 'a foreign company answers as a missing one');
    const [entry, ...rest] = await refusals('scope.refused', address);
    assert.equal(rest.length, 0, 'the missing company is no refusal');
    assert.equal(entry?.actor, 'confined-owner');
    assert.equal(entry?.target, `company/${foreign}`);
    assert.equal(entry?.details.scopeUid, COMPANY);
  });

  test('a read-only API key refused a change, and API-key use, are recorded', async () => {
    const address = '203.0.113.3';
    await app.tokenFor('key-owner', ['PortalAdministrator']);
    const created = await app.vspc.inject({ method: 'POST', url: '/tally/v1/users/key-owner/apikeys', headers: bearer(app.adminToken), payload: { name: 'ro', readOnly: true } });
    const key = created.json().key as string;
    secrets.push(key);
    assert.equal((await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(key), remoteAddress: address })).statusCode, 200);
    assert.equal((await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(key), remoteAddress: address })).statusCode, 200);
    const refused = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/clock', headers: bearer(key), remoteAddress: address, payload: { now: CLOCK } });
    assert.equal(refused.statusCode, 403);
    const [forbidden] = await refusals('auth.forbidden', address);
    assert.equal(forbidden?.details.reason, 'read-only-key');
    assert.equal(forbidden?.actor, 'key-owner');
    // Use of a key: the first in ten minutes is an entry (the next one will count those between).
    const uses = await refusals('apikey.use', address);
    assert.equal(uses.length, 1);
    assert.equal(uses[0]?.target, `apikey/${created.json().id}`);
    assert.equal(uses[0]?.actor, 'key-owner');
  });

  test('a flood of refusals from one address writes at most ten entries a minute', async () => {
    const address = '203.0.113.4';
    for (let i = 0; i < 60; i++) await app.vb365.inject({ url: '/v6/License', remoteAddress: address });
    assert.equal((await refusals('auth.unauthenticated', address)).length, 10);
  });

  test('the entries left out are counted in the next entry written for that address', () => {
    let now = 0;
    const limiter = new RefusalLimiter(2, 60_000, () => now);
    assert.deepEqual([1, 2, 3, 4, 5].map(() => limiter.admit('k').write), [true, true, false, false, false]);
    now = 60_000;
    assert.deepEqual(limiter.admit('k'), { write: true, suppressed: 3 });
    assert.deepEqual(limiter.admit('k'), { write: true, suppressed: 0 });
    assert.deepEqual(limiter.admit('other'), { write: true, suppressed: 0 });
  });

  test('each refusal is also one structured log line (pino, through the request logger)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const face = await buildFaceApp('vb365', app.ctx, { loggerInstance: logger });
    try {
      const address = '203.0.113.5';
      await face.inject({ url: '/v6/LicensedUsers', remoteAddress: address });
      await face.inject({
        method: 'POST', url: '/v6/token', remoteAddress: address,
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=ghost&password=nope-nope',
      });
      const records = lines.map((line) => JSON.parse(line)).filter((record) => record.audit);
      assert.deepEqual(records.map((r) => r.msg), ['auth.unauthenticated', 'login.failed']);
      for (const record of records) {
        assert.equal(record.level, 40);
        assert.equal(record.audit.client_address, address);
      }
      assert.equal(records[1].audit.details.username, 'ghost');
      assert.ok(!lines.join('').includes('nope-nope'), 'the password is never logged');
    } finally {
      await face.close();
    }
  });
});
