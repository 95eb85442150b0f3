/**
 * Route × identity matrix. The routes come from the server itself (an `onRoute` hook on the very
 * apps `tally serve` builds, both faces and /tally/v1); every route has an explicit row below, and
 * every row is tried with every identity: no token, a malformed header, an unknown token, an
 * expired token, a revoked token, an account of each role, a read-only API key, an account of
 * another tenant, and VB365 administrators confined to company A and to reseller B. Each cell has one expected status, and refusals must be in the face's dialect.
 *
 * A route without a row fails the test: whoever adds a route says who may call it. A row without a
 * route is only reported (routes that colleagues add and remove while this suite is written).
 * HEAD routes are Fastify's automatic twins of GET routes (same hooks, same handler) and are left out.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildFaceApp, type Face } from '../../src/http/app.js';
import { InflightRequests } from '../../src/http/inflight.js';
import { AuthService, DEFAULT_AUTH_OPTIONS, ROLES, hashToken, newToken, type Role } from '../../src/services/auth.js';
import { getAccount, insertApiKey, upsertAccount } from '../../src/store/accounts.js';
import { getCompany, getOrganization, getReseller, putLicenseTerms, upsertCompany, upsertOrganization, upsertReseller } from '../../src/store/entities.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

const CLOCK = '2026-11-23T12:00:00Z';
const RESELLER_A = '0b000000-0000-4000-8000-0000000000a1';
const RESELLER_B = '0b000000-0000-4000-8000-0000000000b1';
const COMPANY_A = '0c000000-0000-4000-8000-0000000000a1';
const COMPANY_B = '0c000000-0000-4000-8000-0000000000b1';
const TENANT_A = '0d000000-0000-4000-8000-0000000000a1';
const TENANT_B = '0d000000-0000-4000-8000-0000000000b1';
const ORG_A = '0a000000-0000-4000-8000-0000000000a1';
const ZERO = '00000000-0000-0000-0000-000000000000';
const KEY_ID = '0f000000-0000-4000-8000-000000000001';
/** Objects that allowed cells delete (recreated before every cell). */
const DOOMED_RESELLER = '0b000000-0000-4000-8000-0000000000d1';
const DOOMED_COMPANY = '0c000000-0000-4000-8000-0000000000d1';
const DOOMED_ORG = '0a000000-0000-4000-8000-0000000000d1';
const PASSWORD = 'matrix-password';

// ---------------------------------------------------------------------------------------------
// Identities

const BROKEN = ['none', 'malformed', 'unknown', 'expired', 'revoked'] as const;
type Broken = (typeof BROKEN)[number];
/** Vb365Administrator accounts confined to a scope: company A's own (sees organization A), reseller B's (does not). */
const SCOPED_VB365 = ['vb365CompanyA', 'vb365ResellerB'] as const;
type ScopedVb365 = (typeof SCOPED_VB365)[number];
type Identity = Broken | Role | 'readOnlyKey' | 'otherTenant' | ScopedVb365;
const IDENTITIES: readonly Identity[] = [...BROKEN, ...ROLES, 'readOnlyKey', 'otherTenant', ...SCOPED_VB365];

const RESELLER_ROLES: readonly Role[] = [
  'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator',
  'ServiceProviderUser', 'ServiceProviderInvoiceAuditor',
];
const COMPANY_ROLES: readonly Role[] = ['CompanyOwner', 'CompanyAdministrator', 'CompanyInvoiceAuditor'];
/** Where each role's account is confined: reseller roles to reseller A, company roles to company A. */
const scopeOf = (role: Role) => (RESELLER_ROLES.includes(role) ? RESELLER_A : COMPANY_ROLES.includes(role) ? COMPANY_A : undefined);
const accountOf = (identity: Identity) => `matrix-${identity}`;

// ---------------------------------------------------------------------------------------------
// Rows

const PORTAL: readonly Role[] = ['PortalAdministrator'];
const VB365: readonly Role[] = ['Vb365Administrator'];
/** Veeam's documented roles of the console-usage family. */
const CONSOLE_USAGE: readonly Role[] = ['PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator'];
/** VSPC organizations: every provider role and the company roles of the 3.6.1 document, scoped. */
const COMPANY_READERS: readonly Role[] = [
  'PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator',
  'ServiceProviderUser', 'CompanyOwner', 'CompanyAdministrator', 'ReadOnlyUser',
];

/** "Get Services Usage" (VSPC help page): the three provider administrators and the company's owner and administrators, scoped. */
const COMPANY_USAGE: readonly Role[] = ['PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'CompanyOwner', 'CompanyAdministrator'];

/** VSPC resellers: the provider-wide roles and the Service Provider roles (their own reseller). */
const RESELLER_READERS: readonly Role[] = [
  'PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator', 'ServiceProviderUser', 'ReadOnlyUser',
];

interface Row {
  /** The method and URL exactly as the route is registered. */
  route: string;
  /** The concrete request (path, query, body); the method comes from `route`. */
  request?: Omit<InjectOptions, 'method'>;
  /** Anonymous by design: every cell answers `ok`. */
  anonymous?: true;
  /** The roles that get `ok`; every other role 403. */
  allow?: readonly Role[];
  ok: number;
  /** The request names company A: an allowed account confined to another reseller gets 404, as for a missing company. */
  tenant?: true;
  /**
   * VB365 scope: `organizationA` — the request names organization A (company A's): an allowed
   * account confined elsewhere gets 404, as for a missing one; `unconfined` — only unconfined
   * accounts may (scoped ones 403). Other VB365 rows answer scoped accounts `ok`, filtered.
   */
  vb365Scope?: 'organizationA' | 'unconfined';
  /** Restores what an allowed cell removed or spent, before every cell. */
  prepare?: () => Promise<void>;
  /** Each cell logs in afresh (the route ends the calling session). */
  freshSession?: true;
}

let app: TestApp;
let routes: { vb365: Set<string>; vspc: Set<string> };
let apps: Record<Face, FastifyInstance>;
const tokens = new Map<Identity, string>();
let victimUid = '';

const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});
const json = (payload: object) => ({ payload });

function rows(): Row[] {
  const db = () => app.ctx.store.db;
  const legacy = { headers: { 'x-client-version': '3.2' } };
  return [
    // Documentation: served without a token, like the products' Swagger UI.
    ...['/swagger/ui/index', '/swagger/ui/index/static/swagger-initializer.js', '/swagger/ui/index/json', '/swagger/ui/index/yaml',
      '/swagger/docs/v6', '/api/swagger', '/api/swagger/static/swagger-initializer.js', '/api/swagger/json', '/api/swagger/yaml',
      '/tally/v1/openapi.json'].map((url): Row => ({ route: `GET ${url}`, anonymous: true, ok: 200 })),
    // swagger-ui's own redirect of its static page to the UI's root.
    ...['/swagger/ui/index/static/index.html', '/api/swagger/static/index.html'].map((url): Row => ({ route: `GET ${url}`, anonymous: true, ok: 302 })),
    { route: 'GET /swagger/ui/index/static/*', request: { url: '/swagger/ui/index/static/index.css' }, anonymous: true, ok: 200 },
    { route: 'GET /api/swagger/static/*', request: { url: '/api/swagger/static/index.css' }, anonymous: true, ok: 200 },

    // Operations (http/ops): liveness and readiness for probes without a token; metrics for a
    // PortalAdministrator (or anyone with --metrics-open, not set here).
    { route: 'GET /health', anonymous: true, ok: 200 },
    { route: 'GET /ready', anonymous: true, ok: 200 },
    { route: 'GET /metrics', allow: PORTAL, ok: 200 },

    // Token endpoints: anonymous; a valid password grant succeeds whatever the Authorization header says.
    { route: 'POST /v6/token', request: form({ grant_type: 'password', username: 'matrix-login', password: PASSWORD }), anonymous: true, ok: 200 },
    { route: 'POST /api/v3/token', request: form({ grant_type: 'password', username: 'matrix-login', password: PASSWORD }), anonymous: true, ok: 200 },

    // VB365 v6: Vb365Administrator.
    { route: 'GET /v6/ServiceInstance', allow: ROLES, ok: 200 },
    { route: 'GET /v6/Organizations', allow: VB365, ok: 200 },
    { route: 'GET /v6/Organizations/:organizationId', request: { url: `/v6/Organizations/${ORG_A}` }, allow: VB365, ok: 200, vb365Scope: 'organizationA' },
    { route: 'GET /v6/Organizations/:organizationId/LicensingInformation', request: { url: `/v6/Organizations/${ORG_A}/LicensingInformation` }, allow: VB365, ok: 200, vb365Scope: 'organizationA' },
    { route: 'GET /v6/License', allow: VB365, ok: 200 },
    { route: 'GET /v6/LicensedUsers', allow: VB365, ok: 200 },
    {
      route: 'DELETE /v6/LicensedUsers/:licensedUserId',
      // A fresh user for every cell: a revocation stands until a backup later than it, and the clock stands still.
      get request() {
        return { url: `/v6/LicensedUsers/matrix-revocable-${revocations}:${ZERO}` };
      },
      allow: VB365,
      ok: 204,
      vb365Scope: 'organizationA',
      prepare: async () => {
        // A user whose data is gone may be revoked; a new backup makes it licensed (and revocable) again.
        revocations++;
        const at = Date.parse(CLOCK) - 3 * 86_400_000 + revocations * 60_000;
        await app.ingest([
          { id: `matrix-backup-${revocations}`, type: 'vb365.backup', at: new Date(at).toISOString(), organizationId: ORG_A, user: { id: `matrix-revocable-${revocations}`, name: 'revocable@a.example' } },
          { id: `matrix-removed-${revocations}`, type: 'vb365.dataRemoved', at: new Date(at + 1000).toISOString(), organizationId: ORG_A, userId: `matrix-revocable-${revocations}` },
        ]);
      },
    },
    // Monthly reports exist for Rental licenses (the fixture's).
    { route: 'GET /v6/licensing/reports/latest', allow: VB365, ok: 200 },
    // A missing report: the allowed cell reaches the handler (404), every other one is refused before it.
    { route: 'POST /v6/licensing/reports/:reportId/approve', request: { url: '/v6/licensing/reports/987654/approve', ...json({}) }, allow: VB365, ok: 404, vb365Scope: 'unconfined' },
    {
      route: 'POST /v6/Reports/GenerateLicenseOverview',
      request: json({ startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', format: 'CSV' }),
      allow: VB365,
      ok: 200,
    },

    // VSPC v3.
    {
      route: 'DELETE /api/v3/users/:userUid/tokens',
      // Another account's tokens: Portal Administrators only (every account may end its own sessions: tokens.test.ts).
      request: { get url() { return `/api/v3/users/${victimUid}/tokens`; } },
      allow: PORTAL,
      ok: 200,
    },
    { route: 'GET /api/v3/licensing/console/usage/companies/vcc/:tenantUid', request: { url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT_A}`, ...legacy }, allow: CONSOLE_USAGE, ok: 200, tenant: true },
    { route: 'GET /api/v3/licensing/console', allow: PORTAL, ok: 200 },
    { route: 'GET /api/v3/licensing/console/settings', allow: PORTAL, ok: 200 },
    { route: 'GET /api/v3/licensing/console/usage', request: legacy, allow: CONSOLE_USAGE, ok: 200 },
    { route: 'GET /api/v3/licensing/console/usage/companies', request: legacy, allow: CONSOLE_USAGE, ok: 200 },
    { route: 'GET /api/v3/licensing/console/usage/companies/:companyUid', request: { url: `/api/v3/licensing/console/usage/companies/${COMPANY_A}`, ...legacy }, allow: CONSOLE_USAGE, ok: 200, tenant: true },
    { route: 'GET /api/v3/licensing/usage/organizations', request: { headers: { 'x-client-version': '3.6' } }, allow: CONSOLE_USAGE, ok: 200 },
    { route: 'GET /api/v3/organizations/companies', allow: COMPANY_READERS, ok: 200 },
    { route: 'GET /api/v3/organizations/companies/:companyUid', request: { url: `/api/v3/organizations/companies/${COMPANY_A}` }, allow: COMPANY_READERS, ok: 200, tenant: true },
    // Discovery and session: any authenticated account.
    { route: 'GET /api/v3/about', allow: ROLES, ok: 200 },
    { route: 'GET /api/v3/users/me', allow: ROLES, ok: 200 },
    { route: 'GET /api/v3/alarms/templates', allow: ROLES, ok: 200 },
    { route: 'GET /api/v3/alarms/active', allow: ROLES, ok: 200 },
    { route: 'GET /api/v3/organizations/resellers', allow: RESELLER_READERS, ok: 200 },
    { route: 'GET /api/v3/organizations/resellers/:resellerUid', request: { url: `/api/v3/organizations/resellers/${RESELLER_A}` }, allow: RESELLER_READERS, ok: 200, tenant: true },
    { route: 'GET /api/v3/organizations/companies/usage', allow: COMPANY_USAGE, ok: 200 },
    { route: 'GET /api/v3/organizations/companies/:companyUid/usage', request: { url: `/api/v3/organizations/companies/${COMPANY_A}/usage` }, allow: COMPANY_USAGE, ok: 200, tenant: true },
    { route: 'GET /api/v3/organizations/companies/:companyUid/siteResources', request: { url: `/api/v3/organizations/companies/${COMPANY_A}/siteResources` }, allow: COMPANY_READERS, ok: 200, tenant: true },

    // Admin API: Portal Administrators, except where said.
    { route: 'GET /tally/v1/resellers', allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/resellers/:uid', request: { url: `/tally/v1/resellers/${RESELLER_A}` }, allow: PORTAL, ok: 200 },
    { route: 'PUT /tally/v1/resellers/:uid', request: { url: `/tally/v1/resellers/${RESELLER_A}`, ...json({ name: 'Reseller A' }) }, allow: PORTAL, ok: 200 },
    {
      route: 'DELETE /tally/v1/resellers/:uid',
      request: { url: `/tally/v1/resellers/${DOOMED_RESELLER}` },
      allow: PORTAL,
      ok: 204,
      prepare: async () => {
        if (!(await getReseller(db(), DOOMED_RESELLER))) await upsertReseller(db(), { uid: DOOMED_RESELLER, name: 'Doomed' });
      },
    },
    { route: 'GET /tally/v1/companies', allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/companies/:uid', request: { url: `/tally/v1/companies/${COMPANY_A}` }, allow: PORTAL, ok: 200 },
    { route: 'PUT /tally/v1/companies/:uid', request: { url: `/tally/v1/companies/${COMPANY_A}`, ...json({ name: 'Company A', resellerUid: RESELLER_A, tenantUid: TENANT_A }) }, allow: PORTAL, ok: 200 },
    {
      route: 'DELETE /tally/v1/companies/:uid',
      request: { url: `/tally/v1/companies/${DOOMED_COMPANY}` },
      allow: PORTAL,
      ok: 204,
      prepare: async () => {
        if (!(await getCompany(db(), DOOMED_COMPANY))) await upsertCompany(db(), { uid: DOOMED_COMPANY, name: 'Doomed', resellerUid: null, tenantUid: null });
      },
    },
    { route: 'GET /tally/v1/companies/:uid/workloads', request: { url: `/tally/v1/companies/${COMPANY_A}/workloads` }, allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/organizations', allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/organizations/:id', request: { url: `/tally/v1/organizations/${ORG_A}` }, allow: PORTAL, ok: 200 },
    { route: 'PUT /tally/v1/organizations/:id', request: { url: `/tally/v1/organizations/${ORG_A}`, ...json({ name: 'a.onmicrosoft.com', companyUid: COMPANY_A }) }, allow: PORTAL, ok: 200 },
    {
      route: 'DELETE /tally/v1/organizations/:id',
      request: { url: `/tally/v1/organizations/${DOOMED_ORG}` },
      allow: PORTAL,
      ok: 204,
      prepare: async () => {
        if (!(await getOrganization(db(), DOOMED_ORG))) {
          await upsertOrganization(db(), { id: DOOMED_ORG, name: 'doomed.onmicrosoft.com', officeName: null, type: 'Office365', region: 'Worldwide', companyUid: null });
        }
      },
    },
    { route: 'GET /tally/v1/organizations/:id/workloads', request: { url: `/tally/v1/organizations/${ORG_A}/workloads` }, allow: PORTAL, ok: 200 },
    ...(['vb365', 'vspc'] as const).flatMap((product): Row[] => {
      const terms = product === 'vb365'
        ? { type: 'Rental', totalNumber: 100, expirationDate: '2027-12-31T00:00:00Z' }
        : { type: 'Rental', units: 1000, expirationDate: '2027-12-31T00:00:00Z' };
      return [
        { route: `GET /tally/v1/licenses/${product}`, allow: PORTAL, ok: 200 },
        { route: `PUT /tally/v1/licenses/${product}`, request: json(terms), allow: PORTAL, ok: 200 },
        { route: `DELETE /tally/v1/licenses/${product}`, allow: PORTAL, ok: 204, prepare: () => putLicenseTerms(db(), product, terms) },
      ];
    }),
    { route: 'GET /tally/v1/users', allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/users/:username', request: { url: '/tally/v1/users/matrix-victim' }, allow: PORTAL, ok: 200 },
    { route: 'PUT /tally/v1/users/:username', request: { url: '/tally/v1/users/matrix-scratch', ...json({ password: PASSWORD, roles: ['ReadOnlyUser'] }) }, allow: PORTAL, ok: 200 },
    {
      route: 'DELETE /tally/v1/users/:username',
      request: { url: '/tally/v1/users/matrix-doomed' },
      allow: PORTAL,
      ok: 204,
      prepare: async () => {
        if (!(await getAccount(db(), 'matrix-doomed'))) {
          await upsertAccount(db(), { username: 'matrix-doomed', passwordHash: 'unused', roles: ['ReadOnlyUser'], scopeUid: null, disabled: false }, Date.now());
        }
      },
    },
    {
      route: 'POST /tally/v1/events',
      request: json({ events: [{ id: 'matrix-event', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY_A, agent: { uid: '0e000000-0000-4000-8000-0000000000a1', name: 'srv', mode: 'server' } }] }),
      allow: ['PortalAdministrator', 'Ingest'],
      ok: 200,
    },
    { route: 'GET /tally/v1/clock', allow: PORTAL, ok: 200 },
    { route: 'PUT /tally/v1/clock', request: json({ now: CLOCK }), allow: PORTAL, ok: 200 },
    { route: 'GET /tally/v1/reports/vspc/:month', request: { url: '/tally/v1/reports/vspc/2026-10' }, allow: PORTAL, ok: 200 },
    { route: 'POST /tally/v1/users/:username/apikeys', request: { url: '/tally/v1/users/matrix-victim/apikeys', ...json({ name: 'matrix' }) }, allow: PORTAL, ok: 201 },
    { route: 'GET /tally/v1/users/:username/apikeys', request: { url: '/tally/v1/users/matrix-victim/apikeys' }, allow: PORTAL, ok: 200 },
    {
      route: 'DELETE /tally/v1/users/:username/apikeys/:id',
      request: { url: `/tally/v1/users/matrix-victim/apikeys/${KEY_ID}` },
      allow: PORTAL,
      ok: 204,
      prepare: async () => {
        const exists = await db().selectFrom('api_keys').select('id').where('id', '=', KEY_ID).executeTakeFirst();
        if (!exists) await insertApiKey(db(), { id: KEY_ID, username: 'matrix-victim', name: 'doomed', key_hash: hashToken(newToken()), read_only: 0, created_at: Date.now() });
      },
    },
    { route: 'DELETE /tally/v1/users/:username/tokens', request: { url: '/tally/v1/users/matrix-victim/tokens' }, allow: PORTAL, ok: 204 },
    { route: 'POST /tally/v1/users/:username/unlock', request: { url: '/tally/v1/users/matrix-victim/unlock' }, allow: PORTAL, ok: 200 },
    // The logout: every account may end its own session.
    { route: 'DELETE /tally/v1/session', allow: ROLES, ok: 204, freshSession: true },
    { route: 'GET /tally/v1/audit', allow: PORTAL, ok: 200 },
  ];
}
let revocations = 0;

// ---------------------------------------------------------------------------------------------
// Set-up

/** Records the routes of the apps `tally serve` builds, through the one hook Fastify offers for it. */
class RouteRecorder extends InflightRequests {
  readonly routes = new Set<string>();
  override install(instance: FastifyInstance): void {
    super.install(instance);
    instance.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') this.routes.add(`${method} ${route.url}`);
    });
  }
}

async function loginToken(username: string): Promise<string> {
  return (await app.ctx.auth.login(username, PASSWORD))!.accessToken;
}

async function createAccount(username: string, roles: readonly Role[], scopeUid?: string) {
  await adminPut(app, `/tally/v1/users/${username}`, { password: PASSWORD, roles, ...(scopeUid ? { scopeUid } : {}) });
}

before(async () => {
  app = await startTestApp({ clock: CLOCK });
  await adminPut(app, `/tally/v1/resellers/${RESELLER_A}`, { name: 'Reseller A' });
  await adminPut(app, `/tally/v1/resellers/${RESELLER_B}`, { name: 'Reseller B' });
  await adminPut(app, `/tally/v1/companies/${COMPANY_A}`, { name: 'Company A', resellerUid: RESELLER_A, tenantUid: TENANT_A });
  await adminPut(app, `/tally/v1/companies/${COMPANY_B}`, { name: 'Company B', resellerUid: RESELLER_B, tenantUid: TENANT_B });
  await adminPut(app, `/tally/v1/organizations/${ORG_A}`, { name: 'a.onmicrosoft.com', companyUid: COMPANY_A });
  await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 100, expirationDate: '2027-12-31T00:00:00Z' });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-12-31T00:00:00Z' });
  const ingested = await app.ingest([
    { id: 'matrix-b1', type: 'vb365.backup', at: '2026-11-20T00:00:00Z', organizationId: ORG_A, user: { id: 'u1', name: 'u1@a.example' } },
    { id: 'matrix-a1', type: 'vspc.agentActivated', at: '2026-10-02T08:00:00Z', companyUid: COMPANY_B, agent: { uid: '0e000000-0000-4000-8000-0000000000b1', name: 'b', mode: 'workstation' } },
  ]);
  assert.equal(ingested.status, 200);

  for (const role of ROLES) {
    await createAccount(accountOf(role), [role], scopeOf(role));
    tokens.set(role, await loginToken(accountOf(role)));
  }
  await createAccount(accountOf('otherTenant'), ['ServiceProviderAdministrator'], RESELLER_B);
  tokens.set('otherTenant', await loginToken(accountOf('otherTenant')));
  await createAccount(accountOf('vb365CompanyA'), ['Vb365Administrator'], COMPANY_A);
  await createAccount(accountOf('vb365ResellerB'), ['Vb365Administrator'], RESELLER_B);
  for (const identity of SCOPED_VB365) tokens.set(identity, await loginToken(accountOf(identity)));
  // The broken tokens belong to an account that could call everything, so only the token is at fault.
  const everything: Role[] = ['PortalAdministrator', 'Vb365Administrator', 'Ingest'];
  for (const name of ['expired', 'revoked', 'keyholder', 'victim', 'login']) await createAccount(`matrix-${name}`, everything);
  tokens.set('none', '');
  tokens.set('malformed', 'Basic bWF0cml4OnBhc3N3b3Jk');
  tokens.set('unknown', newToken());
  // Issued on a wall clock 61 minutes behind: expired a minute ago (token lifetimes follow the wall clock, never the time-travel clock).
  const past = new AuthService(app.ctx.store.db, DEFAULT_AUTH_OPTIONS, () => Date.now() - 61 * 60_000);
  tokens.set('expired', (await past.login('matrix-expired', PASSWORD))!.accessToken);
  const revoked = await loginToken('matrix-revoked');
  const revocation = await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/users/matrix-revoked/tokens', headers: bearer(app.adminToken) });
  assert.equal(revocation.statusCode, 204);
  tokens.set('revoked', revoked);
  const key = await app.vspc.inject({ method: 'POST', url: '/tally/v1/users/matrix-keyholder/apikeys', headers: bearer(app.adminToken), payload: { name: 'reader', readOnly: true } });
  tokens.set('readOnlyKey', key.json().key);
  victimUid = (await app.vspc.inject({ url: '/tally/v1/users/matrix-victim', headers: bearer(app.adminToken) })).json().uid;

  const recorders = { vb365: new RouteRecorder(), vspc: new RouteRecorder() };
  apps = {
    vb365: await buildFaceApp('vb365', app.ctx, { inflight: recorders.vb365 }),
    vspc: await buildFaceApp('vspc', app.ctx, { inflight: recorders.vspc }),
  };
  await Promise.all([apps.vb365.ready(), apps.vspc.ready()]);
  routes = { vb365: recorders.vb365.routes, vspc: recorders.vspc.routes };
});

after(async () => {
  await apps?.vb365.close();
  await apps?.vspc.close();
  await app?.close();
});

// ---------------------------------------------------------------------------------------------
// Expectations

function expected(row: Row, identity: Identity, method: string): number {
  if (row.anonymous) return row.ok;
  if ((BROKEN as readonly string[]).includes(identity)) return 401;
  const allow = row.allow ?? [];
  if (identity === 'readOnlyKey') {
    // The key's account has PortalAdministrator, Vb365Administrator and Ingest; the key reads only.
    const allowed = allow.some((role) => ['PortalAdministrator', 'Vb365Administrator', 'Ingest'].includes(role));
    return allowed && method === 'GET' ? row.ok : 403;
  }
  if (identity === 'otherTenant') {
    if (!allow.includes('ServiceProviderAdministrator')) return 403;
    return row.tenant ? 404 : row.ok;
  }
  if ((SCOPED_VB365 as readonly string[]).includes(identity)) {
    if (!allow.includes('Vb365Administrator')) return 403;
    if (row.vb365Scope === 'unconfined') return 403;
    if (row.vb365Scope === 'organizationA' && identity === 'vb365ResellerB') return 404;
    return row.ok;
  }
  return allow.includes(identity as Role) ? row.ok : 403;
}

type Dialect = 'vb365' | 'vspc' | 'tally';
const dialectOf = (url: string): Dialect => (url.startsWith('/tally/') || url === '/metrics' ? 'tally' : url.startsWith('/v6/') ? 'vb365' : 'vspc');
const faceOf = (url: string): Face => (url.startsWith('/v6/') || url.startsWith('/swagger') ? 'vb365' : 'vspc');

/** A refusal must look like the face's own: what its clients parse. */
function dialectProblem(dialect: Dialect, identity: Identity, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode !== 401 && res.statusCode !== 403) return undefined;
  const body = res.body === '' ? undefined : (res.json() as Record<string, any>);
  switch (dialect) {
    case 'vb365':
      // A rejected token answers an empty body (as real servers do); no token, or a role refusal, a message.
      if (res.statusCode === 401 && identity !== 'none') return body === undefined ? undefined : 'a rejected VB365 token answers an empty body';
      return typeof body?.message === 'string' ? undefined : 'no {message}';
    case 'vspc':
      return body?.errors?.[0]?.type === 'security' && body.errors[0].code === res.statusCode ? undefined : 'no errors[0] of type security';
    case 'tally':
      return body?.error?.code === (res.statusCode === 401 ? 'unauthorized' : 'forbidden') ? undefined : 'no {error:{code}}';
  }
}

// ---------------------------------------------------------------------------------------------
// Tests

test('every identity the matrix tries: the broken tokens, each role, a read-only key, another tenant and scoped VB365 administrators', () => {
  assert.deepEqual([...IDENTITIES].sort(), [...BROKEN, ...ROLES, 'readOnlyKey', 'otherTenant', ...SCOPED_VB365].sort());
  for (const role of ['PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator',
    'ServiceProviderUser', 'CompanyOwner', 'CompanyAdministrator', 'ReadOnlyUser', 'Vb365Administrator']) {
    assert.ok(IDENTITIES.includes(role as Identity), role);
  }
});

test('both listeners carry the same admin API', () => {
  const tally = (set: Set<string>) => [...set].filter((r) => r.split(' ')[1]!.startsWith('/tally/')).sort();
  assert.deepEqual(tally(routes.vb365), tally(routes.vspc));
});

test('every route of the server has a row (a new route must say who may call it)', (t) => {
  const all = new Set([...routes.vb365, ...routes.vspc]);
  const covered = new Set(rows().map((r) => r.route));
  const missing = [...all].filter((r) => !covered.has(r)).sort();
  assert.deepEqual(missing, [], `routes without a row in test/security/route-matrix.test.ts:\n${missing.join('\n')}`);
  const stale = [...covered].filter((r) => !all.has(r));
  if (stale.length > 0) t.diagnostic(`rows without a route (tolerated): ${stale.join(', ')}`);
});

test('every cell answers its expected status, refusals in the face\'s dialect', async (t) => {
  const all = new Set([...routes.vb365, ...routes.vspc]);
  const failures: string[] = [];
  let cells = 0;
  for (const row of rows()) {
    if (!all.has(row.route)) continue;
    const [method, pattern] = row.route.split(' ') as [InjectOptions['method'] & string, string];
    const rowUrl = (row.request?.url as string | undefined) ?? pattern;
    assert.ok(!rowUrl.includes(':') || rowUrl.startsWith('/v6/LicensedUsers/'), `${row.route}: give the row a concrete url`);
    for (const identity of IDENTITIES) {
      await row.prepare?.();
      // After `prepare`: a row may name a fresh object for every cell.
      const url = (row.request?.url as string | undefined) ?? pattern;
      let token = tokens.get(identity) ?? '';
      if (row.freshSession && (ROLES as readonly string[]).includes(identity)) token = await loginToken(accountOf(identity));
      if (row.freshSession && (identity === 'otherTenant' || (SCOPED_VB365 as readonly string[]).includes(identity))) token = await loginToken(accountOf(identity));
      const headers: Record<string, string> = { ...((row.request?.headers as Record<string, string> | undefined) ?? {}) };
      if (identity === 'malformed') headers.authorization = token;
      else if (identity !== 'none') headers.authorization = `Bearer ${token}`;
      const res = await apps[faceOf(url)].inject({ ...row.request, method, url, headers });
      cells++;
      const want = expected(row, identity, method);
      if (res.statusCode !== want) {
        failures.push(`${row.route} as ${identity}: ${res.statusCode}, expected ${want} ${res.body.split('\n')[0]!.slice(0, 120)}`);
        continue;
      }
      const problem = dialectProblem(dialectOf(url), identity, res);
      if (problem) failures.push(`${row.route} as ${identity}: ${res.statusCode} ${problem}: ${res.body.split('\n')[0]!.slice(0, 120)}`);
    }
  }
  t.diagnostic(`${cells} cells`);
  assert.deepEqual(failures, []);
});

test('another tenant\'s collections leave out the companies of other resellers', async () => {
  const token = tokens.get('otherTenant')!;
  const companies = await apps.vspc.inject({ url: '/api/v3/organizations/companies', headers: bearer(token) });
  assert.deepEqual(companies.json().data.map((c: { instanceUid: string }) => c.instanceUid), [COMPANY_B]);
  const usage = await apps.vspc.inject({ url: '/api/v3/licensing/console/usage/companies', headers: { ...bearer(token), 'x-client-version': '3.2' } });
  assert.deepEqual(usage.json().data.map((c: { companyUid: string }) => c.companyUid), [COMPANY_B]);
  const own = await apps.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/vcc/${TENANT_B}`, headers: bearer(token) });
  assert.equal(own.statusCode, 200);
});

test('a VB365 administrator confined to a scope sees only its companies\' organizations, users and report lines', async () => {
  const ORG_B = '0a000000-0000-4000-8000-0000000000b1';
  const ORG_UNMAPPED = '0a000000-0000-4000-8000-0000000000c1';
  await adminPut(app, `/tally/v1/organizations/${ORG_B}`, { name: 'b.onmicrosoft.com', companyUid: COMPANY_B });
  await adminPut(app, `/tally/v1/organizations/${ORG_UNMAPPED}`, { name: 'unmapped.onmicrosoft.com' });
  await app.ingest([
    { id: 'scope-b1', type: 'vb365.backup', at: '2026-11-21T00:00:00Z', organizationId: ORG_B, user: { id: 'ub', name: 'ub@b.example' } },
    { id: 'scope-c1', type: 'vb365.backup', at: '2026-11-21T00:00:00Z', organizationId: ORG_UNMAPPED, user: { id: 'uc', name: 'uc@c.example' } },
  ]);
  const get = (identity: Identity | 'admin', url: string) => apps.vb365.inject({ url, headers: bearer(identity === 'admin' ? app.adminToken : tokens.get(identity)!) });
  const orgIds = async (identity: Identity | 'admin') => (await get(identity, '/v6/Organizations')).json().map((o: { id: string }) => o.id).sort();
  const userOrgs = async (identity: Identity | 'admin') =>
    [...new Set((await get(identity, '/v6/LicensedUsers?limit=1000')).json().results.map((u: { organizationId: string }) => u.organizationId))].sort();
  const overviewOrgs = async (identity: Identity | 'admin') => {
    const res = await apps.vb365.inject({
      method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', headers: bearer(identity === 'admin' ? app.adminToken : tokens.get(identity)!),
      payload: { startTime: '2026-11-01T00:00:00Z', endTime: CLOCK, format: 'CSV' },
    });
    return res.body.trim().split('\r\n').slice(1).map((line) => line.split(',')[2]).sort();
  };

  // The unconfined administrator sees all three organizations; an unmapped one is seen by unconfined accounts only.
  const everything = await orgIds('admin');
  for (const org of [ORG_A, ORG_B, ORG_UNMAPPED]) assert.ok(everything.includes(org), org);
  assert.deepEqual(await orgIds('vb365CompanyA'), [ORG_A]);
  assert.deepEqual(await orgIds('vb365ResellerB'), [ORG_B]);
  assert.deepEqual((await userOrgs('admin')).filter((org) => [ORG_A, ORG_B, ORG_UNMAPPED].includes(org as string)), [ORG_A, ORG_B, ORG_UNMAPPED].sort());
  assert.deepEqual(await userOrgs('vb365CompanyA'), [ORG_A]);
  assert.deepEqual(await userOrgs('vb365ResellerB'), [ORG_B]);
  assert.deepEqual(await overviewOrgs('vb365ResellerB'), [ORG_B]);
  assert.ok((await overviewOrgs('admin')).length >= 3);
  // The license counts the users of the caller's organizations only.
  const used = async (identity: Identity | 'admin') => {
    const license = (await get(identity, '/v6/License')).json();
    return license.usedNumber + license.newNumber;
  };
  assert.equal(await used('vb365ResellerB'), 1);
  assert.ok((await used('admin')) >= 3);
  // A foreign organization answers exactly like a missing one (the id in the message is the one asked for).
  const MISSING = '0a000000-0000-4000-8000-0000000000ff';
  for (const suffix of ['', '/LicensingInformation']) {
    const foreign = await get('vb365ResellerB', `/v6/Organizations/${ORG_A}${suffix}`);
    const missing = await get('vb365ResellerB', `/v6/Organizations/${MISSING}${suffix}`);
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.statusCode, missing.statusCode);
    assert.equal(foreign.body.replace(ORG_A, 'ID'), missing.body.replace(MISSING, 'ID'));
    assert.deepEqual(Object.keys(foreign.headers).sort(), Object.keys(missing.headers).sort());
  }
  const unmapped = await get('vb365CompanyA', `/v6/Organizations/${ORG_UNMAPPED}`);
  assert.equal(unmapped.statusCode, 404);
  // Revoking a foreign user's license answers as for a missing user, and changes nothing.
  const foreignUser = `ub:${ZERO}`;
  const revoke = await apps.vb365.inject({ method: 'DELETE', url: `/v6/LicensedUsers/${foreignUser}`, headers: bearer(tokens.get('vb365CompanyA')!) });
  assert.equal(revoke.statusCode, 404);
  assert.deepEqual(revoke.json(), { message: `Licensed user with ID ${foreignUser} was not found.` });
  // The monthly report shows the caller's lines only.
  const report = (await get('vb365CompanyA', '/v6/licensing/reports/latest')).json();
  assert.ok(report.organizations.every((line: { organizationId: string }) => line.organizationId === ORG_A));
});
