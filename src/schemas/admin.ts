/** TypeBox schemas of the admin API bodies: validation at the edge, types for the services and the demo. */
import Type, { type Static } from 'typebox';
import { VB365_LICENSE_TYPES, VSPC_LICENSE_TYPES } from '../domain/licenses.js';
import { PRINTABLE } from '../ingest/events.js';
import { ROLES } from '../services/auth.js';
import { ORGANIZATION_REGIONS, ORGANIZATION_TYPES } from '../store/entities.js';

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
