/**
 * Request validators are compiled on first use (src/http/validation.ts): a start compiles nothing,
 * a route's first request compiles its own, and compilePending compiles the rest. The answers
 * must be the same either way, refusals included, and a schema AJV refuses must still stop a start.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { lazyValidators } from '../../src/http/validation.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const ORGANIZATION = '92460656-7a85-4a04-b1af-1ea903c0bc2e';

type TestValidator = ((data: unknown, context?: unknown) => boolean) & { errors?: { instancePath: string; keyword: string }[] | null };

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
});
after(() => app.close());

test('a validator compiles on its first call, once, and keeps AJV errors', async () => {
  const validators = lazyValidators();
  const validate = validators.compiler({
    schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] },
    httpPart: 'querystring',
    method: 'GET',
    url: '/x',
  }) as TestValidator;
  // Read through a function: TypeScript would keep `errors` narrowed to null after the first check.
  const firstError = () => validate.errors?.[0];
  assert.equal(validate.errors, null);
  // Coerced like every text part.
  assert.equal(validate({ limit: '5' }), true);
  assert.equal(await validators.compilePending(), 0, 'the first call compiled it; nothing is left');
  assert.equal(validate.errors, null);
  assert.equal(validate({ limit: '0' }), false);
  assert.equal(firstError()?.keyword, 'minimum');
  assert.equal(firstError()?.instancePath, '/limit');
  assert.equal(validate({ limit: '1e309' }), false, 'the finite-number check still runs after coercion');
  assert.equal(validate({}), false);
  assert.equal(firstError()?.keyword, 'required');
});

test('a body validator gets the parent Fastify hands compiled AJV validators', () => {
  const validate = lazyValidators().compiler({
    schema: { type: 'object', properties: { name: { type: 'string' } } },
    httpPart: 'body',
    method: 'POST',
    url: '/x',
  }) as TestValidator & { schemaEnv?: unknown };
  assert.ok(validate.schemaEnv, 'Fastify passes { parentData, parentDataProperty } only to validators with schemaEnv');
  const request = { body: { name: 'x' } };
  assert.equal(validate(request.body, { parentData: request, parentDataProperty: 'body' }), true);
  assert.equal(validate({ name: 1 }), false, 'bodies are not coerced');
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
  const compiled = (await app.vb365.compilePendingValidators()) + (await app.vspc.compilePendingValidators());
  assert.ok(compiled > 10, `the routes no request used had validators left to compile (${compiled})`);
  assert.equal(await app.vb365.compilePendingValidators(), 0, 'nothing is compiled twice');
  assert.deepEqual(await answers(), first);
});

test('a schema AJV refuses is reported by compilePending, and refused again without a new compile', async () => {
  const validators = lazyValidators();
  const validate = validators.compiler({ schema: { type: 'no-such-type' }, httpPart: 'body', method: 'POST', url: '/broken' }) as TestValidator;
  await assert.rejects(validators.compilePending(), /type/);
  // The refused one stays pending: it is not silently dropped, and a request gets the same error.
  await assert.rejects(validators.compilePending(), /type/);
  let first: unknown;
  try {
    validate({});
  } catch (error) {
    first = error;
  }
  assert.throws(() => validate({}), (error) => error === first);
});

test('tally serve stops with a non-zero exit when a request schema does not compile', () => {
  // The real server, with one route's schema broken after the build: listening, then stopping.
  const script = `
    import { startServer } from './src/commands/serve.ts';
    import { resolveServeConfig } from './src/config.ts';
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import path from 'node:path';
    import { Ajv } from 'ajv';
    // Every AJV compile of a body schema fails, as a broken schema would.
    const compile = Ajv.prototype.compile;
    Ajv.prototype.compile = function (schema) {
      if (schema && schema.type === 'object' && this.opts.coerceTypes === false) throw new Error('schema is invalid: broken on purpose');
      return compile.call(this, schema);
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'tally-broken-schema-'));
    const config = resolveServeConfig({ data: dir, http: true, vb365Port: '0', vspcPort: '0', demo: false, adminPassword: 'broken-schema-password' }, {});
    await startServer(config, (line) => console.log(line));
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
  assert.match(result.stdout, /tally listening/);
  assert.match(result.stderr, /a request schema does not compile; stopping/);
  assert.equal(result.status, 1, result.stderr.slice(-2000));
});
