/**
 * What the README promises on a fresh start with the demo: both seed answers byte for byte, the
 * token endpoints of both faces, case-insensitive VB365 routing and time travel with the clock.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { form, request, spawnTally, type ServerProcess } from '../support/server.js';
import {
  ADMIN_PASSWORD, CLOCK, JSON_TYPE, SEED_COMPANY, SEED_ORG, SEED_TENANT, SEED_VB365_BODY, SEED_VB365_PATH, SEED_VSPC_BODY,
  SEED_VSPC_PATH, adminError, call, consoleUsageBody, expectBytes, expectJson,
} from './helpers.js';

const TOKEN_FIELDS = ['access_token', 'token_type', 'expires_in', 'refresh_token', 'userName', '.issued', '.expires'];
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The README's curl: -d grant_type=password -d username=admin --data-urlencode password=… */
async function tokenResponse(base: string, face: 'vb365' | 'vspc', password: string) {
  const url = face === 'vb365' ? `${base}/v6/token` : `${base}/api/v3/token`;
  return request('POST', url, form({ grant_type: 'password', username: 'admin', password }));
}

async function accessToken(base: string, face: 'vb365' | 'vspc', password: string): Promise<string> {
  const res = await tokenResponse(base, face, password);
  assert.equal(res.status, 200, res.text);
  const token = res.json().access_token as unknown;
  assert.equal(typeof token, 'string');
  return token as string;
}

describe('demo on a fixed clock (--clock 2026-11-23T12:00:00Z)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnTally({ args: ['--clock', CLOCK, '--admin-password', ADMIN_PASSWORD] });
  });
  after(async () => {
    await server?.stop();
  });

  test('VB365: token from POST /v6/token (form), then the seed organization answers byte for byte', async () => {
    const token = await accessToken(server.vb365, 'vb365', ADMIN_PASSWORD);
    const res = await request('GET', `${server.vb365}${SEED_VB365_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    expectBytes(res, 200, SEED_VB365_BODY, 'VB365 seed');
  });

  test('VSPC: token from POST /api/v3/token (form), then the seed tenant answers byte for byte', async () => {
    const token = await accessToken(server.vspc, 'vspc', ADMIN_PASSWORD);
    const res = await request('GET', `${server.vspc}${SEED_VSPC_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    expectBytes(res, 200, SEED_VSPC_BODY, 'VSPC seed');
  });

  test('VB365 token response has all seven fields; .issued and .expires are ISO-8601 one hour apart', async () => {
    const res = await tokenResponse(server.vb365, 'vb365', ADMIN_PASSWORD);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), [...TOKEN_FIELDS].sort());
    assert.equal(typeof body.access_token, 'string');
    assert.ok(body.access_token.length > 0);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(typeof body.refresh_token, 'string');
    assert.ok(body.refresh_token.length > 0);
    assert.notEqual(body.refresh_token, body.access_token);
    assert.equal(body.userName, 'admin');
    assert.match(body['.issued'], ISO_8601);
    assert.match(body['.expires'], ISO_8601);
    assert.equal(Date.parse(body['.expires']) - Date.parse(body['.issued']), 3600 * 1000);
  });

  test('VSPC token response is OAuth2Result: access_token, token_type bearer, refresh_token, expires_in 3600', async () => {
    const res = await tokenResponse(server.vspc, 'vspc', ADMIN_PASSWORD);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(typeof body.access_token, 'string');
    assert.equal(typeof body.refresh_token, 'string');
  });

  test('VB365 token request with a JSON body (application/json) works', async () => {
    const res = await call('POST', `${server.vb365}/v6/token`, {
      json: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), [...TOKEN_FIELDS].sort());
    assert.equal(body.userName, 'admin');
    const seed = await call('GET', `${server.vb365}${SEED_VB365_PATH}`, { token: body.access_token });
    expectBytes(seed, 200, SEED_VB365_BODY, 'seed with a token from a JSON grant');
  });

  for (const face of ['vb365', 'vspc'] as const) {
    test(`${face}: refresh_token grant issues a new working pair; a refresh token is single-use and its reuse revokes the family`, async () => {
      const base = face === 'vb365' ? server.vb365 : server.vspc;
      const tokenUrl = face === 'vb365' ? `${base}/v6/token` : `${base}/api/v3/token`;
      const seedPath = face === 'vb365' ? SEED_VB365_PATH : SEED_VSPC_PATH;
      const seedBody = face === 'vb365' ? SEED_VB365_BODY : SEED_VSPC_BODY;

      const first = await tokenResponse(base, face, ADMIN_PASSWORD);
      assert.equal(first.status, 200, first.text);
      const refreshToken = first.json().refresh_token as string;

      const refreshed = await request('POST', tokenUrl, form({ grant_type: 'refresh_token', refresh_token: refreshToken }));
      assert.equal(refreshed.status, 200, refreshed.text);
      const pair = refreshed.json();
      assert.equal(pair.token_type, 'bearer');
      assert.equal(pair.expires_in, 3600);
      assert.notEqual(pair.access_token, first.json().access_token);
      assert.notEqual(pair.refresh_token, refreshToken);
      if (face === 'vb365') {
        assert.deepEqual(Object.keys(pair).sort(), [...TOKEN_FIELDS].sort());
        assert.equal(pair.userName, 'admin');
      }
      expectBytes(await call('GET', `${base}${seedPath}`, { token: pair.access_token }), 200, seedBody, 'seed with a refreshed token');

      const again = await request('POST', tokenUrl, form({ grant_type: 'refresh_token', refresh_token: refreshToken }));
      const description = 'The refresh token is invalid, expired or already used.';
      expectJson(
        again,
        400,
        face === 'vb365'
          ? { error: 'invalid_grant', error_description: description, message: description }
          : { error: 'invalid_grant', error_description: description },
        'second use of a refresh token',
      );

      // Reusing a spent refresh token looks like theft: the whole family is revoked, including the
      // pair issued by the first refresh.
      const chained = await request('POST', tokenUrl, form({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }));
      assert.equal(chained.status, 400, chained.text);
      const revoked = await call('GET', `${base}${seedPath}`, { token: pair.access_token });
      assert.equal(revoked.status, 401);
    });
  }

  test('VB365 routing is case-insensitive: /v6/Token and /v6/organizations/{id}/licensinginformation', async () => {
    const res = await request('POST', `${server.vb365}/v6/Token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(res.status, 200, res.text);
    const token = res.json().access_token as string;
    expectBytes(await call('GET', `${server.vb365}/v6/organizations/${SEED_ORG}/licensinginformation`, { token }), 200, SEED_VB365_BODY, 'lower case');
    expectBytes(await call('GET', `${server.vb365}/v6/ORGANIZATIONS/${SEED_ORG}/LICENSINGINFORMATION`, { token }), 200, SEED_VB365_BODY, 'upper case');
    // The organization id itself is a UUID: its case does not matter either.
    expectBytes(await call('GET', `${server.vb365}/v6/Organizations/${SEED_ORG.toUpperCase()}/LicensingInformation`, { token }), 200, SEED_VB365_BODY, 'upper-case id');
  });

  test('GET /v6/Organizations is a JSON array that contains the seed organization', async () => {
    const token = await accessToken(server.vb365, 'vb365', ADMIN_PASSWORD);
    const res = await call('GET', `${server.vb365}/v6/Organizations`, { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const list = res.json();
    assert.ok(Array.isArray(list), 'a plain JSON array (v6 has no envelope)');
    assert.ok(list.length >= 1);
    const seed = list.find((org: { id: string }) => org.id === SEED_ORG);
    assert.ok(seed, 'the seed organization is listed');
    assert.equal(typeof seed.name, 'string');
    assert.ok(seed.name.length > 0);
    assert.equal(typeof seed.type, 'string');
    assert.equal(typeof seed.region, 'string');
    assert.deepEqual(seed._links, { self: { href: `/v6/Organizations/${SEED_ORG}` } });
    assert.equal(seed.isBackedup, true);
    // Backups lie in the past of the clock.
    assert.ok(Date.parse(seed.lastBackuptime) <= Date.parse(CLOCK), seed.lastBackuptime);
    assert.ok(Date.parse(seed.firstBackuptime) <= Date.parse(seed.lastBackuptime));

    const one = await call('GET', `${server.vb365}/v6/Organizations/${SEED_ORG}`, { token });
    expectJson(one, 200, seed, 'GET /v6/Organizations/{id} answers the same entry');
  });

  test('GET /tally/v1/clock reports the fixed clock on both listeners', async () => {
    const vb365Token = await accessToken(server.vb365, 'vb365', ADMIN_PASSWORD);
    const vspcToken = await accessToken(server.vspc, 'vspc', ADMIN_PASSWORD);
    expectJson(await call('GET', `${server.vb365}/tally/v1/clock`, { token: vb365Token }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: vspcToken }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
  });

  test('moving the clock to next month turns the seed agents from new into used (admin token from either face)', async () => {
    const vb365Token = await accessToken(server.vb365, 'vb365', ADMIN_PASSWORD);
    const vspcToken = await accessToken(server.vspc, 'vspc', ADMIN_PASSWORD);
    const used = consoleUsageBody(
      SEED_COMPANY,
      SEED_TENANT,
      { usedUnits: '22.0', usedCount: 2, newUnits: '0.0', newCount: 0 },
      { usedUnits: '8.0', usedCount: 2, newUnits: '0.0', newCount: 0 },
    );
    try {
      // A token from the VB365 face, on the VB365 listener.
      const moved = await call('PUT', `${server.vb365}/tally/v1/clock`, { token: vb365Token, json: { now: '2026-12-01T00:00:00Z' } });
      expectJson(moved, 200, { now: '2026-12-01T00:00:00.000Z', fixed: true }, 'PUT clock');
      expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: vspcToken }), 200, { now: '2026-12-01T00:00:00.000Z', fixed: true });
      expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: vspcToken }), 200, used, 'seed after the month rollover');

      // Back to the start with a token from the VSPC face, on the VSPC listener: the answer is a function of now.
      const back = await call('PUT', `${server.vspc}/tally/v1/clock`, { token: vspcToken, json: { now: CLOCK } });
      expectJson(back, 200, { now: '2026-11-23T12:00:00.000Z', fixed: true }, 'PUT clock back');
      expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: vspcToken }), 200, SEED_VSPC_BODY, 'seed back at the start');
      expectBytes(await call('GET', `${server.vb365}${SEED_VB365_PATH}`, { token: vb365Token }), 200, SEED_VB365_BODY, 'VB365 seed back at the start');

      // Tokens from either face work on either listener: a VSPC token moves the clock via the VB365 listener too.
      const cross = await call('PUT', `${server.vb365}/tally/v1/clock`, { token: vspcToken, json: { now: '2026-12-01T00:00:00Z' } });
      expectJson(cross, 200, { now: '2026-12-01T00:00:00.000Z', fixed: true }, 'PUT clock with a VSPC token on the VB365 listener');
      expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: vb365Token }), 200, used, 'seed after rollover, VB365 token on VSPC');
    } finally {
      await call('PUT', `${server.vspc}/tally/v1/clock`, { token: vspcToken, json: { now: CLOCK } });
    }
  });
});

describe('demo on the system clock (no --clock, generated admin password)', () => {
  let server: ServerProcess;
  let password: string;
  before(async () => {
    server = await spawnTally();
    const printed = /^tally created the account admin with password (\S+) \(shown once; set it with --admin-password on a new database\)$/m.exec(server.stdout());
    assert.ok(printed, `the generated password is printed once:\n${server.stdout()}`);
    password = printed[1]!;
  });
  after(async () => {
    await server?.stop();
  });

  test('start-up prints the password, the demo and the listening line, in that order', () => {
    const lines = server.stdout().split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 3, server.stdout());
    assert.match(lines[0]!, /^tally created the account admin with password \S+ \(shown once; set it with --admin-password on a new database\)$/);
    assert.match(lines[1]!, /^tally loaded the demo scenario: \d+ events$/);
    assert.match(lines[2]!, /^tally listening vb365=https:\/\/127\.0\.0\.1:\d+ vspc=https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('both seed answers hold at start (the demo is dated relative to the start)', async () => {
    const vb365Token = await accessToken(server.vb365, 'vb365', password);
    expectBytes(await call('GET', `${server.vb365}${SEED_VB365_PATH}`, { token: vb365Token }), 200, SEED_VB365_BODY, 'VB365 seed');
    const vspcToken = await accessToken(server.vspc, 'vspc', password);
    expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: vspcToken }), 200, SEED_VSPC_BODY, 'VSPC seed');
  });

  test('the clock is not fixed: GET reports fixed:false and PUT answers 409', async () => {
    const token = await accessToken(server.vspc, 'vspc', password);
    const res = await call('GET', `${server.vspc}/tally/v1/clock`, { token });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['fixed', 'now']);
    assert.equal(body.fixed, false);
    assert.match(body.now, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const put = await call('PUT', `${server.vspc}/tally/v1/clock`, { token, json: { now: '2026-12-01T00:00:00Z' } });
    expectJson(put, 409, adminError('conflict', 'The clock follows the system time; start the server with --clock to travel in time.'));
    // The seed is unchanged by the refused move.
    expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token }), 200, SEED_VSPC_BODY, 'VSPC seed after refused PUT');
  });
});
