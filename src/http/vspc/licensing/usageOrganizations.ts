/**
 * `GET /api/v3/licensing/usage/organizations` (operation `GetOrganizationsLicenseUsage`, REST
 * v3.3+): the current license usage of each organization, the replacement of the legacy
 * console-usage family, computed by the same engine (services/organizationUsage.ts).
 *
 * Query (3.6.1 document): `organizationUid`, `organizationType`, `providerUid`, `serverUid`,
 * `serverType`, and the collection query (`filter`, `sort`, `limit` 1–500 default 100, `offset`,
 * `select`). The admitted roles are Portal Administrator, Service Provider Global Administrator,
 * Service Provider Administrator and Site Administrator (Tally has no Site Administrator).
 *
 * Choices (docs/compatibility.md):
 * - `organizationUid`, `organizationType` and `providerUid` select organizations (Tally lists
 *   companies only, so `organizationType` other than `Company` selects none); `serverUid` and
 *   `serverType` select the servers listed in each organization, every organization stays.
 * - Enum values match ignoring case, as .NET binds them; an unknown one is a 400 naming the parameter.
 * - Versions: the route is new in v3.3. It answers clients that send no `X-Client-Version` and
 *   clients of 3.3 or later; a 3.0–3.2 client (for which the route did not exist) gets
 *   `UnsupportedApiVersion`, as ASP.NET API Versioning answers a version a route does not map.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ORGANIZATION_TYPES, SERVER_TYPES } from '../../../services/organizationUsage.js';
import { organizationsUsage, type UsageSelection } from '../../../services/vspc/usageOrganizations.js';
import { callerOf, requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { collectionPage } from '../collection.js';
import { CONSOLE_USAGE_ROLES } from './consoleUsage.js';
import { sendErrors, vspcRefusals } from '../errors.js';
import { Envelope, OrganizationCurrentLicenseUsage, UsageOrganizationsQuery } from '../schemas.js';
import { modernRoute } from '../versions.js';

/** The canonical spelling of an enum value given in any case, or null. */
function enumValue<T extends string>(values: readonly T[], raw: string): T | null {
  return values.find((v) => v.toLowerCase() === raw.trim().toLowerCase()) ?? null;
}

export function usageOrganizationsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, CONSOLE_USAGE_ROLES, vspcRefusals);

    app.get(
      '/licensing/usage/organizations',
      {
        onRequest: [modernRoute, guard],
        schema: { querystring: UsageOrganizationsQuery, response: { 200: Envelope(Type.Array(OrganizationCurrentLicenseUsage)) } },
      },
      async (request, reply) => {
        const query = request.query;
        const enums = [
          ['organizationType', ORGANIZATION_TYPES, query.organizationType],
          ['serverType', SERVER_TYPES, query.serverType],
        ] as const;
        const chosen: Record<string, string> = {};
        for (const [name, values, raw] of enums) {
          if (raw === undefined) continue;
          const value = enumValue<string>(values, raw);
          if (value === null) {
            return sendErrors(reply, 400, {
              message: `The value '${raw}' is not valid for ${name}: the values are ${values.join(', ')}.`,
              type: 'logical',
              parameterName: name,
            });
          }
          chosen[name] = value;
        }
        const selection = {
          organizationUid: query.organizationUid,
          organizationType: chosen.organizationType,
          providerUid: query.providerUid,
          serverUid: query.serverUid,
          serverType: chosen.serverType,
        } as UsageSelection;
        return collectionPage(await organizationsUsage(ctx, callerOf(request), selection), query, reply);
      },
    );
  };
}
