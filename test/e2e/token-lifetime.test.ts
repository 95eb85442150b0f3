/**
 * `--token-lifetime`: how long access tokens are valid, announced in `expires_in` and enforced.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { form, request, runTallyExpectingFailure, spawnTally } from '../support/server.js';

const PASSWORD = 'token-lifetime-password';

test('--token-lifetime 120: both faces announce 120 seconds (expiry itself is tested in test/security/tokens.test.ts)', async () => {
  const server = await spawnTally({ args: ['--no-demo', '--clock', '2026-11-23T12:00:00Z', '--admin-password', PASSWORD, '--token-lifetime', '120'] });
  try {
    for (const url of [`${server.vb365}/v6/token`, `${server.vspc}/api/v3/token`]) {
      const res = await request('POST', url, form({ grant_type: 'password', username: 'admin', password: PASSWORD }));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json().expires_in, 120);
    }
  } finally {
    await server.stop();
  }
});

test('a --token-lifetime outside 60–86400 seconds is a clear start-up error', async () => {
  for (const value of ['59', '86401', 'soon']) {
    const { code, stderr } = await runTallyExpectingFailure(['serve', '--no-demo', '--vb365-port', '0', '--vspc-port', '0', '--token-lifetime', value]);
    assert.equal(code, 1);
    assert.match(stderr, /^tally: --token-lifetime must be/);
  }
});
