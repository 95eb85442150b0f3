/**
 * `X-Request-id` idempotency of the VSPC face: one effect and the same answer for a repeat within
 * 5 minutes, a 409 for the same id on another request, expiry, validation, server errors,
 * concurrent repeats and several nodes on one database.
 *
 * Most cases run the plugin on a small VSPC-dialect app with its own routes that count how often
 * they run and an injected wall clock; the face's own routes are checked end to end below.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { requireRoles } from '../../src/http/auth/guard.js';
import { installVspcErrorHandling, vspcRefusals } from '../../src/http/vspc/errors.js';
import { installIdempotency, parseRequestId, REQUEST_ID_WINDOW_MS } from '../../src/http/vspc/idempotency.js';
import { getAccount } from '../../src/store/accounts.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const ID = 'ba547d14-c556-42bb-b85c-eeeb16e2f5e7';
const OTHER_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

let app: TestApp;
let clock = Date.parse('2026-11-23T12:00:00Z');
let runs = 0;
let failNext = false;
let gate: Promise<void> | null = null;
let nodeA: FastifyInstance;
let nodeB: FastifyInstance;
let alice: string;
let bob: string;

/** A node of the VSPC face as far as idempotency goes: the plugin and routes that count their runs. */
async function node(pendingWaitMs = 2_000): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  installVspcErrorHandling(server);
  installIdempotency(server, app.ctx, { now: () => clock, pendingWaitMs });
  const guard = requireRoles(app.ctx.auth, ['PortalAdministrator'], vspcRefusals);
  server.post('/things', { preHandler: guard }, async (request, reply) => {
    runs++;
    if (gate) await gate;
    if (failNext) {
      failNext = false;
      throw new Error('the database went away');
    }
    return reply.code(201).header('Location', `/things/${runs}`).send({ data: { run: runs, body: request.body } });
  });
  server.delete('/things/:id', { preHandler: guard }, async (request, reply) => {
    runs++;
    return reply.code(404).send({ errors: [{ message: `Thing ${(request.params as { id: string }).id} does not exist.`, type: 'logical', code: 404 }] });
  });
  server.get('/things', { preHandler: guard }, async () => {
    runs++;
    return { data: runs };
  });
  await server.ready();
  return server;
}

before(async () => {
  app = await startTestApp();
  alice = await app.tokenFor('alice', ['PortalAdministrator']);
  bob = await app.tokenFor('bob', ['PortalAdministrator']);
  nodeA = await node();
  nodeB = await node();
});

after(async () => {
  await nodeA.close();
  await nodeB.close();
  await app.close();
});

const post = (server: FastifyInstance, payload: object, requestId: string | null = ID, token = alice, url = '/things') =>
  server.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${token}`, ...(requestId === null ? {} : { 'x-request-id': requestId }) },
  });

async function storedIds(): Promise<number> {
  const row = await app.ctx.store.db.selectFrom('request_ids').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('X-Request-id on requests that change something', () => {
  test('the same id twice: one effect and the same answer (status, headers, body)', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const first = await post(nodeA, { name: 'one' });
    const second = await post(nodeA, { name: 'one' });
    assert.equal(runs, before + 1);
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.equal(second.body, first.body);
    assert.equal(second.headers['content-type'], first.headers['content-type']);
    assert.equal(second.headers.location, first.headers.location);
    // Without an id every request runs.
    await post(nodeA, { name: 'one' }, null);
    await post(nodeA, { name: 'one' }, null);
    assert.equal(runs, before + 3);
  });

  test('the id is shared by every node on the database: a retry on another node is answered the same', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const first = await post(nodeA, { name: 'shared' }, OTHER_ID);
    const retry = await post(nodeB, { name: 'shared' }, OTHER_ID);
    assert.equal(runs, before + 1);
    assert.equal(retry.body, first.body);
  });

  test('the same id for another body, URL or method: 409, nothing runs', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    await post(nodeA, { name: 'first' });
    const before = runs;
    const conflict = `{"errors":[{"message":"X-Request-id ${ID} was already used for a different request within the last 5 minutes; send a new UID for a new request.","type":"logical","code":409}]}`;
    const otherBody = await post(nodeA, { name: 'second' });
    assert.equal(otherBody.statusCode, 409);
    assert.equal(otherBody.body, conflict);
    const otherUrl = await post(nodeA, { name: 'first' }, ID, alice, '/things?dryRun=true');
    assert.equal(otherUrl.statusCode, 409);
    const otherMethod = await nodeA.inject({ method: 'DELETE', url: '/things/7', headers: { authorization: `Bearer ${alice}`, 'x-request-id': ID } });
    assert.equal(otherMethod.statusCode, 409);
    assert.equal(otherMethod.body, conflict);
    assert.equal(runs, before);
  });

  test('ids belong to an account: another account may use the same id for its own request', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const mine = await post(nodeA, { name: 'mine' });
    const theirs = await post(nodeA, { name: 'theirs' }, ID, bob);
    assert.equal(runs, before + 2);
    assert.equal(mine.statusCode, 201);
    assert.equal(theirs.statusCode, 201);
    assert.notEqual(theirs.body, mine.body);
  });

  test('the answer is kept 5 minutes from the first request, then the id is new again', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const first = await post(nodeA, { name: 'window' });
    clock += REQUEST_ID_WINDOW_MS - 1;
    assert.equal((await post(nodeB, { name: 'window' })).body, first.body);
    assert.equal(runs, before + 1);
    clock += 1;
    const later = await post(nodeB, { name: 'window' });
    assert.equal(runs, before + 2);
    assert.notEqual(later.body, first.body);
    // After the window, the id may even be used for another request.
    clock += REQUEST_ID_WINDOW_MS;
    assert.equal((await post(nodeA, { name: 'something else' })).statusCode, 201);
  });

  test('expired records are deleted', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    await post(nodeA, { name: 'to expire' }, '11111111-2222-4333-8444-555555555555');
    assert.ok((await storedIds()) >= 1);
    clock += REQUEST_ID_WINDOW_MS + 60_000;
    await post(nodeA, { name: 'cleanup trigger' }, '11111111-2222-4333-8444-666666666666');
    assert.equal(await storedIds(), 1);
  });

  test('client errors are answers too: a repeated 404 is replayed, not run again', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const call = () => nodeA.inject({ method: 'DELETE', url: '/things/9', headers: { authorization: `Bearer ${alice}`, 'x-request-id': ID } });
    const first = await call();
    const second = await call();
    assert.equal(first.statusCode, 404);
    assert.equal(second.statusCode, 404);
    assert.equal(second.body, first.body);
    assert.equal(runs, before + 1);
  });

  test('server errors are not kept: the retry runs again', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    failNext = true;
    const failed = await post(nodeA, { name: 'flaky' });
    assert.equal(failed.statusCode, 520);
    const retried = await post(nodeA, { name: 'flaky' });
    assert.equal(retried.statusCode, 201);
    assert.equal(runs, before + 2);
    assert.equal((await post(nodeA, { name: 'flaky' })).body, retried.body);
    assert.equal(runs, before + 2);
  });

  test('a repeat that arrives while the first still runs waits for its answer', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const first = post(nodeA, { name: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const repeat = post(nodeB, { name: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    gate = null;
    open();
    const [a, b] = await Promise.all([first, repeat]);
    assert.equal(runs, before + 1);
    assert.equal(a.statusCode, 201);
    assert.equal(b.body, a.body);
  });

  test('…and gives up with a retryable 409 when the first takes too long', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const impatient = await node(150);
    try {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      const first = post(nodeA, { name: 'very slow' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const repeat = await post(impatient, { name: 'very slow' });
      assert.equal(repeat.statusCode, 409);
      assert.equal(repeat.headers['retry-after'], '1');
      assert.equal(
        repeat.body,
        `{"errors":[{"message":"The request with X-Request-id ${ID} is still being processed; retry later.","type":"retryableLogical","code":409}]}`,
      );
      gate = null;
      open();
      assert.equal((await first).statusCode, 201);
    } finally {
      await impatient.close();
    }
  });
});

describe('the header itself', () => {
  test('not a UUID: 400 naming X-Request-id, nothing runs', async () => {
    const before = runs;
    for (const bad of ['nope', 'ba547d14-c556-42bb-b85c', `${ID}, ${OTHER_ID}`, `${ID}0`]) {
      const res = await post(nodeA, { name: 'x' }, bad);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.body, `{"errors":[{"message":"The value '${bad}' is not valid for X-Request-id: it must be a valid uuid.","type":"logical","code":400,"parameterName":"X-Request-id"}]}`);
    }
    assert.equal(runs, before);
    // An empty value is no id: the request runs.
    assert.equal((await post(nodeA, { name: 'x' }, '')).statusCode, 201);
    assert.equal(runs, before + 1);
  });

  test('the forms a .NET Guid takes are one id', async () => {
    assert.equal(parseRequestId(ID.toUpperCase()), ID);
    assert.equal(parseRequestId(`{${ID}}`), ID);
    assert.equal(parseRequestId(`(${ID})`), ID);
    assert.equal(parseRequestId(ID.replaceAll('-', '')), ID);
    assert.equal(parseRequestId(`{${ID}`), null);
    clock += REQUEST_ID_WINDOW_MS * 2;
    const before = runs;
    const first = await post(nodeA, { name: 'forms' }, ID.replaceAll('-', '').toUpperCase());
    assert.equal((await post(nodeA, { name: 'forms' }, `{${ID}}`)).body, first.body);
    assert.equal(runs, before + 1);
  });

  test('reads are not recorded: a GET runs every time, and its id may be reused', async () => {
    clock += REQUEST_ID_WINDOW_MS * 2;
    const read = () => nodeA.inject({ url: '/things', headers: { authorization: `Bearer ${alice}`, 'x-request-id': ID } });
    const first = (await read()).json().data;
    const second = (await read()).json().data;
    assert.equal(second, first + 1);
    assert.equal((await post(nodeA, { name: 'after reads' })).statusCode, 201);
    assert.equal((await nodeA.inject({ url: '/things', headers: { authorization: `Bearer ${alice}`, 'x-request-id': 'no' } })).statusCode, 400);
  });

  test('authentication comes first: no token is a 401 whatever the header', async () => {
    const res = await nodeA.inject({ method: 'POST', url: '/things', payload: {}, headers: { 'x-request-id': 'nope' } });
    assert.equal(res.statusCode, 401);
  });
});

describe('on the VSPC face', () => {
  test('validated on every route, anonymous token requests included; the token operation is never replayed', async () => {
    const bad = await app.vspc.inject({ url: '/api/v3/organizations/companies', headers: { authorization: `Bearer ${app.adminToken}`, 'x-request-id': 'x' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().errors[0].parameterName, 'X-Request-id');
    const login = () =>
      app.vspc.inject({
        method: 'POST',
        url: '/api/v3/token',
        payload: 'grant_type=password&username=alice&password=password-of-alice',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': ID },
      });
    const [one, two] = [await login(), await login()];
    assert.equal(one.statusCode, 200);
    assert.notEqual(one.json().access_token, two.json().access_token);
    const badLogin = await app.vspc.inject({
      method: 'POST',
      url: '/api/v3/token',
      payload: 'grant_type=password&username=alice&password=password-of-alice',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'nope' },
    });
    assert.equal(badLogin.statusCode, 400);
    assert.equal(badLogin.json().errors[0].parameterName, 'X-Request-id');
  });

  test('a real change (DELETE /users/{userUid}/tokens) repeated with its id has one effect', async () => {
    const carol = await app.tokenFor('carol', ['ReadOnlyUser']);
    const uid = (await getAccount(app.ctx.store.db, 'carol'))!.uid;
    const requestId = '7c0e96a0-ee5e-4af2-b4e3-1f886afdf000';
    const revoke = () =>
      app.vspc.inject({ method: 'DELETE', url: `/api/v3/users/${uid}/tokens`, headers: { authorization: `Bearer ${app.adminToken}`, 'x-request-id': requestId } });
    const first = await revoke();
    assert.equal(first.statusCode, 200);
    assert.equal(first.body, '{"data":true}');
    const whoami = (token: string) => app.vspc.inject({ url: '/api/v3/organizations/companies', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await whoami(carol)).statusCode, 401);
    // A token issued after the first revocation survives the repeat: the repeat did not run again.
    const fresh = (await app.ctx.auth.login('carol', 'password-of-carol'))!.accessToken;
    const second = await revoke();
    assert.equal(second.statusCode, 200);
    assert.equal(second.body, first.body);
    assert.equal((await whoami(fresh)).statusCode, 200);
  });
});
