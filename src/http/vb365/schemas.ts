/** TypeBox schemas of the VB365 v6 face, following Veeam's published v6 OpenAPI document. */
import Type from 'typebox';

export const OrganizationParams = Type.Object({ organizationId: Type.String({ format: 'uuid' }) });

export const ExtendedViewQuery = Type.Object({ extendedView: Type.Optional(Type.Boolean({ default: true })) });

/** `OAuthTokenResponse`: all seven fields, ISO-8601 `.issued`/`.expires`. */
export const TokenReply = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  refresh_token: Type.String(),
  userName: Type.String(),
  '.issued': Type.String(),
  '.expires': Type.String(),
});

const Link = Type.Object({ href: Type.String() });

/** The parts of `RestOrganizationComposed` that Tally knows. */
export const Organization = Type.Object({
  type: Type.String(),
  region: Type.String(),
  id: Type.String(),
  name: Type.String(),
  officeName: Type.Optional(Type.String()),
  isBackedup: Type.Optional(Type.Boolean()),
  firstBackuptime: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  lastBackuptime: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  _links: Type.Object({ self: Link }),
});

export const OrganizationList = Type.Array(Organization);

/** `RESTOrganizationLicensingInformation`. */
export const LicensingInformation = Type.Object({
  licensedUsers: Type.Integer(),
  newUsers: Type.Integer(),
});

export const Message = Type.Object({ message: Type.String() });

/** A failed token request: OAuth's error fields plus RESTExceptionInfo's message, so both kinds of client parse it. */
export const TokenError = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  message: Type.String(),
});

const NullableDate = Type.Union([Type.String(), Type.Null()]);

/** `RESTLicense` (v6). */
export const License = Type.Object({
  licenseID: Type.Union([Type.String(), Type.Null()]),
  email: Type.String(),
  status: Type.String(),
  expirationDate: NullableDate,
  type: Type.String(),
  licensedTo: Type.String(),
  contactPerson: Type.String(),
  totalNumber: Type.Integer(),
  usedNumber: Type.Integer(),
  newNumber: Type.Integer(),
  supportID: Type.String(),
  supportExpirationDate: NullableDate,
});

export const LicensedUsersQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 30 })),
  organizationId: Type.Optional(Type.String({ format: 'uuid' })),
  name: Type.Optional(Type.String({ maxLength: 400 })),
});

/** `RESTLicensedUser`. */
export const LicensedUser = Type.Object({
  id: Type.String(),
  name: Type.String(),
  isBackedUp: Type.Boolean(),
  lastBackupDate: Type.String(),
  licenseState: Type.String(),
  organizationId: Type.Union([Type.String(), Type.Null()]),
  backedUpOrganizationId: Type.String(),
  organizationName: Type.String(),
  _links: Type.Object({ organization: Link }),
});

/** `PageOfRESTLicensedUser`: the v6 paging envelope. */
export const LicensedUserPage = Type.Object({
  offset: Type.Integer(),
  limit: Type.Integer(),
  results: Type.Array(LicensedUser),
  _links: Type.Object({ self: Link, prev: Type.Optional(Link), next: Type.Optional(Link) }),
  totalCount: Type.Integer(),
});

export const LicensedUserParams = Type.Object({ licensedUserId: Type.String({ minLength: 1, maxLength: 250 }) });

const Int32 = (options: { minimum?: number } = {}) => Type.Integer({ minimum: -2147483648, maximum: 2147483647, ...options });

/** `RESTMonthlyReport` (v6), properties in the document's order; `licenseID` is left out (Tally's license terms have none). */
export const MonthlyReport = Type.Object({
  reportParameters: Type.Object({
    reportID: Type.Integer(),
    reportStatus: Type.String(),
    companyName: Type.String(),
    licenseExpirationDate: Type.String(),
    supportID: Type.String(),
    reportGenerationDate: Type.String(),
    reportingInterval: Type.Object({ startOfInterval: Type.String(), endOfInterval: Type.String() }),
  }),
  reportSummary: Type.Object({ initialUsersCount: Type.Integer(), reportedUsersCount: Type.Integer(), newUsersCount: Type.Integer() }),
  organizations: Type.Array(
    Type.Object({
      organizationId: Type.String(),
      organizationName: Type.String(),
      removedUsersCount: Type.Integer(),
      removalReason: Type.String(),
      reportedUsersCount: Type.Integer(),
      newUsersCount: Type.Integer(),
      initialUsersCount: Type.Integer(),
    }),
  ),
});

export const ReportIdParams = Type.Object({ reportId: Int32() });

/**
 * `RESTApproveReportOptions`. Unknown fields are refused rather than ignored: approving cannot be
 * undone, and a misspelt field would silently approve without the removals.
 */
export const ApproveReportOptions = Type.Object(
  {
    removedUsers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            organizationId: Type.String({ minLength: 1, maxLength: 200 }),
            removedUsersCount: Int32({ minimum: 0 }),
            removalReason: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * `RESTLicenseOverviewOptions`. Times with an offset are instants; times without one are read in
 * `timezone` (UTC when omitted; also `Local`, `UTC+hh:mm` and IANA names).
 */
export const LicenseOverviewOptions = Type.Object(
  {
    startTime: Type.String({ minLength: 1, maxLength: 64 }),
    endTime: Type.String({ minLength: 1, maxLength: 64 }),
    format: Type.Enum(['PDF', 'CSV']),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
