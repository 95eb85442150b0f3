/**
 * Request validators are compiled on first use (src/http/validation.ts): a start compiles nothing,
 * a route's first request compiles its own, and compilePendingValidators compiles the rest. The
 * answers must be the same either way, refusals included.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compilePendingValidators, validatorCompiler } from '../../src/http/validation.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const ORGANIZATION = '92460656-7a85-4a04-b1af-1ea903c0bc2e';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
});
after(() => app.close());

test('a validator compiles on its first call, keeps AJV errors, and once only', () => {
  const validate = validatorCompiler({
    schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] },
    httpPart: 'querystring',
    method: 'GET',
    url: '/x',
  }) as ((data: unknown) => boolean) & { errors?: { instancePath: string; keyword: string }[] | null };
  // Read through a function: TypeScript would keep `errors` narrowed to null after the first check.
  const firstError = () => validate.errors?.[0];
  assert.equal(validate.errors, null);
  // Coerced like every text part.
  assert.equal(validate({ limit: '5' }), true);
  assert.equal(validate.errors, null);
  assert.equal(validate({ limit: '0' }), false);
  assert.equal(firstError()?.keyword, 'minimum');
  assert.equal(firstError()?.instancePath, '/limit');
  assert.equal(validate({ limit: '1e309' }), false, 'the finite-number check still runs after coercion');
  assert.equal(validate({}), false);
  assert.equal(firstError()?.keyword, 'required');
});

test('routes validate before and after the remaining validators are compiled, with the same answers', async () => {
  const auth = { authorization: `Bearer ${app.adminToken}` };
  const requests = [
    { url: `/v6/Organizations/${ORGANIZATION}/LicensingInformation`, target: app.vb365 },
    { url: '/v6/Organizations/not-a-uuid/LicensingInformation', target: app.vb365 },
    { url: '/api/v3/licensing/console/usage/companies?limit=0', target: app.vspc },
    { url: '/api/v3/licensing/console/usage/companies?limit=2&offset=1', target: app.vspc },
  ];
  const answers = async () => Promise.all(requests.map(async ({ url, target }) => {
    const res = await target.inject({ url, headers: auth });
    return `${res.statusCode} ${res.body}`;
  }));
  const first = await answers();
  assert.match(first[1]!, /^400 /);
  assert.match(first[2]!, /^400 /);
  assert.match(first[3]!, /^200 /);
  const compiled = await compilePendingValidators();
  assert.ok(compiled > 10, `the routes no request used had validators left to compile (${compiled})`);
  assert.equal(await compilePendingValidators(), 0, 'nothing is compiled twice');
  assert.deepEqual(await answers(), first);
});

test('a schema AJV refuses is reported by compilePendingValidators, not at start', async () => {
  validatorCompiler({ schema: { type: 'no-such-type' }, httpPart: 'body', method: 'POST', url: '/broken' });
  await assert.rejects(compilePendingValidators(), /type/);
  // The refused one stays pending: it is not silently dropped.
  await assert.rejects(compilePendingValidators(), /type/);
});
