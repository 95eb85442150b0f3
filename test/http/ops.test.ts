/**
 * Health, readiness and metrics on both listeners, request ids and the request log line (issue 18,
 * item 2). The metrics test makes a known load and finds exactly that many requests counted.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildFaceApp } from '../../src/http/app.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
});
after(async () => {
  await app?.close();
});

/** The value of one series in Prometheus' text format, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

test('GET /health and GET /ready answer without a token on both listeners', async () => {
  for (const face of [app.vb365, app.vspc]) {
    const health = await face.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    assert.equal(health.headers['cache-control'], 'no-store');
    const ready = await face.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json(), { status: 'ready' });
  }
});

test('GET /ready answers 503 when a migration of this build is missing, and 200 again once it is back', async () => {
  const db = app.ctx.store.db;
  const row = await db.selectFrom('kysely_migration' as never).selectAll().where('name' as never, '=', '0010_vspc_segment_report_indexes' as never).executeTakeFirstOrThrow();
  await db.deleteFrom('kysely_migration' as never).where('name' as never, '=', '0010_vspc_segment_report_indexes' as never).execute();
  try {
    const ready = await app.vspc.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: 'not ready', reason: 'migrations not applied: 0010_vspc_segment_report_indexes' });
    assert.equal((await app.vspc.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'alive all the same');
  } finally {
    await db.insertInto('kysely_migration' as never).values(row as never).execute();
  }
  assert.equal((await app.vspc.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
});

test('every answer carries its request id in X-Correlation-Id; a safe id from a proxy is kept, X-Request-id is left to VSPC idempotency', async () => {
  const first = await app.vspc.inject({ method: 'GET', url: '/health' });
  const second = await app.vspc.inject({ method: 'GET', url: '/api/v3/nothing-here' });
  assert.match(String(first.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
  assert.match(String(second.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
  assert.notEqual(first.headers['x-correlation-id'], second.headers['x-correlation-id']);
  assert.equal(first.headers['x-request-id'], undefined);
  const kept = await app.vb365.inject({ method: 'GET', url: '/health', headers: { 'x-correlation-id': 'lb-7f3a.42' } });
  assert.equal(kept.headers['x-correlation-id'], 'lb-7f3a.42');
  const forged = await app.vb365.inject({ method: 'GET', url: '/health', headers: { 'x-correlation-id': 'a b\nfake log line' } });
  assert.match(String(forged.headers['x-correlation-id']), /^[0-9a-f-]{36}$/, 'an unsafe id is replaced');
});

test('one log line per request with the id the answer carries', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const logged = await buildFaceApp('vspc', app.ctx, { loggerInstance: pino({ level: 'info' }, sink) });
  try {
    const res = await logged.inject({ method: 'GET', url: '/api/v3/licensing/console?secret=1', headers: { authorization: `Bearer ${app.adminToken}` } });
    await new Promise((resolve) => setImmediate(resolve));
    const requestLines = lines.filter((line) => line.msg === 'request');
    assert.equal(requestLines.length, 1, JSON.stringify(lines));
    const line = requestLines[0]!;
    assert.equal(line.reqId, res.headers['x-correlation-id']);
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/api/v3/licensing/console', 'the path without its query');
    assert.equal(line.route, '/api/v3/licensing/console');
    assert.equal(line.status, res.statusCode);
    assert.equal(typeof line.ms, 'number');
  } finally {
    await logged.close();
  }
});

test('GET /metrics needs a PortalAdministrator\'s token unless --metrics-open', async () => {
  assert.equal((await app.vspc.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  const reader = await app.tokenFor('metrics-reader', ['ReadOnlyUser']);
  assert.equal((await app.vspc.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${reader}` } })).statusCode, 403);
  const ok = await app.vb365.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${app.adminToken}` } });
  assert.equal(ok.statusCode, 200);
  assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const open = await buildFaceApp('vspc', app.ctx, { metricsOpen: true });
  try {
    assert.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
  } finally {
    await open.close();
  }
});

test('after a known load, /metrics counts exactly the requests made, the events ingested and the logins throttled', async () => {
  // A fresh installation: nothing counted before the load.
  const fresh = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  try {
    const auth = { authorization: `Bearer ${fresh.adminToken}` };
    for (let i = 0; i < 7; i++) await fresh.vb365.inject({ method: 'GET', url: '/health' });
    for (let i = 0; i < 5; i++) await fresh.vspc.inject({ method: 'GET', url: '/ready' });
    for (let i = 0; i < 3; i++) await fresh.vspc.inject({ method: 'GET', url: `/nowhere/${i}` });
    const batch = [0, 1, 2].map((i) => ({
      id: `metrics-${i}`, type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY,
      agent: { uid: `0e000000-0000-4000-8000-00000000m00${i}`.replace('m', 'a'), name: `m-${i}`, mode: 'server' },
    }));
    for (let i = 0; i < 2; i++) {
      const res = await fresh.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: auth, payload: { events: batch } });
      assert.equal(res.statusCode, 200, res.body);
    }
    const login = { grant_type: 'password', username: 'admin', password: 'wrong-password' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await fresh.vspc.inject({ method: 'POST', url: '/api/v3/token', payload: new URLSearchParams(login).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode);
    }
    const throttled = statuses.filter((s) => s === 429).length;
    assert.ok(throttled > 0, `the throttle refused some of ${statuses.join(',')}`);

    const text = (await fresh.vspc.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    const requests = (labels: Record<string, string>) => sample(text, 'tally_http_requests_total', labels);
    assert.equal(requests({ face: 'vb365', method: 'GET', route: '/health', status: '200' }), 7);
    assert.equal(requests({ face: 'vspc', method: 'GET', route: '/ready', status: '200' }), 5);
    assert.equal(requests({ face: 'vspc', method: 'GET', route: 'unmatched', status: '404' }), 3);
    assert.equal(requests({ face: 'vspc', method: 'POST', route: '/tally/v1/events', status: '200' }), 2);
    for (const status of new Set(statuses)) {
      assert.equal(requests({ face: 'vspc', method: 'POST', route: '/api/v3/token', status: String(status) }), statuses.filter((s) => s === status).length);
    }
    assert.equal(requests({ route: '/metrics' }), 0, 'the scrape is counted once answered');
    assert.equal(sample(text, 'tally_http_request_duration_seconds_count', { face: 'vb365', route: '/health', status: '200' }), 7);
    assert.equal(sample(text, 'tally_ingested_batches_total'), 2);
    assert.equal(sample(text, 'tally_ingested_events_total', { outcome: 'accepted' }), 3);
    assert.equal(sample(text, 'tally_ingested_events_total', { outcome: 'duplicate' }), 3);
    assert.equal(sample(text, 'tally_throttled_logins_total', { face: 'vspc' }), throttled);
    assert.equal(sample(text, 'tally_ledger_events'), 3);
    assert.equal(sample(text, 'tally_database_connections', { state: 'total' }) >= 1, true);
    assert.match(text, /^tally_answer_cache_lookups\{result="hit"\} \d+$/m);
    assert.match(text, /^tally_process_resident_memory_bytes \d+/m);
  } finally {
    await fresh.close();
  }
});
