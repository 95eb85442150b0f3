/**
 * Security headers on every kind of answer: VB365, VSPC and admin answers, token answers, errors
 * (401, 403, 404, 400 from validation and from a malformed URL), Swagger UI's pages and static
 * files, repeated polls; HSTS on HTTPS listeners only; CSP and X-Frame-Options on HTML pages;
 * `Cache-Control: no-store` on every answer to a request with credentials.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildFaceApp } from '../../src/http/app.js';
import { loadOrCreateCertificate } from '../../src/http/tls.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { bearer, grant } from './helpers.js';

let app: TestApp;
let vbToken: string;
let readerToken: string;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z', demo: true });
  vbToken = app.adminToken;
  // Reseller roles are confined to a reseller: one of the demo's.
  const reseller = (await app.ctx.store.db.selectFrom('resellers').select('uid').orderBy('uid').executeTakeFirstOrThrow()).uid;
  readerToken = await app.tokenFor('reader', ['ServiceProviderUser'], reseller);
});
after(() => app.close());

type Face = 'vb365' | 'vspc';

const ORG = '00000000-0000-0000-0000-000000000000';

/** [label, face, request, expected status (or undefined: any), authenticated, html] */
const CASES: [string, Face, InjectOptions, number | undefined, boolean, boolean][] = [
  ['VB365 licensed users', 'vb365', { url: '/v6/LicensedUsers', headers: {} }, 200, true, false],
  ['VB365 license', 'vb365', { url: '/v6/License' }, 200, true, false],
  ['VB365 organization 404', 'vb365', { url: `/v6/Organizations/${ORG}` }, undefined, true, false],
  ['VB365 report (PDF or JSON)', 'vb365', { method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', payload: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-20T00:00:00Z', reportFormat: 'Json' } }, undefined, true, false],
  ['VSPC console license', 'vspc', { url: '/api/v3/licensing/console' }, 200, true, false],
  ['VSPC companies', 'vspc', { url: '/api/v3/organizations/companies' }, 200, true, false],
  ['admin users', 'vspc', { url: '/tally/v1/users' }, 200, true, false],
  ['admin users on the VB365 listener', 'vb365', { url: '/tally/v1/users' }, 200, true, false],
  ['admin audit', 'vspc', { url: '/tally/v1/audit' }, 200, true, false],
  ['admin 400 (validation)', 'vspc', { method: 'PUT', url: '/tally/v1/users/x', payload: { roles: ['Nope'] } }, 400, true, false],
  ['VSPC 400 (validation)', 'vspc', { url: '/api/v3/organizations/companies?limit=x' }, 400, true, false],
  ['VB365 401 with a bad token', 'vb365', { url: '/v6/LicensedUsers', headers: bearer('nope') }, 401, true, false],
  ['VB365 401 anonymous', 'vb365', { url: '/v6/LicensedUsers', headers: {} }, 401, false, false],
  ['VSPC 401 anonymous', 'vspc', { url: '/api/v3/licensing/console', headers: {} }, 401, false, false],
  ['admin 401 anonymous', 'vspc', { url: '/tally/v1/users', headers: {} }, 401, false, false],
  ['VB365 404 no such route', 'vb365', { url: '/v6/Nothing', headers: {} }, 404, false, false],
  ['VSPC 404 no such route', 'vspc', { url: '/api/v3/nothing', headers: {} }, 404, false, false],
  ['VB365 400 malformed URL', 'vb365', { url: '/v6/Organizations/%E0%A4%A', headers: {} }, 400, false, false],
  ['VSPC 400 malformed URL', 'vspc', { url: '/api/v3/organizations/companies/%E0%A4%A', headers: {} }, 400, false, false],
  ['VB365 Swagger UI', 'vb365', { url: '/swagger/ui/index', headers: {} }, 200, false, true],
  ['VB365 Swagger UI page', 'vb365', { url: '/swagger/ui/index/', headers: {} }, 200, false, true],
  ['VSPC Swagger UI', 'vspc', { url: '/api/swagger', headers: {} }, 200, false, true],
  ['VSPC Swagger UI static script', 'vspc', { url: '/api/swagger/static/swagger-initializer.js', headers: {} }, 200, false, false],
  ['VB365 Swagger UI stylesheet', 'vb365', { url: '/swagger/ui/index/static/swagger-ui.css', headers: {} }, 200, false, false],
  ['VB365 OpenAPI document', 'vb365', { url: '/swagger/docs/v6', headers: {} }, 200, false, false],
  ['admin OpenAPI document', 'vspc', { url: '/tally/v1/openapi.json', headers: {} }, 200, false, false],
];

async function send(face: Face, options: InjectOptions, authenticated: boolean, instance?: FastifyInstance): Promise<LightMyRequestResponse> {
  if (!authenticated) return (instance ?? app[face]).inject(options);
  const headers = { ...bearer(face === 'vb365' || options.url!.toString().startsWith('/tally') ? vbToken : app.adminToken), ...(options.headers ?? {}) };
  return (instance ?? app[face]).inject({ ...options, headers } as InjectOptions);
}

function checkHeaders(label: string, res: LightMyRequestResponse | { headers: Record<string, unknown> }, authenticated: boolean, html: boolean, httpsListener: boolean) {
  const h = res.headers;
  assert.equal(h['x-content-type-options'], 'nosniff', label);
  if (httpsListener) assert.equal(h['strict-transport-security'], 'max-age=31536000', label);
  else assert.equal(h['strict-transport-security'], undefined, label);
  if (html) {
    assert.equal(h['x-frame-options'], 'DENY', label);
    const csp = String(h['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/, label);
    assert.match(csp, /script-src 'self'(;|$)/, label);
    assert.doesNotMatch(csp, /unsafe-eval/, label);
  }
  if (authenticated) assert.equal(h['cache-control'], 'no-store', label);
}

test('every kind of answer carries nosniff; authenticated ones no-store; HTML pages a CSP and X-Frame-Options; no HSTS over HTTP', async () => {
  for (const [label, face, options, status, authenticated, html] of CASES) {
    const res = await send(face, options, authenticated);
    if (status !== undefined) assert.equal(res.statusCode, status, `${label}: ${res.body.slice(0, 200)}`);
    checkHeaders(label, res, authenticated, html, false);
  }
});

test('a read-only key refused (403) and a wrong role refused (403) still carry no-store and nosniff', async () => {
  const res = await app.vspc.inject({ url: '/tally/v1/users', headers: bearer(readerToken) });
  assert.equal(res.statusCode, 403);
  checkHeaders('403', res, true, false, false);
});

test('token answers carry no-store and nosniff on both faces', async () => {
  for (const face of ['vb365', 'vspc'] as const) {
    const res = await grant(app, face, { grant_type: 'password', username: 'admin', password: 'wrong' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
});

test('a polled endpoint asked twice (a cached answer) carries the same headers both times', async () => {
  const organizations = await app.vb365.inject({ url: '/v6/Organizations', headers: bearer(vbToken) });
  const id = organizations.json()[0]?.id;
  assert.ok(id, organizations.body);
  const url = `/v6/Organizations/${id}/LicensingInformation`;
  const first = await app.vb365.inject({ url, headers: bearer(vbToken) });
  const second = await app.vb365.inject({ url, headers: bearer(vbToken) });
  assert.equal(first.statusCode, 200);
  for (const res of [first, second]) checkHeaders('poll', res, true, false, false);
});

test('HTTPS listeners add HSTS to every kind of answer, on both faces', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-headers-'));
  const { tls } = await loadOrCreateCertificate(dir, '127.0.0.1');
  try {
    for (const face of ['vb365', 'vspc'] as const) {
      const server = await buildFaceApp(face, app.ctx, { tls });
      await server.listen({ host: '127.0.0.1', port: 0 });
      const port = (server.server.address() as { port: number }).port;
      try {
        for (const [label, caseFace, options, , authenticated, html] of CASES) {
          if (caseFace !== face) continue;
          const res = await send(face, options, authenticated, server);
          checkHeaders(`${label} (https inject)`, res, authenticated, html, true);
        }
        // And over a real TLS connection.
        const real = await new Promise<{ headers: Record<string, unknown> }>((resolve, reject) => {
          https.get({ host: '127.0.0.1', port, path: '/tally/v1/openapi.json', rejectUnauthorized: false }, (res) => {
            res.resume();
            res.on('end', () => resolve({ headers: res.headers }));
          }).on('error', reject);
        });
        checkHeaders('https', real, false, false, true);
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
