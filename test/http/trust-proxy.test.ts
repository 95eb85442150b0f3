/**
 * `--trust-proxy`: behind a reverse proxy the login throttle counts failures per real client
 * (X-Forwarded-For), but only when the header comes from a proxy named in the setting; a client
 * that talks to Tally directly cannot choose the address its failures are counted against.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError, resolveServeConfig } from '../../src/config.js';
import { buildFaceApp } from '../../src/http/app.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { runTallyExpectingFailure } from '../support/server.js';

const PROXY = '10.0.0.1';

let app: TestApp;
let behindProxy: FastifyInstance;
before(async () => {
  app = await startTestApp();
  behindProxy = await buildFaceApp('vb365', app.ctx, { trustProxy: resolveServeConfig({ trustProxy: `${PROXY}, 192.168.7.0/24` }, {}).trustProxy });
});
after(async () => {
  await behindProxy.close();
  await app.close();
});

function failedLogin(target: FastifyInstance, peer: string, forwardedFor?: string, username = 'nobody') {
  return target.inject({
    method: 'POST',
    url: '/v6/token',
    payload: `grant_type=password&username=${username}&password=wrong`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    remoteAddress: peer,
  });
}

/** The throttle's per-address counters, as stored. */
async function addressFailures(): Promise<Record<string, number>> {
  const rows = await app.ctx.store.db.selectFrom('login_attempts').select(['key', 'failures']).where('key', 'like', 'address:%').execute();
  return Object.fromEntries(rows.map((row) => [row.key.slice('address:'.length), Number(row.failures)]));
}

test('from a trusted proxy, failures count against the forwarded client; a value the client forged in front is ignored', async () => {
  assert.equal((await failedLogin(behindProxy, PROXY, '203.0.113.7')).statusCode, 400);
  // The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended the address it saw.
  assert.equal((await failedLogin(behindProxy, PROXY, '198.51.100.1, 203.0.113.7')).statusCode, 400);
  // A second proxy hop inside a trusted range is skipped as well.
  assert.equal((await failedLogin(behindProxy, PROXY, '203.0.113.7, 192.168.7.20')).statusCode, 400);
  const counts = await addressFailures();
  assert.equal(counts['203.0.113.7'], 3);
  assert.equal(counts[PROXY], undefined, 'the proxy itself is not throttled for its clients');
  assert.equal(counts['198.51.100.1'], undefined);
  assert.equal(counts['192.168.7.20'], undefined);
});

test('from a trusted proxy, one client locked out does not lock out the others', async () => {
  for (let i = 0; i < 20; i++) await failedLogin(behindProxy, PROXY, '203.0.113.20', `user-${i}`);
  assert.equal((await failedLogin(behindProxy, PROXY, '203.0.113.20')).statusCode, 429);
  assert.equal((await failedLogin(behindProxy, PROXY, '203.0.113.21')).statusCode, 400, 'another client behind the same proxy may still try');
});

test('from a peer that is not a trusted proxy, X-Forwarded-For changes nothing', async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal((await failedLogin(behindProxy, '198.51.100.9', `203.0.113.${100 + i}`, `spoofer-${i}`)).statusCode, 400);
  }
  const counts = await addressFailures();
  assert.equal(counts['198.51.100.9'], 5, 'counted against the real peer');
  for (let i = 0; i < 5; i++) assert.equal(counts[`203.0.113.${100 + i}`], undefined);
  // The spoofer cannot escape its own lock by varying the header.
  for (let i = 5; i < 20; i++) await failedLogin(behindProxy, '198.51.100.9', `203.0.113.${100 + i}`, `spoofer-${i}`);
  assert.equal((await failedLogin(behindProxy, '198.51.100.9', '203.0.113.250', 'fresh')).statusCode, 429);
});

test('without --trust-proxy (the default), X-Forwarded-For is ignored even from a proxy address', async () => {
  assert.equal((await failedLogin(app.vb365, PROXY, '203.0.113.77')).statusCode, 400);
  const counts = await addressFailures();
  assert.equal(counts[PROXY], 1);
  assert.equal(counts['203.0.113.77'], undefined);
});

test('--trust-proxy accepts addresses, CIDRs and named ranges, and refuses anything else by name', async () => {
  assert.equal(resolveServeConfig({}, {}).trustProxy, undefined, 'off by default');
  assert.deepEqual(resolveServeConfig({ trustProxy: '10.0.0.5, 192.168.1.0/24,::1,fd00::/8,loopback' }, {}).trustProxy, [
    '10.0.0.5', '192.168.1.0/24', '::1', 'fd00::/8', 'loopback',
  ]);
  assert.deepEqual(resolveServeConfig({}, { TALLY_TRUST_PROXY: 'uniquelocal' }).trustProxy, ['uniquelocal']);
  assert.deepEqual(resolveServeConfig({ trustProxy: '10.0.0.9' }, { TALLY_TRUST_PROXY: 'loopback' }).trustProxy, ['10.0.0.9'], 'the flag wins');
  const refused: [Parameters<typeof resolveServeConfig>[0], Record<string, string>, RegExp][] = [
    [{ trustProxy: '1' }, {}, /^--trust-proxy must be .*hop counts and "all" are not accepted/],
    [{ trustProxy: 'true' }, {}, /^--trust-proxy must be .*hop counts/],
    [{}, { TALLY_TRUST_PROXY: '10.0.0.0/33' }, /^TALLY_TRUST_PROXY must be .*"10\.0\.0\.0\/33" is none of these/],
    [{ trustProxy: '10.0.0.1,,10.0.0.2' }, {}, /^--trust-proxy must be/],
    [{ trustProxy: 'proxy.example' }, {}, /"proxy\.example" is none of these/],
    [{ trustProxy: '::1/129' }, {}, /is none of these/],
  ];
  for (const [flags, env, message] of refused) {
    assert.throws(() => resolveServeConfig(flags, env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify([flags, env]));
  }
});

test('tally serve refuses a bad --trust-proxy with one clear line and a non-zero exit', async () => {
  const { code, stderr } = await runTallyExpectingFailure(['serve', '--http', '--vb365-port', '0', '--vspc-port', '0', '--trust-proxy', '2']);
  assert.equal(code, 1);
  assert.match(stderr, /^tally: --trust-proxy must be a comma-separated list of proxy addresses/);
  assert.equal(stderr.trim().split('\n').length, 1);
});
