/** TypeBox schemas of the VSPC v3 face; `number` renders as a .NET double, `integer` as an int. */
import Type, { type TSchema } from 'typebox';

/** The v3 response envelope: `{data, meta?}`. */
export const Envelope = <T extends TSchema>(data: T) =>
  Type.Object({
    data,
    meta: Type.Optional(
      Type.Object({ pagingInfo: Type.Object({ total: Type.Integer(), count: Type.Integer(), offset: Type.Integer() }) }),
    ),
  });

export const TenantParams = Type.Object({ tenantUid: Type.String({ format: 'uuid' }) });

/** `ConsoleLicenseCounter`, in the seed's field order. */
export const ConsoleLicenseCounter = Type.Object({
  type: Type.String(),
  unitType: Type.String(),
  usedUnits: Type.Number(),
  usedCount: Type.Integer(),
  newUnits: Type.Number(),
  newCount: Type.Integer(),
});

/** `CompanyConsoleLicenseUsage`. */
export const CompanyConsoleLicenseUsage = Type.Object({
  companyUid: Type.String({ format: 'uuid' }),
  tenantUid: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  counters: Type.Array(ConsoleLicenseCounter),
});

/** `OAuth2Result`. */
export const TokenReply = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  refresh_token: Type.String(),
  expires_in: Type.Integer(),
});

/** The throttling answer of the token operation (429). */
export const Throttled = Type.Object({
  errors: Type.Array(Type.Object({ message: Type.String(), type: Type.String(), code: Type.Integer(), retryAfter: Type.Integer() })),
});

/** `OAuth2Error`, the 400 body of the token operation. */
export const TokenError = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
});

export const CompanyParams = Type.Object({ companyUid: Type.String({ format: 'uuid' }) });

/**
 * The query of every VSPC collection: `limit` (1–500, default 100) and `offset`, and the JSON
 * `filter`, `sort` and `select` expressions (parsed by query.ts).
 */
export const CollectionQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
  filter: Type.Optional(Type.String({ maxLength: 8192 })),
  sort: Type.Optional(Type.String({ maxLength: 2048 })),
  select: Type.Optional(Type.String({ maxLength: 2048 })),
});

/** `ConsoleLicenseSummaryCounter`. */
export const ConsoleLicenseSummaryCounter = Type.Object({
  type: Type.String(),
  unitType: Type.String(),
  usedUnits: Type.Number(),
  newUnits: Type.Number(),
  newCount: Type.Integer(),
  usedCount: Type.Integer(),
});

/** `ConsoleLicenseUsage`. */
export const ConsoleLicenseUsage = Type.Object({
  unitType: Type.String(),
  usedUnits: Type.Number(),
  usedCount: Type.Integer(),
  newUnits: Type.Number(),
  newCount: Type.Integer(),
  licensedUnits: Type.Number(),
  counters: Type.Array(ConsoleLicenseSummaryCounter),
});

const NullableText = Type.Union([Type.String(), Type.Null()]);

/**
 * `ConsoleLicense` (3.6.1): only the three dates are nullable; every other text is a string, so an
 * unknown one is empty (as the document's own example writes `"lastUpdateMessage": ""`).
 */
export const ConsoleLicense = Type.Object({
  licenseId: Type.String(),
  edition: Type.String(),
  package: Type.String(),
  licenseeCompany: Type.String(),
  licenseeEmail: Type.String(),
  licenseeAdministratorEmail: Type.String(),
  contactPerson: Type.String(),
  expirationDate: NullableText,
  supportExpirationDate: NullableText,
  supportId: Type.String(),
  status: Type.String(),
  statusMessage: Type.String(),
  cloudConnect: Type.String(),
  instances: Type.Number(),
  type: Type.String(),
  lastUpdateDate: NullableText,
  lastUpdateMessage: Type.String(),
  lastUpdateStatus: Type.String(),
});

/** `LicenseSettings`. */
export const LicenseSettings = Type.Object({ isAutoUpdateEnabled: Type.Boolean() });

// ---------------------------------------------------------------------------------------------
// Organizations (REST v3, schemas of the 3.6.1 document; field order as in its examples)

const NullableUuid = Type.Union([Type.String({ format: 'uuid' }), Type.Null()]);

/**
 * `OwnerCredentials` as answers carry them: `userName` is a string (empty when Tally knows no
 * account), the password is never returned (`null`, as in the 3.6.1 examples).
 */
export const OwnerCredentials = Type.Object({ userName: Type.String(), password: Type.Null() });

/** `Organization`, the root entity of a company (`_embedded.organization` with `expand=Organization`). */
export const Organization = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  type: Type.String(),
});

/**
 * `CompanyServices`: objects, never null (the 3.6.1 models build `CompanyHostedServices` and
 * `CompanyRemoteServices` from them). The quotas of `remoteServices` are left out: Tally has none.
 */
export const CompanyServices = Type.Object({
  hostedServices: Type.Object({ isVbPublicCloudManagementEnabled: Type.Boolean() }),
  remoteServices: Type.Object({ isBackupResourcesEnabled: Type.Boolean(), isVbPublicCloudManagementEnabled: Type.Boolean() }),
});

/** `Company`. */
export const Company = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  status: Type.String(),
  resellerUid: NullableUuid,
  subscriptionPlanUid: NullableUuid,
  isRestAccessEnabled: Type.Boolean(),
  isAlarmDetectEnabled: Type.Boolean(),
  companyServices: CompanyServices,
  loginUrl: NullableText,
  ownerCredentials: OwnerCredentials,
  /** `organization` only with `expand=Organization`: an empty object otherwise, which every model parses. */
  _embedded: Type.Object({ organization: Type.Optional(Organization) }),
});

/** `CloudTenant`, a Veeam Cloud Connect tenant (only what Tally knows of it; see docs/compatibility.md). */
export const CloudTenant = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  credentials: OwnerCredentials,
  assignedForCompany: Type.String({ format: 'uuid' }),
});

/** The query of `GET /organizations/companies`: the collection query and `expand`. */
export const CompaniesQuery = Type.Object({ ...CollectionQuery.properties, expand: Type.Optional(Type.String({ maxLength: 256 })) });

/** The query of a single resource: `select`. */
export const SingleResourceQuery = Type.Object({ select: Type.Optional(Type.String({ maxLength: 2048 })) });

/** `CurrentLicenseUsageWorkloadByPlatform`. */
export const CurrentLicenseUsageWorkloadByPlatform = Type.Object({
  typeId: Type.String(),
  description: Type.String(),
  weight: Type.Number(),
  rentalUnits: Type.Number(),
  newUnits: Type.Number(),
  usedUnits: Type.Number(),
  rentalCount: Type.Integer(),
  newCount: Type.Integer(),
  usedCount: Type.Integer(),
});

/** `CurrentLicenseUsageWorkload`. */
export const CurrentLicenseUsageWorkload = Type.Object({
  id: Type.String({ format: 'uuid' }),
  description: Type.String(),
  unitType: Type.String(),
  rentalUnits: Type.Number(),
  newUnits: Type.Number(),
  usedUnits: Type.Number(),
  rentalCount: Type.Integer(),
  newCount: Type.Integer(),
  usedCount: Type.Integer(),
  workloadsByPlatform: Type.Array(CurrentLicenseUsageWorkloadByPlatform),
});

/** `ServerCurrentLicenseUsage`. */
export const ServerCurrentLicenseUsage = Type.Object({
  serverUid: Type.String({ format: 'uuid' }),
  serverType: Type.String(),
  workloads: Type.Array(CurrentLicenseUsageWorkload),
});

/** `OrganizationCurrentLicenseUsage`. */
export const OrganizationCurrentLicenseUsage = Type.Object({
  organizationUid: Type.String({ format: 'uuid' }),
  organizationType: Type.String(),
  providerUid: NullableUuid,
  servers: Type.Array(ServerCurrentLicenseUsage),
});

/** The query of `GET /licensing/usage/organizations` (enums are checked by the route, ignoring case as .NET binds them). */
export const UsageOrganizationsQuery = Type.Object({
  ...CollectionQuery.properties,
  organizationUid: Type.Optional(Type.String({ format: 'uuid' })),
  organizationType: Type.Optional(Type.String({ maxLength: 64 })),
  providerUid: Type.Optional(Type.String({ format: 'uuid' })),
  serverUid: Type.Optional(Type.String({ format: 'uuid' })),
  serverType: Type.Optional(Type.String({ maxLength: 64 })),
});
