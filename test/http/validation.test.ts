/**
 * Request validation (src/http/validation.ts): text parts are coerced, bodies are not, unknown
 * fields are errors, non-finite numbers never reach a handler, and a schema AJV refuses stops the
 * build of an app instead of failing on a rare request later.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { validatorCompiler } from '../../src/http/validation.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
});
after(() => app.close());

test('query parameters are coerced from text; an infinite number is refused, not handed on', async () => {
  const auth = { authorization: `Bearer ${app.adminToken}` };
  const ok = await app.vspc.inject({ url: '/api/v3/licensing/console/usage/companies?limit=2&offset=1', headers: auth });
  assert.equal(ok.statusCode, 200, ok.body);
  for (const query of ['limit=0', 'offset=1e309', 'limit=abc']) {
    const res = await app.vspc.inject({ url: `/api/v3/licensing/console/usage/companies?${query}`, headers: auth });
    assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
    assert.equal(typeof res.json().errors[0].message, 'string');
  }
});

test('admin bodies are not coerced and unknown fields are errors', async () => {
  const put = (payload: string) =>
    app.vspc.inject({ method: 'PUT', url: `/tally/v1/companies/${COMPANY}`, payload, headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' } });
  assert.equal((await put('{"name":1}')).statusCode, 400, 'a number is not turned into the string "1"');
  const extra = await put('{"name":"Contoso","extra":true}');
  assert.equal(extra.statusCode, 400, extra.body);
  assert.match(extra.body, /extra|additional/i);
  assert.equal((await put('{"name":"Contoso"}')).statusCode, 200);
});

test('a route whose schema AJV refuses fails the app at start, not at its first request', async () => {
  const broken = Fastify({ logger: false });
  broken.setValidatorCompiler(validatorCompiler);
  broken.post('/broken', { schema: { body: { type: 'no-such-type' } } }, async () => 'never');
  await assert.rejects(async () => { await broken.ready(); }, /type/);
});

test('a body schema\'s defaults fill the body the handler sees', async () => {
  const server = Fastify({ logger: false });
  server.setValidatorCompiler(validatorCompiler);
  server.post('/x', { schema: { body: { type: 'object', properties: { n: { type: 'integer', default: 7 } }, additionalProperties: false } } }, async (request) => request.body);
  assert.deepEqual((await server.inject({ method: 'POST', url: '/x', payload: {} })).json(), { n: 7 });
  assert.equal((await server.inject({ method: 'POST', url: '/x', payload: { n: '7' } })).statusCode, 400);
  await server.close();
});
