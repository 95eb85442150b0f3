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
