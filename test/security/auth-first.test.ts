/**
 * Authentication runs before body parsing and validation on every protected route: an anonymous
 * request gets its face's 401 whatever its body, query or size, so it neither costs a parse of a
 * large batch nor learns from a 400 what a valid request looks like (the role list). The routes
 * come from the three OpenAPI documents the server serves, so a new route is covered without
 * touching this file.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
});
after(() => app.close());

const UID = '0c000000-0000-4000-8000-0000000000a1';
/** The routes anyone may call: the token endpoints. */
const PUBLIC = new Set(['POST /v6/token', 'POST /api/v3/token']);

interface Operation {
  face: 'vb365' | 'vspc';
  method: string;
  path: string;
}

async function operations(): Promise<Operation[]> {
  const documents = [
    { face: 'vb365', url: '/swagger/docs/v6' },
    { face: 'vspc', url: '/api/swagger/json' },
    { face: 'vspc', url: '/tally/v1/openapi.json' },
  ] as const;
  const found: Operation[] = [];
  for (const { face, url } of documents) {
    const res = await app[face].inject({ url });
    assert.equal(res.statusCode, 200, url);
    for (const [template, item] of Object.entries<Record<string, unknown>>(res.json().paths)) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
        if (!item[method] || PUBLIC.has(`${method.toUpperCase()} ${template}`)) continue;
        found.push({ face, method: method.toUpperCase(), path: template.replace(/\{[^}]+\}/g, UID) });
      }
    }
  }
  return found;
}

/** The 401 of each dialect: VB365 `{message}`, VSPC `{errors:[…]}`, admin `{error:{code}}`. */
function assertUnauthenticated(res: LightMyRequestResponse, label: string) {
  assert.equal(res.statusCode, 401, `${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  const body = res.json();
  if (label.includes(' /tally/')) assert.equal(body.error.code, 'unauthorized', label);
  else if (label.includes(' /api/v3/')) assert.equal(body.errors[0].type, 'security', label);
  else assert.equal(typeof body.message, 'string', label);
}

test('every protected route answers an anonymous request with a broken body or query with its 401, never a 400', async () => {
  const all = await operations();
  assert.ok(all.length > 30, `only ${all.length} routes found`);
  for (const { face, method, path } of all) {
    const label = `${method} ${path}`;
    const res = await app[face].inject({
      method: method as 'GET',
      url: `${path}?limit=not-a-number&offset=-1&filter=%5B%7B&startTime=year-1000`,
      headers: { 'content-type': 'application/json', 'x-request-id': 'not-a-uuid' },
      ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '{"broken": [' }),
    });
    assertUnauthenticated(res, label);
  }
});

test('an anonymous PUT of an account with unknown roles gets 401 and learns nothing of the role list', async () => {
  for (const face of ['vb365', 'vspc'] as const) {
    const res = await app[face].inject({
      method: 'PUT',
      url: '/tally/v1/users/mallory',
      payload: { password: 'x', roles: ['Nope'], extra: true },
    });
    assertUnauthenticated(res, 'PUT /tally/v1/users/mallory');
    assert.doesNotMatch(res.body, /PortalAdministrator|Vb365Administrator|roles/);
  }
});

test('an anonymous event batch is refused with 401 before it is read: oversized or malformed, it is not parsed', async () => {
  // Past the batch limit (10 MiB): with parsing first this is a 413; with authentication first, 401.
  const huge = '{"events":[' + '{"id":"x","type":"vb365.backup"},'.repeat(340_000) + '{}]}';
  assert.ok(huge.length > 10 * 1024 * 1024);
  for (const payload of [huge, '{"events": [{"id": ', 'not json at all']) {
    const res = await app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: { 'content-type': 'application/json' }, payload });
    assertUnauthenticated(res, 'POST /tally/v1/events');
  }
  // The same broken body with a valid token is a 400: the route does validate, after authentication.
  const res = await app.vspc.inject({
    method: 'POST', url: '/tally/v1/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    payload: '{"events": [{"id": ',
  });
  assert.equal(res.statusCode, 400);
});

test('a wrong role still gets 403 before validation: a VB365 administrator learns nothing of the admin bodies', async () => {
  const token = await app.tokenFor('vbonly', ['Vb365Administrator']);
  const res = await app.vspc.inject({
    method: 'PUT', url: '/tally/v1/users/mallory', headers: { authorization: `Bearer ${token}` }, payload: { roles: ['Nope'] },
  });
  assert.equal(res.statusCode, 403);
  assert.doesNotMatch(res.body, /PortalAdministrator|Nope|must be equal/);
});
