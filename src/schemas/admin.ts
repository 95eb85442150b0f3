/** TypeBox schemas of the admin API bodies: validation at the edge, types for the services and the demo. */
import Type, { type Static } from 'typebox';
import { VB365_LICENSE_TYPES, VSPC_LICENSE_TYPES } from '../domain/licenses.js';
import { PRINTABLE } from '../ingest/events.js';
import { ROLES } from '../services/auth.js';
import { ORGANIZATION_REGIONS, ORGANIZATION_TYPES } from '../domain/organizations.js';

export const Uuid = Type.String({ format: 'uuid' });
export const DateTimeText = Type.String({ format: 'date-time' });
const Text = (maxLength = 400) => Type.String({ minLength: 1, maxLength, pattern: PRINTABLE });

export const UidParams = Type.Object({ uid: Uuid });
export const IdParams = Type.Object({ id: Uuid });

export const ResellerBody = Type.Object({ name: Text() }, { additionalProperties: false });
export type ResellerBody = Static<typeof ResellerBody>;

export const CompanyBody = Type.Object(
  { name: Text(), resellerUid: Type.Optional(Uuid), tenantUid: Type.Optional(Uuid) },
  { additionalProperties: false },
);
export type CompanyBody = Static<typeof CompanyBody>;

export const OrganizationBody = Type.Object(
  {
    name: Text(),
    officeName: Type.Optional(Text()),
    type: Type.Optional(Type.Enum([...ORGANIZATION_TYPES])),
    region: Type.Optional(Type.Enum([...ORGANIZATION_REGIONS])),
    companyUid: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type OrganizationBody = Static<typeof OrganizationBody>;

export const Vb365LicenseBody = Type.Object(
  {
    type: Type.Enum([...VB365_LICENSE_TYPES]),
    totalNumber: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    expirationDate: DateTimeText,
    licensedTo: Type.Optional(Text()),
    contactPerson: Type.Optional(Text()),
    email: Type.Optional(Text()),
    supportId: Type.Optional(Text(100)),
    supportExpirationDate: Type.Optional(DateTimeText),
    autoUpdate: Type.Optional(Type.Boolean()),
    lastReportSentAt: Type.Optional(DateTimeText),
  },
  { additionalProperties: false },
);
export type Vb365LicenseBody = Static<typeof Vb365LicenseBody>;

const Weight = Type.Number({ minimum: 0, maximum: 1_000_000 });
export const VspcLicenseBody = Type.Object(
  {
    type: Type.Enum([...VSPC_LICENSE_TYPES]),
    edition: Type.Optional(Text(100)),
    units: Type.Number({ minimum: 0, maximum: 1_000_000_000 }),
    expirationDate: DateTimeText,
    weights: Type.Optional(Type.Object({ server: Weight, workstation: Weight }, { additionalProperties: false })),
    // What GET /api/v3/licensing/console reports about the license file.
    licenseId: Type.Optional(Uuid),
    package: Type.Optional(Type.Enum(['Advanced', 'Backup', 'Essentials', 'Foundation', 'None', 'ONE', 'Orchestrator', 'Premium', 'Starter', 'Suite'])),
    licenseeCompany: Type.Optional(Text()),
    licenseeEmail: Type.Optional(Text()),
    licenseeAdministratorEmail: Type.Optional(Text()),
    contactPerson: Type.Optional(Text()),
    supportId: Type.Optional(Text(100)),
    supportExpirationDate: Type.Optional(DateTimeText),
    cloudConnect: Type.Optional(Type.Enum(['Enterprise', 'No', 'Yes'])),
    // With a usage report submitted in the last 30 days, auto-update doubles the exceed allowance (rule 17).
    autoUpdate: Type.Optional(Type.Boolean()),
    lastReportSentAt: Type.Optional(DateTimeText),
  },
  { additionalProperties: false },
);
export type VspcLicenseBody = Static<typeof VspcLicenseBody>;

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s/\\u0000-\\u001f\\u007f]+$' }) });
export const UserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
    roles: Type.Array(Type.Enum([...ROLES]), { minItems: 1, uniqueItems: true }),
    scopeUid: Type.Optional(Uuid),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;

export const ClockBody = Type.Object({ now: DateTimeText }, { additionalProperties: false });
export const ClockReply = Type.Object({ now: Type.String(), fixed: Type.Boolean() });

export const IngestReply = Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() });

// ---------------------------------------------------------------------------------------------
// Answers of the admin API (serialization and the OpenAPI document at /tally/v1/openapi.json)

const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const Reseller = Type.Object({ uid: Uuid, name: Type.String() });
export const Company = Type.Object({ uid: Uuid, name: Type.String(), resellerUid: NullableUuid, tenantUid: NullableUuid });
export const Organization = Type.Object({
  id: Uuid,
  name: Type.String(),
  officeName: Type.Union([Type.String(), Type.Null()]),
  type: Type.Enum([...ORGANIZATION_TYPES]),
  region: Type.Enum([...ORGANIZATION_REGIONS]),
  companyUid: NullableUuid,
});
export const Account = Type.Object({
  uid: Type.String(),
  username: Type.String(),
  roles: Type.Array(Type.Enum([...ROLES])),
  scopeUid: NullableUuid,
  disabled: Type.Boolean(),
});

const AgentWorkload = Type.Object({
  agentUid: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  mode: Type.Enum(['server', 'workstation']),
  status: Type.Enum(['New', 'Licensed', 'LicensedByExceed', 'Unlicensed']),
  activatedAt: DateTimeText,
});
const UserWorkload = Type.Object({
  organizationId: Uuid,
  userId: Type.String(),
  name: Type.String(),
  state: Type.String({ description: 'the engine\'s license state: Licensed, TemporarilyAssigned, New, Exceeded' }),
  lastBackupAt: DateTimeText,
});
export const CompanyWorkloads = Type.Object({
  companyUid: Uuid,
  at: DateTimeText,
  agents: Type.Array(AgentWorkload),
  users: Type.Array(UserWorkload, { description: 'the VB365 users of the organizations mapped to the company' }),
});
export const OrganizationWorkloads = Type.Object({ organizationId: Uuid, at: DateTimeText, users: Type.Array(UserWorkload) });

/** The admin API's error answer, `{"error":{"code","message","details"?}}` (src/http/tally/errors.ts). */
export const ErrorAnswer = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'bad_request, validation_failed, unauthorized, forbidden, not_found, conflict, unavailable, internal_error, …' }),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  }),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (details name the fields).',
  401: 'No valid bearer token.',
  403: 'The account\'s roles do not allow this operation (or the key is read-only).',
  404: 'No such object, or it lies outside the account\'s scope.',
  409: 'The request conflicts with the current state (a referenced object is missing, something still depends on the object, …).',
  500: 'An internal error.',
  503: 'The database is unavailable; retry after the Retry-After delay.',
};

/**
 * The error answers of an admin route: 401, 403, 500 and 503 for every route, and those given
 * (400 for routes with parameters or a body, 404 for lookups, 409 for conflicts).
 */
export function errorAnswers(...statuses: (400 | 404 | 409)[]): Record<number, typeof ErrorAnswer> {
  const all = [...new Set([...statuses, 401, 403, 500, 503])].sort();
  return Object.fromEntries(all.map((status) => [status, { ...ErrorAnswer, description: ERROR_DESCRIPTIONS[status] }])) as Record<number, typeof ErrorAnswer>;
}

/** A 204 answer: no body. */
export const NoContent = { description: 'No content.' };
