/**
 * A lockout that cannot be turned against the owner: failures are counted per (account,
 * address), per address and per account, and the account-wide lock spares the addresses the
 * account logged in from before. Locks are lifted by `POST /tally/v1/users/{username}/unlock`
 * and by `tally user unlock NAME` (no login needed: the last administrator always recovers).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/harness.js';
import { auditEntries, bearer, grant } from './helpers.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await app.tokenFor('owner', ['Vb365Administrator']);
  await app.tokenFor('helpdesk', ['Vb365Administrator']);
  await app.tokenFor('pair', ['Vb365Administrator']);
});
after(() => app.close());

const attempt = (username: string, password: string, address: string, face: 'vb365' | 'vspc' = 'vb365') =>
  grant(app, face, { grant_type: 'password', username, password }, address);

test('five wrong passwords from five addresses do not lock the owner out of their usual address; new addresses are locked', async () => {
  assert.equal((await attempt('owner', 'password-of-owner', '10.10.0.1')).statusCode, 200, 'the owner logs in from their desk');
  for (let i = 1; i <= 5; i++) assert.equal((await attempt('owner', 'wrong', `10.20.0.${i}`, i % 2 ? 'vb365' : 'vspc')).statusCode, 400);
  // The owner's usual address still works, on both faces.
  assert.equal((await attempt('owner', 'password-of-owner', '10.10.0.1')).statusCode, 200);
  assert.equal((await attempt('owner', 'password-of-owner', '10.10.0.1', 'vspc')).statusCode, 200);
  // An address the account never logged in from is locked (distributed guessing), whatever the password.
  const elsewhere = await attempt('owner', 'password-of-owner', '10.30.0.1');
  assert.equal(elsewhere.statusCode, 429);
  assert.ok(Number(elsewhere.headers['retry-after']) > 890);
});

test('five wrong passwords from one address lock that account from that address, even a known one; other accounts there are not locked', async () => {
  assert.equal((await attempt('pair', 'password-of-pair', '10.40.0.1')).statusCode, 200);
  for (let i = 0; i < 5; i++) assert.equal((await attempt('pair', 'wrong', '10.40.0.1')).statusCode, 400);
  assert.equal((await attempt('pair', 'password-of-pair', '10.40.0.1')).statusCode, 429);
  assert.equal((await attempt('helpdesk', 'password-of-helpdesk', '10.40.0.1')).statusCode, 200);
});

test('a Portal Administrator unlocks an account through the admin API; other roles cannot; unknown names are 404', async () => {
  for (let i = 1; i <= 5; i++) await attempt('helpdesk', 'wrong', `10.50.0.${i}`);
  assert.equal((await attempt('helpdesk', 'password-of-helpdesk', '10.60.0.1')).statusCode, 429);
  const vbToken = await app.tokenFor('vbadmin', ['Vb365Administrator']);
  const refused = await app.vspc.inject({ method: 'POST', url: '/tally/v1/users/helpdesk/unlock', headers: bearer(vbToken) });
  assert.equal(refused.statusCode, 403);
  const missing = await app.vspc.inject({ method: 'POST', url: '/tally/v1/users/nobody-here/unlock', headers: bearer(app.adminToken) });
  assert.equal(missing.statusCode, 404);
  const res = await app.vb365.inject({ method: 'POST', url: '/tally/v1/users/helpdesk/unlock', headers: bearer(app.adminToken) });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().username, 'helpdesk');
  assert.ok(res.json().cleared >= 1);
  assert.equal((await attempt('helpdesk', 'password-of-helpdesk', '10.60.0.1')).statusCode, 200);
  const [entry] = await auditEntries(app, 'action=account.unlock');
  assert.equal(entry?.actor, 'admin');
  assert.equal(entry?.target, 'account/helpdesk');
});

test('the last Portal Administrator, locked out everywhere, recovers with tally user unlock on the console', async () => {
  assert.equal((await attempt('admin', ADMIN_PASSWORD, '10.70.0.1')).statusCode, 200);
  // An attacker on the administrator's own network and elsewhere: every way in is locked.
  for (let i = 0; i < 5; i++) await attempt('admin', 'wrong', '10.70.0.1');
  for (let i = 1; i <= 5; i++) await attempt('admin', 'wrong', `10.80.0.${i}`);
  for (let i = 0; i < 20; i++) await attempt(`spray-${i}`, 'wrong', '10.70.0.1');
  assert.equal((await attempt('admin', ADMIN_PASSWORD, '10.70.0.1')).statusCode, 429);
  assert.equal((await attempt('admin', ADMIN_PASSWORD, '10.90.0.1')).statusCode, 429);

  const args = ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'user', 'unlock', 'admin', '--data', app.dir];
  if (app.database.url) args.push('--database', app.database.url);
  const { stdout } = await run(process.execPath, args, { cwd: ROOT });
  assert.match(stdout, /^tally: unlocked the account admin \(\d+ failure counters? cleared\)\n$/);
  // From the usual address at once (its address lock is lifted too), and from anywhere.
  assert.equal((await attempt('admin', ADMIN_PASSWORD, '10.70.0.1')).statusCode, 200);
  assert.equal((await attempt('admin', ADMIN_PASSWORD, '10.90.0.1', 'vspc')).statusCode, 200);
  const [entry] = await auditEntries(app, 'action=account.unlock');
  assert.equal(entry?.actor, 'system');

  const missing = await run(process.execPath, [...args.slice(0, 5), 'nobody-here', ...args.slice(6)], { cwd: ROOT }).catch((error) => error);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'tally: no account is named "nobody-here"\n');
});
