/**
 * Response replay (src/http/replay.ts) never answers differently from the routes: after random
 * steps that change what an answer depends on (event batches, clock moves across month starts and
 * 31-day releases, license changes, tokens revoked, accounts disabled or re-roled, API keys
 * removed, tenants remapped), every request over a real socket (which may be replayed) gets the
 * same status and bytes as the same request injected into the routes (never replayed).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { TEST_STORE } from '../support/stores.js';

const DAY = 86_400_000;
const START = Date.parse('2026-10-20T12:00:00Z');
const ORG = '0a000000-0000-4000-8000-000000000001';
const COMPANIES = ['0c000000-0000-4000-8000-000000000001', '0c000000-0000-4000-8000-000000000002'];
const TENANTS = ['07000000-0000-4000-8000-000000000001', '07000000-0000-4000-8000-000000000002'];
const agentUid = (i: number) => `0e000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function get(base: string, url: string, headers: Record<string, string>): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${url}`, { agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, type: response.headers['content-type'], body }));
    });
    request.on('error', reject);
  });
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** The same request over the socket (twice: the second may be replayed) and injected; all must agree. */
async function same(app: FastifyInstance, base: string, url: string, given: Record<string, string>, label: string) {
  // One Host for both: refusals of the version gate name the request's URL.
  const headers = { ...given, host: 'tally.test' };
  for (let i = 0; i < 2; i++) {
    const wire = await get(base, url, headers);
    const routed = await app.inject({ method: 'GET', url, headers });
    assert.deepEqual(wire, { status: routed.statusCode, type: routed.headers['content-type'], body: routed.body }, label);
  }
}

const instant = fc.oneof(
  fc.integer({ min: START - 40 * DAY, max: START + 70 * DAY }),
  fc.constantFrom(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-01T00:00:00Z') - 1, START + 31 * DAY, START + 31 * DAY - 1, START),
);

const step = fc.oneof(
  fc.record({ kind: fc.constant('backup' as const), user: fc.integer({ min: 0, max: 5 }), at: instant }),
  fc.record({ kind: fc.constant('agent' as const), company: fc.integer({ min: 0, max: 1 }), agent: fc.integer({ min: 0, max: 5 }), at: instant, mode: fc.constantFrom('server', 'workstation') }),
  fc.record({ kind: fc.constant('clock' as const), at: instant }),
  fc.record({ kind: fc.constant('license' as const), type: fc.constantFrom('Rental', 'Subscription'), total: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('remap' as const), swap: fc.boolean() }),
  fc.record({ kind: fc.constant('roles' as const), operator: fc.boolean() }),
  fc.record({ kind: fc.constant('disable' as const), disabled: fc.boolean() }),
  fc.record({ kind: fc.constant('revoke' as const) }),
  fc.record({ kind: fc.constant('dropKey' as const) }),
  fc.record({ kind: fc.constant('nothing' as const) }),
);

test('a replayed answer is byte for byte the routed answer, whatever changed in between', async () => {
  const app = await startTestApp({ clock: new Date(START).toISOString() });
  try {
    const vb365 = await listen(app.vb365);
    const vspc = await listen(app.vspc);
    await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'org' });
    // A tenant maps to one company at a time: unmapped first, then mapped again.
    const remap = async (swap: boolean) => {
      for (const [i, company] of COMPANIES.entries()) await adminPut(app, `/tally/v1/companies/${company}`, { name: `c${i}` });
      for (const [i, company] of COMPANIES.entries()) await adminPut(app, `/tally/v1/companies/${company}`, { name: `c${i}`, tenantUid: TENANTS[swap ? 1 - i : i] });
    };
    await remap(false);
    // A second administrator whose account the steps change, and an API key of it.
    const userToken = await app.tokenFor('someone', ['PortalAdministrator', 'Vb365Administrator']);
    const keyAnswer = await app.vspc.inject({ method: 'POST', url: '/tally/v1/users/someone/apikeys', headers: { authorization: `Bearer ${app.adminToken}` }, payload: { name: 'poller' } });
    const key = keyAnswer.json() as { id: string; key: string };
    let n = 0;
    let run = 0;

    const check = async (label: string) => {
      for (const bearer of [app.adminToken, userToken, key.key]) {
        const headers = { authorization: `Bearer ${bearer}` };
        await same(app.vb365, vb365, `/v6/Organizations/${ORG}/LicensingInformation`, headers, label);
        for (const tenant of TENANTS) {
          await same(app.vspc, vspc, `/api/v3/licensing/console/usage/companies/vcc/${tenant}`, headers, label);
          // The legacy family is gated by the client's version: served to 3.0-3.2, refused to 3.3+ and to garbage.
          for (const version of ['3.0', '3.5', 'garbage']) {
            await same(app.vspc, vspc, `/api/v3/licensing/console/usage/companies/vcc/${tenant}`, { ...headers, 'x-client-version': version }, label);
          }
        }
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        run++;
        for (const s of steps) {
          switch (s.kind) {
            case 'backup':
              await app.ingest([{ id: `e${n++}`, type: 'vb365.backup', at: new Date(s.at).toISOString(), organizationId: ORG, user: { id: `u${s.user}`, name: `u${s.user}` } }]);
              break;
            case 'agent':
              await app.ingest([{ id: `e${n++}`, type: 'vspc.agentActivated', at: new Date(s.at).toISOString(), companyUid: COMPANIES[s.company], agent: { uid: agentUid(run * 10 + s.agent), name: 'a', mode: s.mode } }]);
              break;
            case 'clock':
              await app.ctx.clock.set(s.at);
              break;
            case 'license':
              await adminPut(app, '/tally/v1/licenses/vb365', { type: s.type, totalNumber: s.total, expirationDate: '2027-12-31T00:00:00Z' });
              await adminPut(app, '/tally/v1/licenses/vspc', { type: s.type, units: s.total * 11, expirationDate: '2027-12-31T00:00:00Z' });
              break;
            case 'remap':
              await remap(s.swap);
              break;
            case 'roles':
              await adminPut(app, '/tally/v1/users/someone', { roles: s.operator ? ['ServiceProviderOperator'] : ['PortalAdministrator', 'Vb365Administrator'] });
              break;
            case 'disable':
              await adminPut(app, '/tally/v1/users/someone', { roles: ['PortalAdministrator', 'Vb365Administrator'], disabled: s.disabled });
              break;
            case 'revoke':
              await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/someone/tokens', headers: { authorization: `Bearer ${app.adminToken}` } });
              break;
            case 'dropKey':
              await app.vspc.inject({ method: 'DELETE', url: `/tally/v1/users/someone/apikeys/${key.id}`, headers: { authorization: `Bearer ${app.adminToken}` } });
              break;
            case 'nothing':
              break;
          }
          await check(`run ${run} after ${JSON.stringify(s)}`);
        }
      }),
      { numRuns: 25, seed: 20261124 },
    );
    // The property must not hold vacuously: answers were replayed (on the embedded database; on
    // PostgreSQL reading the change counters needs a round trip, so nothing is replayed).
    const served = app.vb365.responseReplay.served + app.vspc.responseReplay.served;
    if (TEST_STORE === 'sqlite') assert.ok(served > 100, `only ${served} answers were replayed`);
    else assert.equal(served, 0);
  } finally {
    await app.close();
  }
});

/**
 * An app on the clock given (the system clock without one) with one organization, its VB365
 * listener on a real socket, and the admin's poll of the organization's LicensingInformation.
 */
async function withPolledOrganization(
  clock: string | undefined,
  body: (app: TestApp, poll: () => ReturnType<typeof get>, target: { url: string; headers: Record<string, string> }) => Promise<void>,
) {
  const app = await startTestApp(clock ? { clock } : {});
  try {
    const vb365 = await listen(app.vb365);
    await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'org' });
    const url = `/v6/Organizations/${ORG}/LicensingInformation`;
    const headers = { authorization: `Bearer ${app.adminToken}` };
    await body(app, () => get(vb365, url, headers), { url, headers });
  } finally {
    await app.close();
  }
}

test('an expired token is refused by the replay as by the routes', async () => {
  await withPolledOrganization('2026-11-20T12:00:00Z', async (app, poll) => {
    assert.equal((await poll()).status, 200);
    assert.equal((await poll()).status, 200);
    const served = app.vb365.responseReplay.served;
    if (TEST_STORE === 'sqlite') assert.equal(served, 1);
    // The access token expires: the routes refuse it, and so does the replay.
    await app.ctx.store.db.updateTable('tokens').set({ expires_at: Date.now() - 1 }).where('kind', '=', 'access').execute();
    assert.equal((await poll()).status, 401);
    assert.equal(app.vb365.responseReplay.served, served);
  });
});

test('on the system clock, a replayed answer ends where its validity does (a 31-day release)', async () => {
  await withPolledOrganization(undefined, async (app, poll) => {
    await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Subscription', totalNumber: 10, expirationDate: '2099-12-31T00:00:00Z' });
    // Released 31 days after the backup: in 600 ms, with no event or change in between.
    const releasedAt = Date.now() + 600;
    await app.ingest([{ id: 'b1', type: 'vb365.backup', at: new Date(releasedAt - 31 * DAY).toISOString(), organizationId: ORG, user: { id: 'u1', name: 'u1' } }]);
    assert.equal((await poll()).body, '{"licensedUsers":1,"newUsers":0}');
    assert.equal((await poll()).body, '{"licensedUsers":1,"newUsers":0}');
    if (TEST_STORE === 'sqlite') assert.equal(app.vb365.responseReplay.served, 1);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, releasedAt - Date.now()) + 50));
    assert.equal((await poll()).body, '{"licensedUsers":0,"newUsers":0}');
  });
});

test('a failure to read the change counters sends the request to the routes; the server keeps serving', async () => {
  await withPolledOrganization('2026-11-20T12:00:00Z', async (app, poll, { url, headers }) => {
    await poll();
    const reader = app.ctx.auth.generations;
    const readNow = reader.readNow.bind(reader);
    reader.readNow = () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    };
    const failed = await poll();
    const routed = await app.vb365.inject({ method: 'GET', url, headers });
    assert.deepEqual([failed.status, failed.body], [routed.statusCode, routed.body]);
    reader.readNow = readNow;
    assert.equal((await poll()).status, 200);
  });
});

/** A GET whose headers may repeat (an array value sends one line each), as some proxies and clients do. */
function getRepeated(base: string, url: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${url}`, { agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
  });
}

test('the replay reads repeated headers as the routes do, and leaves body headers to the routes', { skip: TEST_STORE !== 'sqlite' }, async () => {
  await withPolledOrganization('2026-11-20T12:00:00Z', async (app, poll, { url }) => {
    const base = `http://127.0.0.1:${(app.vb365.server.address() as { port: number }).port}`;
    const bearer = `Bearer ${app.adminToken}`;
    const expected = await poll();
    assert.equal(expected.status, 200);
    const replay = app.vb365.responseReplay;
    const cases: { label: string; headers: Record<string, string | string[]>; replayed: boolean; status: number }[] = [
      // Node keeps the first Authorization and drops the second, for the routes and the replay alike.
      { label: 'Authorization twice', headers: { authorization: [bearer, 'Bearer nonsense'] }, replayed: true, status: 200 },
      // Joined ("6.0, 6.1"): another request than one without the header, then kept as itself.
      { label: 'x-client-version twice', headers: { authorization: bearer, 'x-client-version': ['6.0', '6.1'] }, replayed: false, status: 200 },
      { label: 'x-client-version twice, again', headers: { authorization: bearer, 'x-client-version': ['6.0', '6.1'] }, replayed: true, status: 200 },
      { label: 'x-client-version once', headers: { authorization: bearer, 'x-client-version': '6.0' }, replayed: false, status: 200 },
      { label: 'an X-Request-Id', headers: { authorization: bearer, 'X-Request-Id': '5c8e2d3a-58a4-4e4b-9e55-4d2bfbfb3a11' }, replayed: false, status: 200 },
      { label: 'an empty body announced', headers: { authorization: bearer, 'Content-Length': '0' }, replayed: false, status: 200 },
      { label: 'no Authorization', headers: {}, replayed: false, status: 401 },
    ];
    for (const { label, headers, replayed, status } of cases) {
      const served = replay.served;
      const answer = await getRepeated(base, url, headers);
      assert.equal(answer.status, status, label);
      if (status === 200) assert.equal(answer.body, expected.body, label);
      assert.equal(replay.served - served, replayed ? 1 : 0, `${label}: ${replayed ? '' : 'not '}replayed`);
    }
  });
});
