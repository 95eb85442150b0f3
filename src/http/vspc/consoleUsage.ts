/** `GET /api/v3/licensing/console/usage/companies/vcc/{tenantUid}` (legacy v3.0–3.2 family). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Role } from '../../services/auth.js';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { companyVisibleTo } from '../../services/scope.js';
import { renderEnum } from './enums.js';
import { legacyRoute } from './versions.js';
import { sendErrors, vspcRefusals } from './errors.js';
import { CompanyConsoleLicenseUsage, Envelope, TenantParams } from './schemas.js';

/** The roles Veeam documents for the console-usage family. */
export const CONSOLE_USAGE_ROLES: readonly Role[] = [
  'PortalAdministrator',
  'ServiceProviderGlobalAdministrator',
  'ServiceProviderAdministrator',
];

export function consoleUsageRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, CONSOLE_USAGE_ROLES, vspcRefusals);

    app.get(
      '/licensing/console/usage/companies/vcc/:tenantUid',
      { onRequest: legacyRoute, preHandler: guard, schema: { params: TenantParams, response: { 200: Envelope(CompanyConsoleLicenseUsage) } } },
      async (request, reply) => {
        const usage = await ctx.licensing.consoleUsageByTenant(
          request.params.tenantUid.toLowerCase(),
          (company) => companyVisibleTo(request.principal!, company),
          request.generations,
        );
        if (!usage) {
          return sendErrors(reply, 404, {
            message: `Tenant with UID ${request.params.tenantUid} does not exist.`,
            type: 'logical',
          });
        }
        return {
          data: {
            ...usage,
            counters: usage.counters.map((c) => ({
              ...c,
              type: renderEnum(c.type, ctx.vspcEnumStyle),
              unitType: renderEnum(c.unitType, ctx.vspcEnumStyle),
            })),
          },
        };
      },
    );
  };
}
