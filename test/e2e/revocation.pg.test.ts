/**
 * Revocation on several nodes: two `tally serve` processes on one PostgreSQL database. A token
 * revoked, a family revoked by the reuse of a spent refresh token, or sessions ended by a password
 * change on one node are refused by the other at once (tokens live in the database, never in a
 * node's memory); the last-administrator check holds across nodes; the audit log is shared.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/stores.js';
import { form, passwordToken, request, spawnTally, type ServerProcess } from '../support/server.js';

const PASSWORD = 'revocation-admin-password';

let database: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;
let admin: string;

before(async () => {
  database = await createTestDatabase('postgres');
  const args = ['--no-demo', '--admin-password', PASSWORD];
  a = await spawnTally({ database, args });
  b = await spawnTally({ database, args });
  admin = await passwordToken(a.vspc, 'vspc', 'admin', PASSWORD);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await database?.drop();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...auth(token), 'content-type': 'application/json' });

async function createUser(node: ServerProcess, username: string, roles: string[], password = `password-of-${username}`): Promise<string> {
  const res = await request('PUT', `${node.vspc}/tally/v1/users/${username}`, { headers: json(admin), body: JSON.stringify({ password, roles }) });
  assert.equal(res.status, 200, res.text);
  return res.json().uid;
}

async function tokens(node: ServerProcess, face: 'vb365' | 'vspc', fields: Record<string, string>) {
  const { headers, body } = form(fields);
  const res = await request('POST', face === 'vb365' ? `${node.vb365}/v6/token` : `${node.vspc}/api/v3/token`, { headers, body });
  return { status: res.status, access: res.status === 200 ? (res.json().access_token as string) : '', refresh: res.status === 200 ? (res.json().refresh_token as string) : '' };
}

/** The status a token gets from a node (200 accepted, 401 refused). */
async function statusOn(node: ServerProcess, token: string): Promise<number> {
  return (await request('GET', `${node.vspc}/tally/v1/clock`, { headers: auth(token) })).status;
}

/**
 * The status a token gets from a node once the other node's change has reached it: at its commit's
 * notification, and 250 ms at most (docs/operations.md). Asked again every 10 ms for 250 ms.
 */
async function statusOnOther(node: ServerProcess, token: string): Promise<number> {
  const deadline = Date.now() + 250;
  for (;;) {
    const status = await statusOn(node, token);
    if (status !== 200 || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a token revoked on one node is refused by the other within the change bound (250 ms)', async () => {
  const uid = await createUser(a, 'roamer', ['PortalAdministrator']);
  const session = await tokens(b, 'vb365', { grant_type: 'password', username: 'roamer', password: 'password-of-roamer' });
  assert.equal(session.status, 200);
  assert.equal(await statusOn(a, session.access), 200);
  const revoked = await request('DELETE', `${a.vspc}/api/v3/users/${uid}/tokens`, { headers: auth(session.access) });
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(revoked.text, '{"data":true}');
  assert.equal(await statusOn(a, session.access), 401);
  assert.equal(await statusOnOther(b, session.access), 401);
  assert.equal((await tokens(b, 'vspc', { grant_type: 'refresh_token', refresh_token: session.refresh })).status, 400);
});

test('a spent refresh token replayed on the other node revokes the family on both', async () => {
  await createUser(a, 'rotating', ['PortalAdministrator']);
  const first = await tokens(a, 'vspc', { grant_type: 'password', username: 'rotating', password: 'password-of-rotating' });
  const second = await tokens(b, 'vspc', { grant_type: 'refresh_token', refresh_token: first.refresh });
  assert.equal(second.status, 200);
  assert.equal(await statusOn(a, second.access), 200);
  const replay = await tokens(a, 'vb365', { grant_type: 'refresh_token', refresh_token: first.refresh });
  assert.equal(replay.status, 400);
  for (const node of [a, b]) {
    assert.equal(await statusOnOther(node, second.access), 401);
    assert.equal(await statusOnOther(node, first.access), 401);
  }
  assert.equal((await tokens(b, 'vspc', { grant_type: 'refresh_token', refresh_token: second.refresh })).status, 400);
});

test('a password change on one node ends the sessions used on the other', async () => {
  await createUser(a, 'changer', ['Vb365Administrator']);
  const session = await tokens(a, 'vb365', { grant_type: 'password', username: 'changer', password: 'password-of-changer' });
  const org = await request('GET', `${a.vb365}/v6/Organizations`, { headers: auth(session.access) });
  assert.equal(org.status, 200);
  const changed = await request('PUT', `${b.vspc}/tally/v1/users/changer`, { headers: json(admin), body: JSON.stringify({ password: 'a-new-password-1', roles: ['Vb365Administrator'] }) });
  assert.equal(changed.status, 200);
  assert.equal(await statusOnOther(a, session.access), 401);
});

test('two administrators stepping down at once on two nodes: exactly one succeeds', async () => {
  for (let round = 0; round < 6; round++) {
    const [x, y] = [`step-x-${round}`, `step-y-${round}`];
    await createUser(a, x, ['PortalAdministrator']);
    await createUser(a, y, ['PortalAdministrator']);
    const tx = (await tokens(a, 'vspc', { grant_type: 'password', username: x, password: `password-of-${x}` })).access;
    const ty = (await tokens(b, 'vspc', { grant_type: 'password', username: y, password: `password-of-${y}` })).access;
    // Everyone else steps down first, so that x and y are the last two.
    const users = (await request('GET', `${a.vspc}/tally/v1/users`, { headers: auth(tx) })).json() as { username: string; roles: string[]; disabled: boolean }[];
    for (const user of users) {
      if (user.username === x || user.username === y || !user.roles.includes('PortalAdministrator') || user.disabled) continue;
      const res = await request('PUT', `${a.vspc}/tally/v1/users/${user.username}`, { headers: json(tx), body: JSON.stringify({ roles: ['Vb365Administrator'] }) });
      assert.equal(res.status, 200, res.text);
    }
    const [rx, ry] = await Promise.all([
      request('PUT', `${a.vspc}/tally/v1/users/${x}`, { headers: json(tx), body: JSON.stringify({ roles: ['ReadOnlyUser'] }) }),
      request('PUT', `${b.vb365}/tally/v1/users/${y}`, { headers: json(ty), body: JSON.stringify({ roles: ['ReadOnlyUser'] }) }),
    ]);
    assert.deepEqual([rx.status, ry.status].sort(), [200, 409], `round ${round}: ${rx.text} / ${ry.text}`);
    // The survivor hands the role back to admin for the next round.
    const survivor = rx.status === 409 ? tx : ty;
    const back = await request('PUT', `${a.vspc}/tally/v1/users/admin`, { headers: json(survivor), body: JSON.stringify({ roles: ['PortalAdministrator', 'Vb365Administrator'] }) });
    assert.equal(back.status, 200, back.text);
  }
});

test('changes made on either node are in one audit log', async () => {
  await request('PUT', `${b.vspc}/tally/v1/resellers/0b000000-0000-4000-8000-00000000e001`, { headers: json(admin), body: JSON.stringify({ name: 'Seen everywhere' }) });
  const res = await request('GET', `${a.vb365}/tally/v1/audit?action=reseller.upsert`, { headers: auth(admin) });
  assert.equal(res.status, 200, res.text);
  const entries = res.json().entries as { target: string; actor: string; clientAddress: string }[];
  assert.deepEqual(entries.map((e) => [e.target, e.actor]), [['reseller/0b000000-0000-4000-8000-00000000e001', 'admin']]);
  assert.match(entries[0]!.clientAddress, /127\.0\.0\.1/);
  const revokes = (await request('GET', `${b.vspc}/tally/v1/audit?action=token.*`, { headers: auth(admin) })).json().entries as { action: string }[];
  assert.ok(revokes.some((e) => e.action === 'token.revoke') && revokes.some((e) => e.action === 'token.reuse_detected'));
});
