/**
 * Every error case of the three dialects, over HTTPS against the real server:
 * VB365 `{"message"}`, VSPC `{"errors":[{message,type,code}]}`, admin `{"error":{code,message,details?}}`.
 * Requests that could have stored events carry events that would change the seed answer; the seed is
 * checked after each, and the last test re-posts all of them to show none was stored.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { form, request, spawnTally, type ServerProcess } from '../support/server.js';
import {
  ADMIN_PASSWORD, CLOCK, JSON_TYPE, SEED_COMPANY, SEED_ORG, SEED_TENANT, SEED_VB365_BODY, SEED_VB365_PATH, SEED_VSPC_BODY,
  SEED_VSPC_PATH, activation, adminError, call, consoleUsageBody, expectBytes, expectJson, seenStatuses, uuid, vspcError,
} from './helpers.js';

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const USER_PASSWORD = 'password-of-e2e-user';

const VSPC_ALLOWED = ['PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator'];
const VSPC_REFUSED = [
  'ServiceProviderOperator', 'ServiceProviderUser', 'ServiceProviderInvoiceAuditor', 'CompanyOwner', 'CompanyAdministrator',
  'CompanyInvoiceAuditor', 'ReadOnlyUser', 'Vb365Administrator', 'Ingest',
];

let server: ServerProcess;
let admin: string;
/** username → access token of an account with exactly that one role. */
const roleTokens = new Map<string, string>();

/** Events that were sent in refused requests: each would add one new server agent to the seed company. */
const refusedEvents: ReturnType<typeof activation>[] = [];
function wouldBeEvent(): ReturnType<typeof activation> {
  const n = refusedEvents.length + 1;
  const event = activation(`errors-refused-${n}`, '2026-11-20T09:00:00Z', SEED_COMPANY, uuid(n, 'e44'));
  refusedEvents.push(event);
  return event;
}

async function seedsUnchanged(what: string): Promise<void> {
  expectBytes(await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: admin }), 200, SEED_VSPC_BODY, `VSPC seed after ${what}`);
  expectBytes(await call('GET', `${server.vb365}${SEED_VB365_PATH}`, { token: admin }), 200, SEED_VB365_BODY, `VB365 seed after ${what}`);
}

function roleToken(role: string): string {
  const token = roleTokens.get(role);
  assert.ok(token, `no token for ${role}`);
  return token;
}

before(async () => {
  server = await spawnTally({ args: ['--clock', CLOCK, '--admin-password', ADMIN_PASSWORD] });
  const res = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
  assert.equal(res.status, 200, res.text);
  admin = res.json().access_token;
  for (const role of [...VSPC_ALLOWED, ...VSPC_REFUSED]) {
    const username = `e2e-${role}`;
    const put = await call('PUT', `${server.vspc}/tally/v1/users/${username}`, { token: admin, json: { password: USER_PASSWORD, roles: [role] } });
    // Every account has a stable uid (the VSPC userUid); its form is checked in test/security.
    expectJson(put, 200, { uid: put.json().uid, username, roles: [role], scopeUid: null, disabled: false }, `creating ${username}`);
    const login = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username, password: USER_PASSWORD }));
    assert.equal(login.status, 200, login.text);
    roleTokens.set(role, login.json().access_token);
  }
});

after(async () => {
  await server?.stop();
});

describe('VB365 face: {"message"} dialect', () => {
  const seedUrl = () => `${server.vb365}${SEED_VB365_PATH}`;

  test('no Authorization header → 401 with a JSON message', async () => {
    expectJson(await call('GET', seedUrl()), 401, { message: 'Authorization has been denied for this request.' });
    expectJson(await call('GET', `${server.vb365}/v6/Organizations`), 401, { message: 'Authorization has been denied for this request.' });
  });

  test('an invalid token → 401 with an empty body', async () => {
    const res = await call('GET', seedUrl(), { token: 'not-a-token' });
    assert.equal(res.status, 401);
    assert.equal(res.text, '');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  });

  for (const [what, header] of [
    ['Basic credentials', 'Basic YWRtaW46cGFzc3dvcmQ='],
    ['Bearer without a token', 'Bearer'],
    ['a bare token without a scheme', 'abcdef'],
    ['two tokens', 'Bearer a b'],
  ] as const) {
    test(`a malformed Authorization header (${what}) → 401 with an empty body`, async () => {
      const res = await call('GET', seedUrl(), { headers: { authorization: header } });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.text, '');
    });
  }

  test('a refresh token is not an access token (401, empty body), an access token is not a refresh token (400 invalid_grant)', async () => {
    const login = await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(login.status, 200, login.text);
    const { access_token: access, refresh_token: refresh } = login.json() as { access_token: string; refresh_token: string };
    const res = await call('GET', seedUrl(), { token: refresh });
    assert.equal(res.status, 401);
    assert.equal(res.text, '');
    const description = 'The refresh token is invalid, expired or already used.';
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'refresh_token', refresh_token: access })), 400,
      { error: 'invalid_grant', error_description: description, message: description });
    // Neither mistake spent the tokens.
    expectBytes(await call('GET', seedUrl(), { token: access }), 200, SEED_VB365_BODY, 'the access token still works');
    assert.equal((await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'refresh_token', refresh_token: refresh }))).status, 200);
  });

  test('a malformed organization id → 400 {message}', async () => {
    expectJson(await call('GET', `${server.vb365}/v6/Organizations/not-a-uuid/LicensingInformation`, { token: admin }), 400, {
      message: "The value 'not-a-uuid' is not valid for organizationId: it must be a valid uuid.",
    });
    expectJson(await call('GET', `${server.vb365}/v6/Organizations/not-a-uuid`, { token: admin }), 400, {
      message: "The value 'not-a-uuid' is not valid for organizationId: it must be a valid uuid.",
    });
  });

  test('an unknown organization → 404 {message}', async () => {
    expectJson(await call('GET', `${server.vb365}/v6/Organizations/${UNKNOWN_UUID}/LicensingInformation`, { token: admin }), 404, {
      message: `Organization with ID ${UNKNOWN_UUID} was not found.`,
    });
    expectJson(await call('GET', `${server.vb365}/v6/Organizations/${UNKNOWN_UUID}`, { token: admin }), 404, {
      message: `Organization with ID ${UNKNOWN_UUID} was not found.`,
    });
  });

  test('an unknown route → 404 {message}, inside and outside /v6', async () => {
    expectJson(await call('GET', `${server.vb365}/v6/BackupRepositories`, { token: admin }), 404, {
      message: "No HTTP resource was found that matches the request URI '/v6/BackupRepositories'.",
    });
    expectJson(await call('GET', `${server.vb365}/v7/Organizations`, { token: admin }), 404, { message: 'No resource matches GET /v7/Organizations.' });
    expectJson(await call('GET', `${server.vb365}/api/v3/token`), 404, { message: 'No resource matches GET /api/v3/token.' });
  });

  test('bad credentials on /v6/token → 400 invalid_grant with a message; an unknown user looks the same', async () => {
    const body = { error: 'invalid_grant', error_description: 'The user name or password is incorrect.', message: 'The user name or password is incorrect.' };
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'admin', password: 'wrong-password' })), 400, body);
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'nobody', password: 'wrong-password' })), 400, body);
    expectJson(await call('POST', `${server.vb365}/v6/token`, { json: { grant_type: 'password', username: 'admin', password: 'wrong-password' } }), 400, body);
  });

  test('an unsupported grant → 400 unsupported_grant_type', async () => {
    const message = 'The grant type "client_credentials" is not supported.';
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'client_credentials' })), 400, {
      error: 'unsupported_grant_type', error_description: message, message,
    });
  });

  test('a token request without grant_type or without a password → 400 invalid_request', async () => {
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ username: 'admin', password: ADMIN_PASSWORD })), 400, {
      error: 'invalid_request', error_description: 'grant_type is required.', message: 'grant_type is required.',
    });
    const message = 'The password grant needs username and password.';
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'admin' })), 400, {
      error: 'invalid_request', error_description: message, message,
    });
  });

  test('a token request with text/plain → 415 {message}', async () => {
    const res = await call('POST', `${server.vb365}/v6/token`, {
      headers: { 'content-type': 'text/plain' },
      body: `grant_type=password&username=admin&password=${ADMIN_PASSWORD}`,
    });
    expectJson(res, 415, { message: 'Unsupported content type "text/plain".' });
  });

  test('a token request with invalid JSON → 400 {message}', async () => {
    const res = await call('POST', `${server.vb365}/v6/token`, { headers: { 'content-type': 'application/json' }, body: '{"grant_type":' });
    expectJson(res, 400, { message: "The request body is not valid JSON: Body is not valid JSON but content-type is set to 'application/json'" });
  });

  test('a token request with an empty JSON body → 400 {message}', async () => {
    const res = await call('POST', `${server.vb365}/v6/token`, { headers: { 'content-type': 'application/json' }, body: '' });
    expectJson(res, 400, { message: 'The request body is empty but its content type is application/json.' });
  });

  test('a token request with a JSON array → 400 invalid_request', async () => {
    const message = 'The request body must be a form or a JSON object with grant_type.';
    expectJson(await call('POST', `${server.vb365}/v6/token`, { json: ['password'] }), 400, { error: 'invalid_request', error_description: message, message });
  });

  test('an account without the Vb365Administrator role → 403 {message}', async () => {
    const message = 'Access is denied: the account is not a Veeam Backup for Microsoft 365 administrator.';
    for (const role of ['CompanyOwner', 'ServiceProviderAdministrator', 'Ingest']) {
      const token = roleToken(role);
      expectJson(await call('GET', seedUrl(), { token }), 403, { message }, role);
      expectJson(await call('GET', `${server.vb365}/v6/Organizations`, { token }), 403, { message }, role);
      expectJson(await call('GET', `${server.vb365}/v6/Organizations/${SEED_ORG}`, { token }), 403, { message }, role);
    }
  });

  test('an account with only the Vb365Administrator role may read the VB365 face', async () => {
    expectBytes(await call('GET', seedUrl(), { token: roleToken('Vb365Administrator') }), 200, SEED_VB365_BODY, 'Vb365Administrator');
  });

  test('a disabled account gets no token and its existing token → 401 with an empty body', async () => {
    const username = 'e2e-disabled';
    const created = await call('PUT', `${server.vb365}/tally/v1/users/${username}`, { token: admin, json: { password: USER_PASSWORD, roles: ['Vb365Administrator'] } });
    expectJson(created, 200, {
      uid: created.json().uid, username, roles: ['Vb365Administrator'], scopeUid: null, disabled: false,
    });
    const login = await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username, password: USER_PASSWORD }));
    assert.equal(login.status, 200, login.text);
    const token = login.json().access_token as string;
    expectBytes(await call('GET', seedUrl(), { token }), 200, SEED_VB365_BODY, 'before disabling');

    expectJson(await call('PUT', `${server.vb365}/tally/v1/users/${username}`, { token: admin, json: { roles: ['Vb365Administrator'], disabled: true } }), 200, {
      uid: created.json().uid, username, roles: ['Vb365Administrator'], scopeUid: null, disabled: true,
    });
    const refused = await call('GET', seedUrl(), { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.text, '');
    expectJson(await call('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username, password: USER_PASSWORD })), 400, {
      error: 'invalid_grant', error_description: 'The user name or password is incorrect.', message: 'The user name or password is incorrect.',
    });
  });
});

describe('VSPC face: {"errors":[…]} dialect', () => {
  const seedUrl = () => `${server.vspc}${SEED_VSPC_PATH}`;

  test('no token → 401 security', async () => {
    expectJson(await call('GET', seedUrl()), 401, vspcError(401, 'Authorization is required: send an access token in the Authorization header.', 'security'));
  });

  test('an invalid token → 401 security', async () => {
    expectJson(await call('GET', seedUrl(), { token: 'not-a-token' }), 401, vspcError(401, 'The access token is invalid.', 'security'));
  });

  test('a malformed Authorization header → 401 security', async () => {
    expectJson(await call('GET', seedUrl(), { headers: { authorization: 'Basic YWRtaW46cGFzc3dvcmQ=' } }), 401, vspcError(401, 'The access token is invalid.', 'security'));
  });

  test('a refresh token is not an access token → 401 security', async () => {
    const login = await call('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(login.status, 200, login.text);
    expectJson(await call('GET', seedUrl(), { token: login.json().refresh_token }), 401, vspcError(401, 'The access token is invalid.', 'security'));
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'refresh_token', refresh_token: login.json().access_token })), 400,
      { error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or already used.' });
  });

  test('a malformed tenantUid → 400 with parameterName tenantUid', async () => {
    expectJson(await call('GET', `${server.vspc}/api/v3/licensing/console/usage/companies/vcc/not-a-uuid`, { token: admin }), 400,
      vspcError(400, "The value 'not-a-uuid' is not valid for tenantUid: it must be a valid uuid.", 'logical', { parameterName: 'tenantUid' }));
  });

  test('an unknown tenant → 404', async () => {
    expectJson(await call('GET', `${server.vspc}/api/v3/licensing/console/usage/companies/vcc/${UNKNOWN_UUID}`, { token: admin }), 404,
      vspcError(404, `Tenant with UID ${UNKNOWN_UUID} does not exist.`, 'logical'));
  });

  test('the company uid is not a tenant uid → 404', async () => {
    expectJson(await call('GET', `${server.vspc}/api/v3/licensing/console/usage/companies/vcc/${SEED_COMPANY}`, { token: admin }), 404,
      vspcError(404, `Tenant with UID ${SEED_COMPANY} does not exist.`, 'logical'));
  });

  test('an unknown route → 404, inside and outside /api/v3; VSPC routes are case-sensitive', async () => {
    expectJson(await call('GET', `${server.vspc}/api/v3/licensing/nothing`, { token: admin }), 404,
      vspcError(404, 'The requested resource /api/v3/licensing/nothing does not exist.', 'logical'));
    expectJson(await call('GET', `${server.vspc}/api/v4/about`, { token: admin }), 404, vspcError(404, 'No resource matches GET /api/v4/about.', 'logical'));
    expectJson(await call('GET', `${server.vspc}/v6/Organizations`, { token: admin }), 404, vspcError(404, 'No resource matches GET /v6/Organizations.', 'logical'));
    expectJson(await call('GET', `${server.vspc}/api/v3/Licensing/console/usage/companies/vcc/${SEED_TENANT}`, { token: admin }), 404,
      vspcError(404, `The requested resource /api/v3/Licensing/console/usage/companies/vcc/${SEED_TENANT} does not exist.`, 'logical'));
  });

  for (const role of VSPC_ALLOWED) {
    test(`role ${role} may read the seed tenant (200)`, async () => {
      expectBytes(await call('GET', seedUrl(), { token: roleToken(role) }), 200, SEED_VSPC_BODY, role);
    });
  }

  for (const role of VSPC_REFUSED) {
    test(`role ${role} → 403 in the VSPC dialect`, async () => {
      expectJson(await call('GET', seedUrl(), { token: roleToken(role) }), 403, vspcError(403, 'Access denied: your role does not allow this operation.', 'security'), role);
    });
  }

  test('bad credentials on /api/v3/token → 400 {error: invalid_grant, error_description}', async () => {
    const body = { error: 'invalid_grant', error_description: 'The user name or password is incorrect.' };
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: 'wrong-password' })), 400, body);
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'nobody', password: 'wrong-password' })), 400, body);
  });

  test('an unsupported grant on /api/v3/token → 400 unsupported_grant_type', async () => {
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'authorization_code', code: 'x' })), 400, {
      error: 'unsupported_grant_type', error_description: 'The grant type "authorization_code" is not supported.',
    });
  });

  test('/api/v3/token with text/plain → 415, with invalid JSON → 400, in the VSPC dialect', async () => {
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, { headers: { 'content-type': 'text/plain' }, body: 'grant_type=password' }), 415,
      vspcError(415, 'Unsupported content type "text/plain".', 'logical'));
    expectJson(await call('POST', `${server.vspc}/api/v3/token`, { headers: { 'content-type': 'application/json' }, body: '{"grant_type":' }), 400,
      vspcError(400, "The request body is not valid JSON: Body is not valid JSON but content-type is set to 'application/json'", 'logical'));
  });
});

describe('admin API: {"error":{code,message,details?}} dialect', () => {
  const missing = adminError('unauthorized', 'Send a bearer token from POST /v6/token or POST /api/v3/token.');
  const invalid = adminError('unauthorized', 'The access token is invalid.');
  const forbidden = adminError('forbidden', 'Your roles do not allow this operation.');

  test('no token → 401 on every admin route, on both listeners; nothing stored', async () => {
    for (const base of [server.vspc, server.vb365]) {
      for (const [method, path, json] of [
        ['GET', '/tally/v1/clock', undefined],
        ['PUT', '/tally/v1/clock', { now: '2027-01-01T00:00:00Z' }],
        ['GET', '/tally/v1/companies', undefined],
        ['PUT', `/tally/v1/companies/${uuid(1, 'e45')}`, { name: 'Never stored' }],
        ['PUT', '/tally/v1/users/e2e-intruder', { password: USER_PASSWORD, roles: ['PortalAdministrator'] }],
        ['POST', '/tally/v1/events', { events: [wouldBeEvent()] }],
      ] as const) {
        const res = await call(method, `${base}${path}`, json === undefined ? {} : { json });
        expectJson(res, 401, missing, `${method} ${path}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
      }
    }
    expectJson(await call('GET', `${server.vspc}/tally/v1/companies/${uuid(1, 'e45')}`, { token: admin }), 404,
      adminError('not_found', `Company ${uuid(1, 'e45')} does not exist.`));
    expectJson(await call('GET', `${server.vspc}/tally/v1/users/e2e-intruder`, { token: admin }), 404, adminError('not_found', 'User e2e-intruder does not exist.'));
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: admin }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
    await seedsUnchanged('unauthenticated posts');
  });

  test('an invalid token → 401; nothing stored', async () => {
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: 'not-a-token' }), 401, invalid);
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: 'not-a-token', json: { events: [wouldBeEvent()] } }), 401, invalid);
    expectJson(await call('POST', `${server.vb365}/tally/v1/events`, { headers: { authorization: 'Basic YWRtaW46cGFzc3dvcmQ=' }, json: { events: [wouldBeEvent()] } }), 401, invalid);
    await seedsUnchanged('posts with an invalid token');
  });

  test('CompanyOwner → 403 on the admin API; nothing stored', async () => {
    const token = roleToken('CompanyOwner');
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token }), 403, forbidden);
    expectJson(await call('PUT', `${server.vspc}/tally/v1/clock`, { token, json: { now: '2027-01-01T00:00:00Z' } }), 403, forbidden);
    expectJson(await call('GET', `${server.vspc}/tally/v1/companies`, { token }), 403, forbidden);
    expectJson(await call('PUT', `${server.vspc}/tally/v1/users/e2e-CompanyOwner`, { token, json: { roles: ['PortalAdministrator'] } }), 403, forbidden);
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token, json: { events: [wouldBeEvent()] } }), 403, forbidden);
    expectJson(await call('POST', `${server.vb365}/tally/v1/events`, { token, json: { events: [wouldBeEvent()] } }), 403, forbidden);
    // Nothing changed: the clock, the account's roles, the seeds.
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: admin }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
    const owner = await call('GET', `${server.vspc}/tally/v1/users/e2e-CompanyOwner`, { token: admin });
    expectJson(owner, 200, {
      uid: owner.json().uid, username: 'e2e-CompanyOwner', roles: ['CompanyOwner'], scopeUid: null, disabled: false,
    });
    await seedsUnchanged('posts by a CompanyOwner');
  });

  test('Vb365Administrator and Ingest are not admins (403); Ingest may post events only', async () => {
    for (const role of ['Vb365Administrator', 'Ingest', 'ServiceProviderAdministrator']) {
      expectJson(await call('GET', `${server.vb365}/tally/v1/clock`, { token: roleToken(role) }), 403, forbidden, role);
      expectJson(await call('GET', `${server.vb365}/tally/v1/organizations`, { token: roleToken(role) }), 403, forbidden, role);
    }
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: roleToken('Vb365Administrator'), json: { events: [wouldBeEvent()] } }), 403, forbidden);
    // An empty batch stores nothing, whoever may post.
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: roleToken('Ingest'), json: { events: [] } }), 200, { accepted: 0, duplicates: 0 });
    await seedsUnchanged('posts by non-admins');
  });

  test('bad JSON → 400 bad_request; nothing stored', async () => {
    const message = "The request body is not valid JSON: Body is not valid JSON but content-type is set to 'application/json'";
    const valid = JSON.stringify({ events: [wouldBeEvent()] });
    for (const base of [server.vspc, server.vb365]) {
      expectJson(await call('POST', `${base}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/json' }, body: `${valid.slice(0, -1)},` }), 400,
        adminError('bad_request', message), 'events');
      expectJson(await call('PUT', `${base}/tally/v1/clock`, { token: admin, headers: { 'content-type': 'application/json' }, body: '{"now":' }), 400,
        adminError('bad_request', message), 'clock');
      expectJson(await call('PUT', `${base}/tally/v1/companies/${uuid(2, 'e45')}`, { token: admin, headers: { 'content-type': 'application/json' }, body: "{'name':'x'}" }), 400,
        adminError('bad_request', message), 'company');
    }
    expectJson(await call('GET', `${server.vspc}/tally/v1/companies/${uuid(2, 'e45')}`, { token: admin }), 404, adminError('not_found', `Company ${uuid(2, 'e45')} does not exist.`));
    await seedsUnchanged('bad JSON');
  });

  test('a body that is not {"events":[…]} → 400; nothing stored', async () => {
    const message = 'The body must be {"events":[…]} and nothing else (application/json) or one event a line (application/x-ndjson).';
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, json: [wouldBeEvent()] }), 400, adminError('bad_request', message), 'a bare array');
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, json: { event: wouldBeEvent() } }), 400, adminError('bad_request', message), 'no events');
    expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, json: { events: wouldBeEvent() } }), 400, adminError('bad_request', message), 'events not an array');
    await seedsUnchanged('wrong body shapes');
  });

  test('wrong content type (text/plain) on /tally/v1/events → 415; nothing stored', async () => {
    const message = 'Unsupported content type "text/plain".';
    for (const base of [server.vspc, server.vb365]) {
      const res = await call('POST', `${base}/tally/v1/events`, { token: admin, headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ events: [wouldBeEvent()] }) });
      expectJson(res, 415, adminError('unsupported_media_type', message));
    }
    const xml = await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/xml' }, body: '<events/>' });
    expectJson(xml, 415, adminError('unsupported_media_type', 'Unsupported content type "application/xml".'));
    await seedsUnchanged('text/plain posts');
  });

  test('validation errors name the field: PUT clock with a bad date or an unknown field, PUT user without password; nothing changed', async () => {
    for (const now of ['2027-01-01T00:00:00', 'yesterday', '2026-02-30T00:00:00Z']) {
      const message = 'Invalid request body: now must be a valid date-time.';
      expectJson(await call('PUT', `${server.vspc}/tally/v1/clock`, { token: admin, json: { now } }), 400,
        adminError('validation_failed', message, [{ field: 'now', message: 'must be a valid date-time' }]), now);
    }
    const unknown = 'Invalid request body: extra is not a known field.';
    expectJson(await call('PUT', `${server.vspc}/tally/v1/clock`, { token: admin, json: { now: '2027-01-01T00:00:00Z', extra: 1 } }), 400,
      adminError('validation_failed', unknown, [{ field: 'extra', message: 'is not a known field' }]), 'unknown field');
    expectJson(await call('PUT', `${server.vspc}/tally/v1/users/e2e-no-password`, { token: admin, json: { roles: ['ReadOnlyUser'] } }), 400,
      adminError('validation_failed', 'A new user needs a password.', [{ field: 'password', message: 'is required for a new user' }]));
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: admin }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
  });

  test('an unknown route → 404 on both listeners', async () => {
    expectJson(await call('GET', `${server.vspc}/tally/v1/nothing`, { token: admin }), 404, adminError('not_found', 'No admin API route matches GET /tally/v1/nothing.'));
    // A known path with a method it does not serve is a 405 naming the methods it does.
    expectJson(await call('DELETE', `${server.vb365}/tally/v1/clock`, { token: admin }), 405, adminError('method_not_allowed', '/tally/v1/clock does not accept DELETE; it accepts GET, PUT.'));
    expectJson(await call('GET', `${server.vb365}/tally/v2/clock`, { token: admin }), 404, { message: 'No resource matches GET /tally/v2/clock.' });
  });

  test('an unknown entity → 404', async () => {
    expectJson(await call('GET', `${server.vspc}/tally/v1/organizations/${UNKNOWN_UUID}`, { token: admin }), 404,
      adminError('not_found', `Organization ${UNKNOWN_UUID} does not exist.`));
    expectJson(await call('GET', `${server.vspc}/tally/v1/resellers/${UNKNOWN_UUID}`, { token: admin }), 404,
      adminError('not_found', `Reseller ${UNKNOWN_UUID} does not exist.`));
  });
});

describe('odd requests never answer 5xx', () => {
  test('a sweep of malformed requests on every listener answers 4xx', async () => {
    const cases: [string, string, { headers?: Record<string, string>; body?: string }][] = [];
    for (const base of [server.vb365, server.vspc]) {
      const tokenPath = base === server.vb365 ? '/v6/token' : '/api/v3/token';
      const seedPath = base === server.vb365 ? SEED_VB365_PATH : SEED_VSPC_PATH;
      cases.push(
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/json' }, body: '[' }],
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/json' }, body: 'null' }],
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/json' }, body: '"password"' }],
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/json' }, body: '{"grant_type":5}' }],
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%%%' }],
        ['POST', `${base}${tokenPath}`, { headers: { 'content-type': 'application/octet-stream' }, body: 'x' }],
        ['POST', `${base}${tokenPath}`, {}],
        ['GET', `${base}${tokenPath}`, {}],
        ['DELETE', `${base}${seedPath}`, { headers: { authorization: `Bearer ${admin}` } }],
        ['POST', `${base}${seedPath}`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' }],
        ['GET', `${base}/v6/Organizations?extendedView=maybe`, { headers: { authorization: `Bearer ${admin}` } }],
        ['GET', `${base}/v6/Organizations/%ZZ`, { headers: { authorization: `Bearer ${admin}` } }],
        ['GET', `${base}/api/v3/licensing/console/usage/companies/vcc/%E0%A4%A`, { headers: { authorization: `Bearer ${admin}` } }],
        ['POST', `${base}/tally/v1/events`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: 'null' }],
        ['POST', `${base}/tally/v1/events`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"events":[null,1,"x",[]]}' }],
        ['POST', `${base}/tally/v1/events`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-ndjson' }, body: 'null\n[]\n' }],
        ['POST', `${base}/tally/v1/events`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"events":[{"__proto__":{"id":"x"}}]}' }],
        ['PUT', `${base}/tally/v1/clock`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"now":"2026-02-30T00:00:00Z"}' }],
        ['PUT', `${base}/tally/v1/clock`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' }],
        ['PUT', `${base}/tally/v1/users/a%2Fb`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"password":"12345678","roles":["Nope"]}' }],
        ['PUT', `${base}/tally/v1/licenses/vspc`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"type":"Rental","units":-1,"expirationDate":"x"}' }],
        ['PUT', `${base}/tally/v1/companies/not-a-uuid`, { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"name":"x"}' }],
        ['GET', `${base}/tally/v1/clock`, { headers: { authorization: `Bearer ${'x'.repeat(5000)}` } }],
      );
    }
    const failures: string[] = [];
    for (const [method, url, options] of cases) {
      const res = await request(method, url, options);
      seenStatuses.push({ method, url, status: res.status });
      if (res.status < 400 || res.status >= 500) failures.push(`${method} ${url} ${options.body ?? ''} → ${res.status} ${res.text}`);
    }
    assert.deepEqual(failures, [], 'every malformed request answers 4xx');
    // The clock was not moved by any of them.
    expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: admin }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
    await seedsUnchanged('the sweep');
  });

  test('no request in this file answered 5xx', () => {
    const fives = seenStatuses.filter((s) => s.status >= 500).map((s) => `${s.method} ${s.url} → ${s.status}`);
    assert.deepEqual(fives, []);
  });
});

describe('nothing refused was stored', () => {
  test('re-posting every event of the refused requests stores all of them as new, and the seed counts them', async () => {
    assert.ok(refusedEvents.length >= 10, `${refusedEvents.length} refused events`);
    const res = await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, json: { events: refusedEvents } });
    expectJson(res, 200, { accepted: refusedEvents.length, duplicates: 0 });
    const n = refusedEvents.length;
    expectBytes(
      await call('GET', `${server.vspc}${SEED_VSPC_PATH}`, { token: admin }),
      200,
      consoleUsageBody(
        SEED_COMPANY,
        SEED_TENANT,
        { usedUnits: '0.0', usedCount: 0, newUnits: `${22 + 11 * n}.0`, newCount: 2 + n },
        { usedUnits: '0.0', usedCount: 0, newUnits: '8.0', newCount: 2 },
      ),
      'seed with the re-posted agents',
    );
    assert.equal(JSON_TYPE, res.headers['content-type']);
  });
});
