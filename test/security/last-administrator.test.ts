/**
 * The last enabled PortalAdministrator is protected atomically: two concurrent requests that would
 * each remove one of the last two administrators end with exactly one success, whatever the kind
 * of removal (demotion, disabling, deletion) and on either store.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listAccounts } from '../../src/store/accounts.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type Removal = (username: string) => { method: 'PUT' | 'DELETE'; url: string; payload?: object };
const demote: Removal = (username) => ({ method: 'PUT', url: `/tally/v1/users/${username}`, payload: { roles: ['Vb365Administrator'] } });
const disable: Removal = (username) => ({ method: 'PUT', url: `/tally/v1/users/${username}`, payload: { roles: ['PortalAdministrator'], disabled: true } });
const remove: Removal = (username) => ({ method: 'DELETE', url: `/tally/v1/users/${username}` });

/** Read from the store: the admin API would need a token of an administrator that may just have stepped down. */
async function activeAdministrators(): Promise<string[]> {
  const users = await listAccounts(app.ctx.store.db);
  return users.filter((u) => u.roles.includes('PortalAdministrator') && !u.disabled).map((u) => u.username);
}

test('two concurrent removals of the last two administrators: exactly one succeeds', async () => {
  const pairs: [Removal, Removal][] = [[demote, demote], [disable, demote], [remove, disable], [remove, remove], [demote, remove]];
  for (let round = 0; round < pairs.length * 2; round++) {
    const [first, second] = pairs[round % pairs.length]!;
    const a = `admin-a-${round}`;
    const b = `admin-b-${round}`;
    // Two administrators, each with its own token; the bootstrap admin steps down first.
    const tokenA = await app.tokenFor(a, ['PortalAdministrator']);
    const tokenB = await app.tokenFor(b, ['PortalAdministrator']);
    for (const other of await activeAdministrators()) {
      if (other === a || other === b) continue;
      const res = await app.vspc.inject({ ...demote(other), headers: bearer(tokenA) });
      assert.equal(res.statusCode, 200, res.body);
    }
    assert.deepEqual((await activeAdministrators()).sort(), [a, b].sort());
    // Each steps down at the same moment, through different listeners: both pass the guard (each is
    // still an administrator when its request arrives), so only the check in the handler can refuse.
    const [ra, rb] = await Promise.all([
      app.vspc.inject({ ...first(a), headers: bearer(tokenA) }),
      app.vb365.inject({ ...second(b), headers: bearer(tokenB) }),
    ]);
    const statuses = [ra.statusCode, rb.statusCode].sort();
    assert.equal(statuses[1], 409, `round ${round}: ${ra.statusCode} ${ra.body} / ${rb.statusCode} ${rb.body}`);
    assert.ok(statuses[0] === 200 || statuses[0] === 204, `round ${round}: ${statuses}`);
    assert.equal((await activeAdministrators()).length, 1, `round ${round}: one administrator is left`);
    // Hand the role back to the bootstrap admin for the next round.
    const survivor = (await activeAdministrators())[0]!;
    const survivorToken = survivor === a ? tokenA : tokenB;
    const back = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/users/admin', headers: bearer(survivorToken), payload: { roles: ['PortalAdministrator', 'Vb365Administrator'] } });
    assert.equal(back.statusCode, 200);
  }
});

test('an administrator may step down while another one remains; the last one may not', async () => {
  const token = await app.tokenFor('deputy', ['PortalAdministrator']);
  const res = await app.vspc.inject({ ...demote('deputy'), headers: bearer(token) });
  assert.equal(res.statusCode, 200);
  for (const other of await activeAdministrators()) {
    if (other !== 'admin') assert.equal((await app.vspc.inject({ ...remove(other), headers: bearer(app.adminToken) })).statusCode, 204);
  }
  assert.deepEqual(await activeAdministrators(), ['admin']);
  for (const removal of [demote, disable, remove]) {
    const refused = await app.vspc.inject({ ...removal('admin'), headers: bearer(app.adminToken) });
    assert.equal(refused.statusCode, 409);
  }
  assert.deepEqual(await activeAdministrators(), ['admin']);
});
