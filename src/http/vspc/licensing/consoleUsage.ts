/**
 * The legacy console-usage family (v3.0–3.2): `GET /licensing/console/usage`,
 * `/licensing/console/usage/companies` (paged), `/licensing/console/usage/companies/{companyUid}`
 * and `/licensing/console/usage/companies/vcc/{tenantUid}`. The operations are
 * services/vspc/console.ts (scope included); this file parses, renders enums in the installation's
 * style and pages.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ConsoleLicenseCounter } from '../../../domain/vspc.js';
import type { Role } from '../../../services/auth.js';
import { companiesUsage, companyUsage, consoleUsage, tenantUsage, type CompanyUsage } from '../../../services/vspc/console.js';
import { callerOf, requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { collectionPage } from '../collection.js';
import { renderEnum } from '../enums.js';
import { vspcRefusals } from '../errors.js';
import { CollectionQuery, CompanyConsoleLicenseUsage, CompanyParams, ConsoleLicenseUsage, Envelope, TenantParams } from '../schemas.js';
import { legacyRoute } from '../versions.js';

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
    const style = ctx.vspcEnumStyle;
    const render = (counters: ConsoleLicenseCounter[]) =>
      counters.map((c) => ({ ...c, type: renderEnum(c.type, style), unitType: renderEnum(c.unitType, style) }));
    const rendered = (usage: CompanyUsage) => ({ ...usage, counters: render(usage.counters) });

    app.get(
      '/licensing/console/usage/companies/vcc/:tenantUid',
      { onRequest: [legacyRoute, guard], schema: { params: TenantParams, response: { 200: Envelope(CompanyConsoleLicenseUsage) } } },
      async (request) => ({
        data: rendered(await tenantUsage(ctx, callerOf(request), request.params.tenantUid, request.generations)),
      }),
    );

    app.get('/licensing/console/usage', { onRequest: [legacyRoute, guard], schema: { response: { 200: Envelope(ConsoleLicenseUsage) } } }, async (request) => {
      const usage = await consoleUsage(ctx, callerOf(request));
      return { data: { ...usage, unitType: renderEnum(usage.unitType, style), counters: render(usage.counters) } };
    });

    app.get(
      '/licensing/console/usage/companies',
      { onRequest: [legacyRoute, guard], schema: { querystring: CollectionQuery, response: { 200: Envelope(Type.Array(CompanyConsoleLicenseUsage)) } } },
      async (request, reply) => collectionPage((await companiesUsage(ctx, callerOf(request))).map(rendered), request.query, reply),
    );

    app.get(
      '/licensing/console/usage/companies/:companyUid',
      { onRequest: [legacyRoute, guard], schema: { params: CompanyParams, response: { 200: Envelope(CompanyConsoleLicenseUsage) } } },
      async (request) => ({ data: rendered(await companyUsage(ctx, callerOf(request), request.params.companyUid)) }),
    );
  };
}
