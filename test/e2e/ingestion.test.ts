/**
 * Ingestion over HTTPS against the real server on an empty installation (--no-demo) with a fixed
 * clock: all or nothing, idempotency, conflicts, limits, NDJSON, future events and a restart.
 * The tests run in order and build on each other; `acknowledged` holds every event the server
 * accepted, so the restart test can show all of them survived.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { form, request, spawnTally, type ServerProcess } from '../support/server.js';
import { createTestDatabase, type TestDatabase } from '../support/stores.js';
import { ADMIN_PASSWORD, CLOCK, activation, adminError, backup, call, consoleUsageBody, expectBytes, expectJson, uuid } from './helpers.js';

// The README's example company and agent.
const COMPANY = '0b1e5c1a-5d6f-4c0e-9a55-3d0f8e2a7b10';
const TENANT = '5f0c3c8e-2f3b-4a57-b0a6-7f1c2d3e4f50';
const README_AGENT = 'c2a4e6f8-1b3d-4f5a-8c7e-9d0f1a2b3c4d';
const ORG = '3c9d2f4a-6b1e-4d7c-8a5f-0e1d2c3b4a59';
/** Events dated here never matter: the tests never move the clock that far. */
const FAR_FUTURE = '2030-01-01T00:00:00Z';

const VSPC_PATH = `/api/v3/licensing/console/usage/companies/vcc/${TENANT}`;
const VB365_PATH = `/v6/Organizations/${ORG}/LicensingInformation`;
const SERVE_ARGS = ['--clock', CLOCK, '--admin-password', ADMIN_PASSWORD];

let dataDir: string;
let database: TestDatabase | undefined;
let server: ServerProcess;
let admin: string;
const acknowledged: unknown[] = [];
let fillerCount = 0;

/** An event that never changes an answer (a backup in 2030), with a unique id. */
function filler(): ReturnType<typeof backup> {
  fillerCount += 1;
  return backup(`filler-${fillerCount}`, FAR_FUTURE, ORG, `filler-user-${fillerCount}`);
}

function vspcAnswer(server_: [string, number, string, number], workstation: [string, number, string, number]): string {
  return consoleUsageBody(
    COMPANY,
    TENANT,
    { usedUnits: server_[0], usedCount: server_[1], newUnits: server_[2], newCount: server_[3] },
    { usedUnits: workstation[0], usedCount: workstation[1], newUnits: workstation[2], newCount: workstation[3] },
  );
}

async function post(events: unknown[], options: { token?: string; base?: string } = {}) {
  return call('POST', `${options.base ?? server.vspc}/tally/v1/events`, { token: options.token ?? admin, json: { events } });
}

/** Posts events expecting all of them to be new. */
async function postNew(events: unknown[], what: string): Promise<void> {
  expectJson(await post(events), 200, { accepted: events.length, duplicates: 0 }, what);
  acknowledged.push(...events);
}

async function answers(): Promise<{ vspc: string; vb365: string }> {
  const vspc = await call('GET', `${server.vspc}${VSPC_PATH}`, { token: admin });
  assert.equal(vspc.status, 200, vspc.text);
  const vb365 = await call('GET', `${server.vb365}${VB365_PATH}`, { token: admin });
  assert.equal(vb365.status, 200, vb365.text);
  return { vspc: vspc.text, vb365: vb365.text };
}

async function expectAnswers(vspc: string, vb365: string, what: string): Promise<void> {
  expectBytes(await call('GET', `${server.vspc}${VSPC_PATH}`, { token: admin }), 200, vspc, `VSPC ${what}`);
  expectBytes(await call('GET', `${server.vb365}${VB365_PATH}`, { token: admin }), 200, vb365, `VB365 ${what}`);
}

async function setClock(now: string): Promise<void> {
  const res = await call('PUT', `${server.vspc}/tally/v1/clock`, { token: admin, json: { now } });
  expectJson(res, 200, { now: new Date(now).toISOString(), fixed: true }, `PUT clock ${now}`);
}

async function login(base: string): Promise<string> {
  const res = await request('POST', `${base}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
  assert.equal(res.status, 200, res.text);
  return res.json().access_token;
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tally-e2e-ingest-'));
  // The restart test reuses the data dir and the database (on PostgreSQL a schema of its own).
  database = await createTestDatabase();
  server = await spawnTally({ dataDir, database, args: ['--no-demo', ...SERVE_ARGS] });
  admin = await login(server.vspc);
});

after(async () => {
  await server?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Answers as the tests below build them up (clock 2026-11-23T12:00:00Z, rental weights 11/4).
const ZERO_VSPC = vspcAnswer(['0.0', 0, '0.0', 0], ['0.0', 0, '0.0', 0]);
const AFTER_README = vspcAnswer(['0.0', 0, '11.0', 1], ['0.0', 0, '0.0', 0]);
const AFTER_BATCH = vspcAnswer(['11.0', 1, '11.0', 1], ['0.0', 0, '4.0', 1]);

test('an empty installation: no demo, the entities and licenses are set up by PUT', async () => {
  expectJson(await call('GET', `${server.vspc}/tally/v1/companies`, { token: admin }), 200, []);
  expectJson(await call('GET', `${server.vspc}/tally/v1/organizations`, { token: admin }), 200, []);
  expectJson(await call('GET', `${server.vb365}/v6/Organizations`, { token: admin }), 200, []);

  expectJson(await call('PUT', `${server.vspc}/tally/v1/companies/${COMPANY}`, { token: admin, json: { name: 'Harbor Logistics', tenantUid: TENANT } }), 200,
    { uid: COMPANY, name: 'Harbor Logistics', resellerUid: null, tenantUid: TENANT });
  const vspcLicense = { type: 'Rental', units: 1000, expirationDate: '2027-12-31T00:00:00Z', weights: { server: 11, workstation: 4 } };
  expectJson(await call('PUT', `${server.vspc}/tally/v1/licenses/vspc`, { token: admin, json: vspcLicense }), 200, vspcLicense);
  expectJson(await call('PUT', `${server.vb365}/tally/v1/organizations/${ORG}`, { token: admin, json: { name: 'harbor.onmicrosoft.com' } }), 200,
    { id: ORG, name: 'harbor.onmicrosoft.com', officeName: null, type: 'Office365', region: 'Worldwide', companyUid: null });
  const vb365License = { type: 'Subscription', totalNumber: 100, expirationDate: '2027-12-31T00:00:00Z' };
  expectJson(await call('PUT', `${server.vb365}/tally/v1/licenses/vb365`, { token: admin, json: vb365License }), 200, vb365License);
  expectJson(await call('GET', `${server.vspc}/tally/v1/licenses/vspc`, { token: admin }), 200, vspcLicense);
  expectJson(await call('GET', `${server.vspc}/tally/v1/licenses/vb365`, { token: admin }), 200, vb365License);

  await expectAnswers(ZERO_VSPC, '{"licensedUsers":0,"newUsers":0}', 'before any event');
});

test("the README's example event is accepted: 200 {accepted:1, duplicates:0}", async () => {
  await postNew([activation('agent-42-on', '2026-11-02T08:00:00Z', COMPANY, README_AGENT)], 'README example');
  await expectAnswers(AFTER_README, '{"licensedUsers":0,"newUsers":0}', 'after the README example');
});

const ALICE = backup('bk-alice-1', '2026-11-20T22:00:00Z', ORG, 'alice');
const BATCH = [
  activation('ws-1-on', '2026-11-05T08:00:00Z', COMPANY, uuid(1, 'a1'), 'workstation'),
  activation('srv-2-on', '2026-10-15T08:00:00Z', COMPANY, uuid(2, 'a1'), 'server'),
  ALICE,
  backup('bk-bob-1', '2026-11-20T22:00:00Z', ORG, 'bob'),
  backup('bk-carol-1', '2026-11-21T22:00:00Z', ORG, 'carol'),
];

test('a batch of new events → 200 {accepted:5, duplicates:0}, and the answers count them', async () => {
  await postNew(BATCH, 'batch');
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":3,"newUsers":0}', 'after the batch');
});

test('re-posting the same batch → {accepted:0, duplicates:5}; nothing changes', async () => {
  expectJson(await post(BATCH), 200, { accepted: 0, duplicates: 5 });
  expectJson(await post(BATCH, { base: server.vb365 }), 200, { accepted: 0, duplicates: 5 }, 'via the VB365 listener');
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":3,"newUsers":0}', 'after the re-post');
});

test('a batch mixing seen and new events counts both', async () => {
  const fresh = [backup('bk-dave-1', '2026-11-22T22:00:00Z', ORG, 'dave'), backup('bk-erin-1', '2026-11-22T22:00:00Z', ORG, 'erin')];
  expectJson(await post([BATCH[0], fresh[0], BATCH[2], fresh[1]]), 200, { accepted: 2, duplicates: 2 });
  acknowledged.push(...fresh);
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":5,"newUsers":0}', 'after the mixed batch');
});

test('equal content in another spelling is a duplicate (offset, uuid case, defaults, key order)', async () => {
  const original = ALICE;
  const spellings = [
    { ...original, at: '2026-11-21T00:00:00+02:00' },
    { ...original, at: '2026-11-20T22:00:00.000Z', organizationId: ORG.toUpperCase() },
    { ...original, user: { ...original.user, kind: 'user', m365Licensed: false } },
    { user: { name: original.user.name, id: original.user.id }, organizationId: original.organizationId, at: original.at, type: original.type, id: original.id },
  ];
  for (const [i, event] of spellings.entries()) {
    expectJson(await post([event]), 200, { accepted: 0, duplicates: 1 }, `spelling ${i}`);
  }
});

test('the same id with different content → 409 and nothing of the request is stored', async () => {
  const fresh = filler();
  const conflicting = activation('agent-42-on', '2026-11-02T08:00:00Z', COMPANY, README_AGENT, 'workstation');
  const message = 'event "agent-42-on" was already recorded with different content';
  expectJson(await post([fresh, conflicting]), 409, adminError('conflict', `${message}; nothing was stored.`, [{ index: 1, field: 'id', message }]));
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":5,"newUsers":0}', 'after the conflict');
  // The new event of that request was not stored: alone it is accepted as new.
  await postNew([fresh], 'the new event of the refused request');
});

test('the same id twice in one request with different content → 409, nothing stored', async () => {
  const fresh = filler();
  const first = activation('twin', '2026-11-10T08:00:00Z', COMPANY, uuid(3, 'a1'), 'server');
  const second = { ...first, at: '2026-11-11T08:00:00Z' };
  const res = await post([fresh, first, second]);
  assert.equal(res.status, 409, res.text);
  const body = res.json();
  assert.equal(body.error.code, 'conflict', res.text);
  assert.deepEqual(body.error.details.map((d: { index: number; field: string }) => [d.index, d.field]), [[2, 'id']], res.text);
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":5,"newUsers":0}', 'after the twin conflict');
  await postNew([fresh], 'the new event of the twin request');
});

const INVALID: [string, (good: Record<string, unknown>) => unknown, { field: string; message: string }][] = [
  ['`at` without an offset', () => ({ ...activation('bad-at', '2026-11-01T10:00:00', COMPANY, uuid(10, 'b1')) }),
    { field: 'at', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z' }],
  ['an unknown type', () => ({ id: 'bad-type', type: 'vspc.agentExploded', at: '2026-11-01T10:00:00Z', agentUid: uuid(11, 'b1') }),
    { field: 'type', message: 'must be one of vb365.backup, vb365.dataRemoved, vb365.licenseRevoked, vspc.agentActivated, vspc.agentModeChanged, vspc.agentDeactivated' }],
  ['a missing organizationId', () => ({ id: 'bad-org', type: 'vb365.backup', at: '2026-11-01T10:00:00Z', user: { id: 'frank', name: 'Frank' } }),
    { field: 'organizationId', message: 'is required' }],
  ['a malformed uuid', () => activation('bad-uuid', '2026-11-01T10:00:00Z', 'not-a-uuid', uuid(12, 'b1')),
    { field: 'companyUid', message: 'must be a uuid' }],
  ['a mode outside the enum', () => activation('bad-mode', '2026-11-01T10:00:00Z', COMPANY, uuid(13, 'b1'), 'laptop' as 'server'),
    { field: 'agent.mode', message: 'must be one of "server", "workstation"' }],
  ['an unknown field', () => ({ ...activation('bad-field', '2026-11-01T10:00:00Z', COMPANY, uuid(14, 'b1')), color: 'blue' }),
    { field: 'color', message: 'unknown field for event type vspc.agentActivated' }],
];

for (const [what, makeBad, problem] of INVALID) {
  test(`one invalid event among good ones (${what}) → 400 naming index and field; nothing stored`, async () => {
    const good = [filler(), filler(), filler()];
    const res = await post([good[0], good[1], makeBad({}), good[2]]);
    expectJson(res, 400, adminError('validation_failed', 'The batch has invalid events; nothing was stored.', [{ index: 2, ...problem }]));
    await expectAnswers(AFTER_BATCH, '{"licensedUsers":5,"newUsers":0}', `after ${what}`);
    await postNew(good, `the good events of the request with ${what}`);
  });
}

test('every invalid event of a batch is listed with its index', async () => {
  const good = filler();
  const res = await post([
    activation('bad-a', '2026-11-01T10:00:00', COMPANY, uuid(20, 'b1')),
    good,
    { id: '', type: 'vspc.agentDeactivated', at: '2026-11-01T10:00:00Z', agentUid: uuid(21, 'b1') },
    'not an event',
  ]);
  expectJson(res, 400, adminError('validation_failed', 'The batch has invalid events; nothing was stored.', [
    { index: 0, field: 'at', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z' },
    { index: 2, field: 'id', message: 'must be a string of 1 to 200 characters' },
    { index: 3, field: '(event)', message: 'must be a JSON object' },
  ]));
  await postNew([good], 'the good event of the request with three invalid ones');
});

test('more than 10,000 events → 413, nothing stored; exactly 10,000 are accepted', async () => {
  const events = Array.from({ length: 10_001 }, () => filler());
  expectJson(await post(events), 413, adminError('batch_too_large', 'a batch holds at most 10000 events; this one has 10001'));
  const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
  expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/x-ndjson' }, body: ndjson }), 413,
    adminError('batch_too_large', 'a batch holds at most 10000 events; this one has 10001'), 'NDJSON');
  await postNew(events.slice(0, 10_000), 'exactly 10,000 events');
  await postNew(events.slice(10_000), 'the 10,001st event');
});

test('a body over 10 MiB → 413, nothing stored', async () => {
  const event = filler();
  const body = `{"events":[${' '.repeat(10 * 1024 * 1024)}${JSON.stringify(event)}]}`;
  const res = await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/json' }, body });
  expectJson(res, 413, adminError('payload_too_large', 'The request body is too large.'));
  await postNew([event], 'the event of the oversized request');
});

test('the same new batch posted five times at once is stored once: accepted and duplicates add up', async () => {
  const events = Array.from({ length: 200 }, () => filler());
  const results = await Promise.all(
    [server.vspc, server.vb365, server.vspc, server.vb365, server.vspc].map((base) => post(events, { base })),
  );
  for (const res of results) assert.equal(res.status, 200, res.text);
  const bodies = results.map((res) => res.json() as { accepted: number; duplicates: number });
  assert.equal(bodies.reduce((n, b) => n + b.accepted, 0), 200, JSON.stringify(bodies));
  assert.equal(bodies.reduce((n, b) => n + b.duplicates, 0), 800, JSON.stringify(bodies));
  acknowledged.push(...events);
  expectJson(await post(events), 200, { accepted: 0, duplicates: 200 }, 'once more');
});

test('NDJSON (application/x-ndjson, one event a line) is accepted', async () => {
  const events = [
    backup('nd-frank-1', '2026-11-22T23:00:00Z', ORG, 'frank'),
    filler(),
    filler(),
  ];
  const body = `${events.map((e) => JSON.stringify(e)).join('\r\n')}\n\n`;
  expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/x-ndjson' }, body }), 200,
    { accepted: 3, duplicates: 0 });
  acknowledged.push(...events);
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":6,"newUsers":0}', 'after the NDJSON batch');
  expectJson(await call('POST', `${server.vb365}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/x-ndjson; charset=utf-8' }, body }), 200,
    { accepted: 0, duplicates: 3 }, 'NDJSON with a charset, again');
});

test('NDJSON with a line that is not JSON → 400 naming its index; nothing stored', async () => {
  const good = [filler(), filler()];
  const body = `${JSON.stringify(good[0])}\n{"id":"broken",\n${JSON.stringify(good[1])}\n`;
  expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/x-ndjson' }, body }), 400,
    adminError('validation_failed', 'The batch has invalid events; nothing was stored.', [{ index: 1, field: '(event)', message: 'line 2 is not valid JSON' }]));
  await postNew(good, 'the good lines');
});

test('NDJSON with a JSON line that is not a valid event → 400 naming its index; nothing stored', async () => {
  const good = [filler(), filler()];
  const bad = activation('nd-bad-mode', '2026-11-01T10:00:00Z', COMPANY, uuid(30, 'b1'), 'tablet' as 'server');
  const body = [good[0], good[1], bad].map((e) => JSON.stringify(e)).join('\n');
  expectJson(await call('POST', `${server.vspc}/tally/v1/events`, { token: admin, headers: { 'content-type': 'application/x-ndjson' }, body }), 400,
    adminError('validation_failed', 'The batch has invalid events; nothing was stored.', [{ index: 2, field: 'agent.mode', message: 'must be one of "server", "workstation"' }]));
  await postNew(good, 'the good lines');
});

test('an account with the Ingest role may post events (token from the VB365 face, VB365 listener)', async () => {
  const created = await call('PUT', `${server.vspc}/tally/v1/users/e2e-ingest`, { token: admin, json: { password: 'password-of-ingest', roles: ['Ingest'] } });
  expectJson(created, 200, { uid: created.json().uid, username: 'e2e-ingest', roles: ['Ingest'], scopeUid: null, disabled: false });
  const login_ = await request('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'e2e-ingest', password: 'password-of-ingest' }));
  assert.equal(login_.status, 200, login_.text);
  const events = [filler()];
  expectJson(await post(events, { token: login_.json().access_token, base: server.vb365 }), 200, { accepted: 1, duplicates: 0 });
  acknowledged.push(...events);
});

test('events dated after the clock have no effect until the clock passes them', async () => {
  const future = [
    activation('srv-4-on', '2026-11-25T00:00:00Z', COMPANY, uuid(4, 'a1'), 'server'),
    backup('bk-gina-1', '2026-11-24T00:00:00Z', ORG, 'gina'),
  ];
  await postNew(future, 'future events');
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":6,"newUsers":0}', 'future events before their time');

  await setClock('2026-11-24T12:00:00Z');
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":7,"newUsers":0}', 'after the backup, before the activation');

  await setClock('2026-11-26T00:00:00Z');
  await expectAnswers(vspcAnswer(['11.0', 1, '22.0', 2], ['0.0', 0, '4.0', 1]), '{"licensedUsers":7,"newUsers":0}', 'after both');

  // Next month every agent is used.
  await setClock('2026-12-01T00:00:00Z');
  await expectAnswers(vspcAnswer(['33.0', 3, '0.0', 0], ['4.0', 1, '0.0', 0]), '{"licensedUsers":7,"newUsers":0}', 'next month');

  // Back in time: the future events have no effect again.
  await setClock(CLOCK);
  await expectAnswers(AFTER_BATCH, '{"licensedUsers":6,"newUsers":0}', 'back at the start');
});

test('a restart keeps everything acknowledged: SIGTERM exits 0, the new server answers the same', async () => {
  const before_ = await answers();
  assert.deepEqual(before_, { vspc: AFTER_BATCH, vb365: '{"licensedUsers":6,"newUsers":0}' });
  const oldToken = admin;

  assert.equal(await server.stop('SIGTERM'), 0, server.stderr());
  // Without --no-demo: the database is not empty, so the demo is not loaded.
  server = await spawnTally({ dataDir, database, args: SERVE_ARGS });
  assert.doesNotMatch(server.stdout(), /loaded the demo/, server.stdout());
  assert.doesNotMatch(server.stdout(), /created the account admin/, server.stdout());
  admin = await login(server.vspc);

  assert.deepEqual(await answers(), before_);
  // Tokens live in the database: the old one still works.
  expectBytes(await call('GET', `${server.vspc}${VSPC_PATH}`, { token: oldToken }), 200, AFTER_BATCH, 'with the token from before the restart');

  let duplicates = 0;
  for (let i = 0; i < acknowledged.length; i += 10_000) {
    const chunk = acknowledged.slice(i, i + 10_000);
    const res = await post(chunk);
    expectJson(res, 200, { accepted: 0, duplicates: chunk.length }, `re-posting chunk ${i / 10_000}`);
    duplicates += chunk.length;
  }
  assert.equal(duplicates, acknowledged.length);
  assert.ok(acknowledged.length > 10_000, `${acknowledged.length} acknowledged events`);

  // The entities and licenses are there, the clock starts where --clock says, and time travel still works.
  expectJson(await call('GET', `${server.vspc}/tally/v1/clock`, { token: admin }), 200, { now: '2026-11-23T12:00:00.000Z', fixed: true });
  await setClock('2026-12-01T00:00:00Z');
  await expectAnswers(vspcAnswer(['33.0', 3, '0.0', 0], ['4.0', 1, '0.0', 0]), '{"licensedUsers":7,"newUsers":0}', 'next month after the restart');
});
