/**
 * Hostile input against the real server: TALLY_FUZZ_REQUESTS (default 100,000) malformed requests
 * across every route the three OpenAPI documents list — broken paths, query strings, filters,
 * bodies, headers and encodings, half of them with a valid token so that validation past the
 * authentication runs too — sent over keep-alive HTTP, a share over HTTPS and a share as raw bytes.
 *
 * It holds that: nothing answers 5xx (not even VSPC's 520: a client mistake is never a server
 * error); no request whose body breaks its route's schema is accepted; the server process stays
 * up, answers a normal request afterwards and its memory stays bounded; the ledger and every
 * answer are what they were before.
 *
 * Reproduce a failure with the seed it prints: TALLY_FUZZ_SEED=… TALLY_FUZZ_REQUESTS=… (the default
 * seed is fixed so that CI is repeatable; other seeds explore further). TALLY_FUZZ_VERBOSE=1 prints
 * progress and memory every 5 s; TALLY_FUZZ_CONCURRENCY sets the connections per server (16).
 *
 * Time, measured on the 2-core development machine: 100,000 requests take 46–60 s on SQLite and
 * 46–57 s on PostgreSQL (1,700–2,600 a second, both servers and the fuzzer sharing the cores),
 * plus about 8 s to start and seed the servers and to check afterwards.
 *
 * @stores sqlite postgres
 * @e2e (starts the built server)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { request, spawnTally, type ServerProcess } from '../support/server.js';
import { agents, cpuSeconds, residentKiB, send, type Outcome, type Target } from './fuzz/client.js';
import { requestArbitrary, type Credentials, type FuzzRequest } from './fuzz/generators.js';
import { discoverRoutes, type Listener, type Route } from './fuzz/routes.js';

const REQUESTS = Number(process.env.TALLY_FUZZ_REQUESTS ?? 100_000);
const SEED = Number(process.env.TALLY_FUZZ_SEED ?? 20_261_123);
const CONCURRENCY = Number(process.env.TALLY_FUZZ_CONCURRENCY ?? 16);
const BATCH = 500;
/**
 * Resident memory a server may reach. Measured on the 2-core development machine (Node 20): about
 * 220 MiB after start-up and the first thousand requests, a peak of 365 MiB in a 100,000-request
 * run, and 265–315 MiB throughout a 250,000-request run (it levels off: the 11 MiB bodies and the
 * 200,000-level nestings are parsed and dropped, nothing accumulates per request). 512 MiB leaves
 * room for garbage-collection timing while a leak of 2 KiB a request still fails.
 */
const RSS_LIMIT_KIB = 512 * 1024;

const ADMIN_PASSWORD = 'fuzz-admin-password';
const CLOCK = '2026-11-23T12:00:00Z';
const CONTROL = { reseller: '2b7d4f7e-3a55-4c36-9d1c-7e0b8a1f2c01', company: '5e1c2d3f-4a5b-4c6d-8e7f-901a2b3c4d5e', tenant: '6f2d3e4a-5b6c-4d7e-9f80-a1b2c3d4e5f6', organization: '7a3e4f5b-6c7d-4e8f-a091-b2c3d4e5f607' };

interface Instance {
  server: ServerProcess;
  tokens: Record<Credentials, string>;
  base: Record<Listener, URL>;
}

let plain: Instance;
let secure: Instance;
let routes: Route[];
const before_: { answers: Map<string, string>; ledger: string }[] = [];

async function call(method: string, url: string, token?: string, body?: unknown, contentType = 'application/json') {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await request(method, url, { headers, ...(payload !== undefined ? { body: payload } : {}) });
  return res;
}

async function login(base: URL, username: string, password: string): Promise<string> {
  const res = await call('POST', `${base.origin}/api/v3/token`, undefined, new URLSearchParams({ grant_type: 'password', username, password }).toString(), 'application/x-www-form-urlencoded');
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  return res.json().access_token;
}

/** A small ledger of every kind, so that handlers have something to compute, and the fuzz accounts. */
async function seed(base: URL, admin: string): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const res = await call('PUT', `${base.origin}${path}`, admin, body);
    if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${res.text}`);
  };
  await put(`/tally/v1/resellers/${CONTROL.reseller}`, { name: 'Fuzz Reseller' });
  await put(`/tally/v1/companies/${CONTROL.company}`, { name: 'Fuzz Company', resellerUid: CONTROL.reseller, tenantUid: CONTROL.tenant });
  await put(`/tally/v1/organizations/${CONTROL.organization}`, { name: 'Fuzz Org', companyUid: CONTROL.company });
  await put('/tally/v1/licenses/vb365', { type: 'Subscription', totalNumber: 10, expirationDate: '2027-12-31T00:00:00Z' });
  await put('/tally/v1/licenses/vspc', { type: 'Rental', units: 100, expirationDate: '2027-12-31T00:00:00Z', weights: { server: 11, workstation: 4 } });
  await put('/tally/v1/users/fuzz-ingest', { password: 'fuzz-ingest-password', roles: ['Ingest'] });
  await put('/tally/v1/users/fuzz-reader', { password: 'fuzz-reader-password', roles: ['ReadOnlyUser'] });
  const events: unknown[] = [];
  for (let i = 0; i < 15; i++) {
    events.push({ id: `seed-backup-${i}`, type: 'vb365.backup', at: '2026-11-20T10:00:00Z', organizationId: CONTROL.organization, user: { id: `b1c2d3e4-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, name: `user${i}@fuzz.example` } });
  }
  for (let i = 0; i < 6; i++) {
    events.push({ id: `seed-agent-${i}`, type: 'vspc.agentActivated', at: `2026-${i < 3 ? '10' : '11'}-02T08:00:00Z`, companyUid: CONTROL.company, agent: { uid: `c1d2e3f4-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, name: `agent-${i}`, mode: i % 2 ? 'server' : 'workstation' } });
  }
  const res = await call('POST', `${base.origin}/tally/v1/events`, admin, { events });
  if (res.status !== 200 || res.json().accepted !== events.length) throw new Error(`seed events: ${res.status} ${res.text}`);
}

async function start(https: boolean): Promise<Instance> {
  const server = await spawnTally({ args: ['--no-demo', '--clock', CLOCK, '--admin-password', ADMIN_PASSWORD, '--log-level', 'fatal', ...(https ? [] : ['--http'])] });
  const base = { vb365: new URL(server.vb365), vspc: new URL(server.vspc) };
  const admin = await login(base.vspc, 'admin', ADMIN_PASSWORD);
  await seed(base.vspc, admin);
  const tokens = { admin, ingest: await login(base.vspc, 'fuzz-ingest', 'fuzz-ingest-password'), reader: await login(base.vspc, 'fuzz-reader', 'fuzz-reader-password') };
  return { server, tokens, base };
}

/** The answers that would move if a fuzz request changed anything an operator can see. */
const OBSERVED: [Listener, string][] = [
  ['vspc', '/tally/v1/resellers'], ['vspc', '/tally/v1/companies'], ['vspc', '/tally/v1/organizations'],
  ['vspc', '/tally/v1/licenses/vb365'], ['vspc', '/tally/v1/licenses/vspc'], ['vspc', '/tally/v1/users'], ['vspc', '/tally/v1/clock'],
  ['vb365', '/v6/Organizations'], ['vb365', '/v6/License'], ['vb365', '/v6/LicensedUsers?limit=1000'],
  ['vb365', `/v6/Organizations/${CONTROL.organization}/LicensingInformation`],
  ['vspc', `/api/v3/licensing/console/usage/companies/vcc/${CONTROL.tenant}`], ['vspc', '/api/v3/licensing/console/usage/companies'],
  ['vspc', '/api/v3/licensing/console'], ['vspc', '/api/v3/organizations/companies'],
];

async function answers(instance: Instance): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  for (const [listener, path] of OBSERVED) {
    const res = await call('GET', `${instance.base[listener].origin}${path}`, instance.tokens.admin);
    seen.set(path, `${res.status} ${res.text}`);
  }
  return seen;
}

/** Every stored event, hashed, read from the database itself. */
async function ledgerDigest(instance: Instance): Promise<string> {
  let rows: unknown[];
  if (instance.server.database.url) {
    const client = new pg.Client({ connectionString: instance.server.database.url });
    await client.connect();
    try {
      rows = (await client.query('SELECT id, type, at, content FROM events ORDER BY id')).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = new Database(path.join(instance.server.dataDir, 'tally.db'), { readonly: true });
    try {
      rows = db.prepare('SELECT id, type, at, content FROM events ORDER BY id').all();
    } finally {
      db.close();
    }
  }
  return `${rows.length} events, sha256 ${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
}

before(async () => {
  [plain, secure] = await Promise.all([start(false), start(true)]);
  for (const instance of [plain, secure]) before_.push({ answers: await answers(instance), ledger: await ledgerDigest(instance) });
  routes = await discoverRoutes({ vb365: plain.server.vb365, vspc: plain.server.vspc });
});

after(async () => {
  await Promise.all([plain?.server.stop(), secure?.server.stop()]);
});

function describe(request: FuzzRequest): string {
  const headers = request.headers.map(([name, value]) => `${name}: ${typeof value === 'string' ? value.slice(0, 120) : `<${value.token} token>`}`).join(' | ');
  const body = request.body ? ` body(${request.body.length}B)=${JSON.stringify(request.body.subarray(0, 200).toString('latin1'))}` : '';
  return `[${request.transport}${request.rawStyle ? `/${request.rawStyle}` : ''} → ${request.listener}] ${request.method} ${request.target.slice(0, 300)} (from ${request.route}) ${headers}${body}`;
}

test(`${REQUESTS} malformed requests: no 5xx, nothing accepted that breaks a schema, server up, memory bounded, ledger unchanged`, { timeout: 15 * 60_000 }, async () => {
  // The three documents together: the VB365 face, the VSPC face and the admin API.
  const faces = new Set(routes.map((route) => route.template.split('/')[1]));
  assert.deepEqual([...faces].sort(), ['api', 'tally', 'v6'], 'routes from all three OpenAPI documents');
  assert.ok(routes.length >= 30, `${routes.length} routes`);

  const target: Target = {
    http: plain.base,
    https: secure.base,
    tokens: { http: plain.tokens, https: secure.tokens },
  };
  const pool = agents(CONCURRENCY);
  const arbitrary = requestArbitrary(routes);
  const serverErrors: string[] = [];
  const accepted: string[] = [];
  const serverErrorRoutes = new Map<string, number>();
  const hangs: string[] = [];
  const statusCounts = new Map<number, number>();
  const errorCounts = new Map<string, number>();
  const errorExamples = new Map<string, string[]>();
  const dropped: FuzzRequest[] = [];
  const perRoute = new Map<string, number>();
  const timeByTransport = new Map<string, [number, number]>();
  let sent = 0;
  let answered = 0;
  let validToken = 0;
  let peakKiB = { plain: 0, secure: 0 };
  const started = Date.now();
  const cpuBefore = { plain: cpuSeconds(plain.server.child.pid!), secure: cpuSeconds(secure.server.child.pid!), client: process.cpuUsage() };

  const progress = process.env.TALLY_FUZZ_VERBOSE
    ? setInterval(() => process.stderr.write(`fuzz: ${sent} sent, ${answered} answered, ${Math.round((Date.now() - started) / 1000)} s, RSS ${Math.round(residentKiB(plain.server.child.pid!) / 1024)} MiB\n`), 5000)
    : undefined;
  const memory = setInterval(() => {
    try {
      peakKiB = { plain: Math.max(peakKiB.plain, residentKiB(plain.server.child.pid!)), secure: Math.max(peakKiB.secure, residentKiB(secure.server.child.pid!)) };
    } catch {
      // The process is gone; the liveness check below says so.
    }
  }, 200);

  const record = (request: FuzzRequest, outcome: Outcome, sentAgain = false) => {
    for (const status of outcome.statuses) statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
    if (outcome.statuses.length > 0) answered++;
    if (!sentAgain && outcome.error && outcome.statuses.length === 0 && request.transport !== 'raw' && !outcome.error.startsWith('unsendable')) dropped.push(request);
    if (outcome.error) {
      errorCounts.set(outcome.error, (errorCounts.get(outcome.error) ?? 0) + 1);
      const examples = errorExamples.get(outcome.error) ?? [];
      if (examples.length < 3) errorExamples.set(outcome.error, [...examples, describe(request).slice(0, 400)]);
    }
    if (outcome.error === 'no answer in time') hangs.push(describe(request));
    if (outcome.statuses.some((status) => status >= 500)) serverErrorRoutes.set(request.route, (serverErrorRoutes.get(request.route) ?? 0) + 1);
    if (outcome.statuses.some((status) => status >= 500)) serverErrors.push(`${outcome.statuses.join(',')} ${describe(request)}\n    → ${outcome.excerpt.slice(0, 300)}`);
    if (request.mustFail && outcome.statuses.some((status) => status >= 200 && status < 300)) {
      accepted.push(`${outcome.statuses.join(',')} (${request.mustFail}) ${describe(request)}\n    → ${outcome.excerpt.slice(0, 200)}`);
    }
  };

  let batchIndex = 0;
  let queue: FuzzRequest[] = [];
  const next = (): FuzzRequest | undefined => {
    if (sent >= REQUESTS) return undefined;
    if (queue.length === 0) queue = fc.sample(arbitrary, { seed: SEED + batchIndex++, numRuns: Math.min(BATCH, REQUESTS - sent) });
    sent++;
    return queue.shift();
  };
  const worker = async () => {
    for (let request = next(); request; request = next()) {
      if (request.headers.some(([name, value]) => name === 'Authorization' && typeof value !== 'string')) validToken++;
      perRoute.set(request.route, (perRoute.get(request.route) ?? 0) + 1);
      const began = performance.now();
      record(request, await send(request, target, pool));
      const spent = timeByTransport.get(request.transport) ?? [0, 0];
      timeByTransport.set(request.transport, [spent[0] + performance.now() - began, spent[1] + 1]);
      if (plain.server.child.exitCode !== null || secure.server.child.exitCode !== null) throw new Error('a server process exited during the fuzz run');
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    clearInterval(memory);
    clearInterval(progress);
    pool.http.destroy();
    pool.https.destroy();
  }
  const seconds = (Date.now() - started) / 1000;
  const clientCpu = process.cpuUsage(cpuBefore.client);
  const cpu = `CPU: http server ${(cpuSeconds(plain.server.child.pid!) - cpuBefore.plain).toFixed(1)} s, https server ${(cpuSeconds(secure.server.child.pid!) - cpuBefore.secure).toFixed(1)} s, fuzzer ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s`;

  // A connection that failed under load may have been closed because of an earlier request on the
  // same keep-alive connection. Each such request, sent again alone, must get an answer.
  const unanswered: string[] = [];
  if (process.env.TALLY_FUZZ_VERBOSE) process.stderr.write(`fuzz: ${dropped.length} to send again alone\n`);
  for (const request of dropped) {
    const alone = await send(request, target, undefined);
    record(request, alone, true);
    // A body over the 1 MiB limit may be cut off by the server's early answer and close (EPIPE).
    const oversized = (request.body?.length ?? 0) > 1024 * 1024;
    if (alone.statuses.length === 0 && !oversized) unanswered.push(`${alone.error} ${describe(request)}`);
    if (process.env.TALLY_FUZZ_VERBOSE) process.stderr.write(`alone: ${alone.statuses.join(',') || alone.error} ${describe(request).slice(0, 300)}\n`);
  }

  const summary = [
    `seed ${SEED}: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), ${validToken} with a valid token, ${answered} answered`,
    ...(serverErrorRoutes.size > 0 ? [`5xx by route: ${[...serverErrorRoutes].map(([route, n]) => `${route} ×${n}`).join('; ')}`] : []),
    `statuses: ${[...statusCounts].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`,
    `${dropped.length} requests failed on a shared connection and were sent again alone; ${unanswered.length} of them got no answer`,
    ...unanswered.slice(0, 5).map((line) => `  unanswered: ${line.slice(0, 400)}`),
    `connection outcomes without an answer: ${[...errorCounts].map(([error, count]) => `${error}×${count}`).join(' ') || 'none'}`,
    cpu,
    `time by transport: ${[...timeByTransport].map(([transport, [ms, n]]) => `${transport} ${n}× ${(ms / n).toFixed(1)} ms avg, ${(ms / 1000).toFixed(1)} s total`).join('; ')}`,
    `peak RSS: http server ${Math.round(peakKiB.plain / 1024)} MiB, https server ${Math.round(peakKiB.secure / 1024)} MiB`,
    `routes: ${perRoute.size} (fewest requests: ${Math.min(...perRoute.values())})`,
    ...[...errorExamples].map(([error, examples]) => `e.g. ${error}:\n    ${examples.join('\n    ')}`),
  ];
  console.log(summary.join('\n'));

  assert.deepEqual(serverErrors.slice(0, 20), [], `${serverErrors.length} requests answered 5xx`);
  assert.deepEqual(accepted.slice(0, 20), [], `${accepted.length} schema-breaking requests were accepted`);
  assert.deepEqual(hangs.slice(0, 10), [], `${hangs.length} requests got no answer in time`);
  // Sent alone, a request may still fail in Node's client parser (a 400 for a HEAD carries a body),
  // but the server must have answered something: a connection closed without a byte is a drop.
  assert.deepEqual(unanswered.filter((line) => !line.startsWith('HPE_')).slice(0, 10), [], 'requests the server dropped without an answer');
  assert.ok(validToken >= REQUESTS * 0.4, `about half carry a valid token (${validToken})`);
  assert.ok(answered >= sent * 0.95, `most requests got an answer (${answered} of ${sent})`);
  assert.ok(peakKiB.plain > 0 && peakKiB.plain < RSS_LIMIT_KIB, `http server peak RSS ${peakKiB.plain} KiB`);
  assert.ok(peakKiB.secure > 0 && peakKiB.secure < RSS_LIMIT_KIB, `https server peak RSS ${peakKiB.secure} KiB`);

  // Still up, still answering a normal request with the token from before the run.
  for (const instance of [plain, secure]) {
    assert.equal(instance.server.child.exitCode, null);
    const res = await call('GET', `${instance.base.vb365.origin}/v6/Organizations/${CONTROL.organization}/LicensingInformation`, instance.tokens.admin);
    assert.equal(res.status, 200, res.text);
  }
  // Nothing changed: every observed answer and the ledger itself.
  for (const [i, instance] of [plain, secure].entries()) {
    const now = await answers(instance);
    for (const [path, answer] of before_[i]!.answers) assert.equal(now.get(path), answer, `${path} changed`);
    assert.equal(await ledgerDigest(instance), before_[i]!.ledger);
  }
});
