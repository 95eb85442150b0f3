/**
 * Slow and greedy clients against the real server: a client that trickles its headers or body, or
 * says nothing at all, is cut off after the request timeout while others are served; oversized
 * headers answer 431; past --max-connections new connections are refused. The server is started
 * with `--request-timeout 2` so that the timers fire within the test.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { request, spawnTally, type ServerProcess } from '../support/server.js';

const REQUEST_TIMEOUT_S = 2;
const MAX_CONNECTIONS = 6;
/** The timeout, plus Node's one-second check interval, plus scheduling slack on a busy machine. */
const CUT_OFF_WITHIN_MS = REQUEST_TIMEOUT_S * 1000 + 1000 + 2500;

let server: ServerProcess;
before(async () => {
  server = await spawnTally({ args: ['--no-demo', '--request-timeout', String(REQUEST_TIMEOUT_S), '--max-connections', String(MAX_CONNECTIONS)] });
});
after(() => server?.stop());

function address(url: string) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

interface Raw {
  socket: net.Socket;
  /** Everything the server sent, as text. */
  received: () => string;
  /** Resolves with the milliseconds from opening until the server closed the connection. */
  closed: Promise<number>;
  /** Whether the TLS handshake completed. */
  secured: Promise<boolean>;
}

/** A TLS connection (or a bare TCP one with `plainTcp`) that the test writes to by hand. */
function open(url: string, plainTcp = false): Raw {
  const started = Date.now();
  const socket: net.Socket = plainTcp
    ? net.connect(address(url))
    : tls.connect({ ...address(url), rejectUnauthorized: false, servername: 'localhost' });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  const secured = plainTcp
    ? Promise.resolve(false)
    : new Promise<boolean>((resolve) => {
        socket.once('secureConnect', () => resolve(true));
        socket.once('close', () => resolve(false));
      });
  return { socket, received: () => text, closed, secured };
}

/** Normal requests every 200 ms until `until` settles; resolves with their statuses and slowest time. */
async function normalTraffic(until: Promise<unknown>): Promise<{ statuses: number[]; slowestMs: number }> {
  let done = false;
  void until.then(() => (done = true));
  const statuses: number[] = [];
  let slowestMs = 0;
  while (!done) {
    const started = Date.now();
    statuses.push((await request('GET', `${server.vspc}/api/v3/licensing/console`)).status);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { statuses, slowestMs };
}

test('a client that sends its headers one byte at a time is cut off while others are served', async () => {
  const slow = open(server.vb365);
  assert.equal(await slow.secured, true);
  const headers = `GET /v6/License HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'a'.repeat(1000)}`;
  let sent = 0;
  const trickle = setInterval(() => {
    if (!slow.socket.destroyed && sent < headers.length) slow.socket.write(headers[sent++]!);
  }, 100);
  try {
    const [elapsed, traffic] = await Promise.all([slow.closed, normalTraffic(slow.closed)]);
    assert.ok(elapsed < CUT_OFF_WITHIN_MS, `cut off after ${elapsed} ms`);
    assert.ok(elapsed >= REQUEST_TIMEOUT_S * 1000 - 100, `not before the timeout (${elapsed} ms)`);
    assert.ok(sent < headers.length, 'the headers never completed');
    assert.match(slow.received(), /^HTTP\/1\.1 408 /);
    assert.ok(traffic.statuses.length >= 5, `normal requests were served meanwhile (${traffic.statuses.length})`);
    assert.ok(traffic.statuses.every((status) => status === 401), traffic.statuses.join());
    assert.ok(traffic.slowestMs < 1500, `slowest normal request ${traffic.slowestMs} ms`);
  } finally {
    clearInterval(trickle);
  }
});

test('a client that trickles its body is cut off after the request timeout', async () => {
  const slow = open(server.vspc);
  assert.equal(await slow.secured, true);
  slow.socket.write('POST /api/v3/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n');
  const trickle = setInterval(() => slow.socket.destroyed || slow.socket.write('a'), 100);
  try {
    const elapsed = await slow.closed;
    assert.ok(elapsed < CUT_OFF_WITHIN_MS, `cut off after ${elapsed} ms`);
    assert.match(slow.received(), /^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(trickle);
  }
});

test('a connection that never finishes the TLS handshake, or never sends a request, is closed', async () => {
  const silentTcp = open(server.vb365, true);
  const silentTls = open(server.vspc);
  assert.equal(await silentTls.secured, true);
  const [tcpElapsed, tlsElapsed] = await Promise.all([silentTcp.closed, silentTls.closed]);
  assert.ok(tcpElapsed < CUT_OFF_WITHIN_MS, `silent TCP closed after ${tcpElapsed} ms`);
  assert.ok(tlsElapsed < CUT_OFF_WITHIN_MS, `silent TLS closed after ${tlsElapsed} ms`);
});

test('headers over 16 KiB answer 431 and the server stays up; large but allowed headers pass', async () => {
  const big = await request('GET', `${server.vb365}/v6/License`, { headers: { 'x-padding': 'a'.repeat(20 * 1024) } });
  assert.equal(big.status, 431);
  const manySmall: Record<string, string> = {};
  for (let i = 0; i < 40; i++) manySmall[`x-pad-${i}`] = 'b'.repeat(500);
  assert.equal((await request('GET', `${server.vspc}/api/v3/licensing/console`, { headers: manySmall })).status, 431);
  const allowed = await request('GET', `${server.vb365}/v6/License`, { headers: { 'x-padding': 'a'.repeat(12 * 1024) } });
  assert.equal(allowed.status, 401);
  const token = `Bearer ${'t'.repeat(10 * 1024)}`;
  assert.equal((await request('GET', `${server.vb365}/v6/License`, { headers: { authorization: token } })).status, 401);
  assert.equal(server.child.exitCode, null);
});

test('past --max-connections a listener refuses new connections until one closes', async () => {
  const held = Array.from({ length: MAX_CONNECTIONS }, () => open(server.vb365));
  try {
    assert.deepEqual(await Promise.all(held.map((raw) => raw.secured)), held.map(() => true));
    const refused = open(server.vb365);
    assert.equal(await refused.secured, false, 'the connection past the cap was closed');
    // The other listener has its own cap.
    assert.equal((await request('GET', `${server.vspc}/api/v3/licensing/console`)).status, 401);
  } finally {
    for (const raw of held) raw.socket.destroy();
  }
  await Promise.all(held.map((raw) => raw.closed));
  // The server counts the closes asynchronously; allow it a moment.
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 401; attempt++) {
    status = await request('GET', `${server.vb365}/v6/License`).then((res) => res.status, () => 0);
    if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status, 401);
});
