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

/** `OAuth2Error`, the 400 body of the token operation. */
export const TokenError = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
});
