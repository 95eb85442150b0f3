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
