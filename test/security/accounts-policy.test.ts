/**
 * Account names and passwords on every path that sets them: the admin API, `tally user add` and
 * the first-start `--admin-password`. Names are NFC, unique whatever their case, free of control,
 * format, bidi and zero-width characters, and no look-alike of an existing name; passwords have
 * at least 8 characters, are not only white space, not among the most common, not the name.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addUser, changePassword } from '../../src/commands/user.js';
import { resolveServeConfig } from '../../src/config.js';
import { passwordProblem } from '../../src/services/passwordPolicy.js';
import { nameConflict, normaliseUsername, usernameKey, usernameSkeleton } from '../../src/services/usernames.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const put = (username: string, body: object) =>
  app.vspc.inject({ method: 'PUT', url: `/tally/v1/users/${encodeURIComponent(username)}`, headers: bearer(app.adminToken), payload: { roles: ['ReadOnlyUser'], ...body } });

test('names: NFC, case-folded keys, and look-alikes share a skeleton', () => {
  assert.equal(usernameKey('ADMIN'), usernameKey('admin'));
  assert.equal(usernameKey('STRASSE'), usernameKey('straße'));
  const nfd = 'jose\u0301';
  const normal = normaliseUsername(nfd);
  assert.ok(normal.ok && normal.name === 'jos\u00e9');
  for (const lookAlike of ['\u0430dmin', 'adm1n', 'admín', 'ADMlN', '\uff41dmin', 'αdmin']) {
    assert.equal(usernameSkeleton(lookAlike), usernameSkeleton('admin'), lookAlike);
  }
  assert.deepEqual(nameConflict('\u0430dmin', ['admin', 'ops']), { kind: 'look-alike', existing: 'admin' });
  assert.deepEqual(nameConflict('Admin', ['admin']), { kind: 'same-key', existing: 'admin' });
  assert.equal(nameConflict('admin', ['admin']), undefined, 'the account itself');
  assert.equal(nameConflict('alice', ['admin', 'bob']), undefined);
});

test('the admin API refuses ADMIN beside admin, a Cyrillic аdmin, and zero-width, bidi and control characters', async () => {
  const password = 'a-fine-long-password';
  for (const name of ['ADMIN', 'Admin', '\u0430dmin', 'adm\u0456n']) {
    const res = await put(name, { password });
    assert.equal(res.statusCode, 409, `${name}: ${res.body}`);
    assert.equal(res.json().error.code, 'conflict');
  }
  for (const name of ['zero\u200bwidth', 'joiner\u200d', 'rtl\u202eevil', 'isolate\u2066x', 'bom\ufeff', 'soft\u00adhyphen', 'filler\u3164', 'nbsp\u00a0x', 'bell\u0007']) {
    const res = await put(name, { password });
    assert.equal(res.statusCode, 400, `${JSON.stringify(name)}: ${res.body}`);
  }
  // A name in another normal form is stored in NFC.
  const res = await put('jose\u0301', { password });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().username, 'jos\u00e9');
  // The account itself can still be changed.
  assert.equal((await put('admin', { roles: ['PortalAdministrator', 'Vb365Administrator'] })).statusCode, 200);
  const list = (await app.vspc.inject({ url: '/tally/v1/users', headers: bearer(app.adminToken) })).json();
  assert.deepEqual(list.map((a: { username: string }) => a.username).sort(), ['admin', 'jos\u00e9']);
});

test('passwords: a length floor, not only white space, not among the most common, not the name', async () => {
  assert.match(passwordProblem('short') ?? '', /at least 8/);
  assert.match(passwordProblem('        ') ?? '', /white space/);
  for (const common of ['password', 'Password1', 'qwertyuiop', '12345678', 'iloveyou1', ' sunshine ']) {
    assert.match(passwordProblem(common) ?? '', /most common/, common);
  }
  assert.match(passwordProblem('carol-the-admin', 'Carol-The-Admin') ?? '', /user name/);
  assert.equal(passwordProblem('correct horse battery staple'), undefined);

  for (const weak of ['        ', 'password1', 'newuser1']) {
    const res = await put('newuser1', { password: weak });
    assert.equal(res.statusCode, 400, `${JSON.stringify(weak)}: ${res.body}`);
    assert.equal(res.json().error.details[0].field, 'password');
  }
  // A password change is checked the same way.
  assert.equal((await put('jos\u00e9', { password: 'baseball1' })).statusCode, 400);
});

test('tally user add and tally user passwd apply the same rules', async () => {
  await assert.rejects(addUser(app.ctx.store, 'ADMIN', ['ReadOnlyUser'], undefined, 'a-fine-long-password'), /unique whatever their case/);
  await assert.rejects(addUser(app.ctx.store, '\u0430dmin', ['ReadOnlyUser'], undefined, 'a-fine-long-password'), /looks like the existing account admin/);
  await assert.rejects(addUser(app.ctx.store, 'rtl\u202e', ['ReadOnlyUser'], undefined, 'a-fine-long-password'), /format/);
  await assert.rejects(addUser(app.ctx.store, 'cli-user', ['ReadOnlyUser'], undefined, '          '), /white space/);
  await assert.rejects(addUser(app.ctx.store, 'cli-user', ['ReadOnlyUser'], undefined, 'football1'), /most common/);
  assert.deepEqual(await addUser(app.ctx.store, 'cli-user', ['ReadOnlyUser'], undefined, 'a-fine-long-password'), { created: true });
  // tally user passwd too.
  await assert.rejects(changePassword(app.ctx.store, 'cli-user', 'superman1'), /most common/);
  await assert.rejects(changePassword(app.ctx.store, 'cli-user', '         '), /white space/);
  await changePassword(app.ctx.store, 'cli-user', 'another-fine-password');
});

test('a weak --admin-password is refused at start with one line', () => {
  for (const [weak, message] of [
    ['short', '--admin-password must have at least 8 characters'],
    ['        ', '--admin-password may not be only white space'],
    ['password', '--admin-password is one of the most common passwords; choose another'],
  ] as const) {
    assert.throws(() => resolveServeConfig({ adminPassword: weak }, {}), (error: Error) => error.message === message);
  }
  assert.doesNotThrow(() => resolveServeConfig({ adminPassword: 'a-fine-long-password' }, {}));
});
