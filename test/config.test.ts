import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, resolveServeConfig } from '../src/config.js';

test('defaults follow the contract', () => {
  const config = resolveServeConfig({}, {});
  assert.equal(config.dataDir, path.resolve('./data'));
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.vb365Port, 4443);
  assert.equal(config.vspcPort, 1280);
  assert.equal(config.http, false);
  assert.equal(config.demo, true);
  assert.equal(config.clock, undefined);
  assert.equal(config.timeZone, 'UTC');
  assert.equal(config.vspcEnumStyle, 'camel');
});

test('a flag beats its environment variable, which beats the default', () => {
  const env = { TALLY_VB365_PORT: '5000', TALLY_VSPC_PORT: '5001', TALLY_HOST: '0.0.0.0', TALLY_TIME_ZONE: 'Europe/Berlin', TALLY_HTTP: '1', TALLY_DEMO: '0', TALLY_CLOCK: '2026-11-23T12:00:00Z' };
  const fromEnv = resolveServeConfig({}, env);
  assert.deepEqual(
    [fromEnv.vb365Port, fromEnv.vspcPort, fromEnv.host, fromEnv.timeZone, fromEnv.http, fromEnv.demo, fromEnv.clock],
    [5000, 5001, '0.0.0.0', 'Europe/Berlin', true, false, Date.UTC(2026, 10, 23, 12)],
  );
  const fromFlags = resolveServeConfig({ vb365Port: '0', vspcPort: '0', host: '::1', timeZone: 'UTC', http: false, demo: false, clock: '2026-01-01T00:00:00Z' }, env);
  assert.deepEqual(
    [fromFlags.vb365Port, fromFlags.vspcPort, fromFlags.host, fromFlags.timeZone, fromFlags.clock],
    [0, 0, '::1', 'UTC', Date.UTC(2026, 0, 1)],
  );
});

test('bad values are refused with the name of the flag or variable', () => {
  const cases: [Parameters<typeof resolveServeConfig>[0], Record<string, string>, RegExp][] = [
    [{ vb365Port: 'abc' }, {}, /--vb365-port must be a port number/],
    [{}, { TALLY_VSPC_PORT: '70000' }, /TALLY_VSPC_PORT must be a port number/],
    [{ vb365Port: '5000', vspcPort: '5000' }, {}, /two different ports/],
    [{ clock: 'yesterday' }, {}, /--clock must be an RFC 3339 instant/],
    [{ timeZone: 'Mars/Olympus' }, {}, /--time-zone must be an IANA time zone/],
    [{ cert: 'a.pem' }, {}, /--cert and --key go together/],
    [{}, { TALLY_HTTP: 'maybe' }, /TALLY_HTTP must be 1 or 0/],
    [{ adminPassword: 'short' }, {}, /at least 8 characters/],
    [{ vspcEnumStyle: 'snake' }, {}, /--vspc-enum-style must be camel or pascal/],
  ];
  for (const [flags, env, message] of cases) {
    assert.throws(() => resolveServeConfig(flags, env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
  }
});
