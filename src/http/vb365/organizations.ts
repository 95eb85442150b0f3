/**
 * `GET /v6/Organizations` (a plain JSON array in v6), `GET /v6/Organizations/{id}` and
 * `GET /v6/Organizations/{id}/LicensingInformation`. Parse, call one operation
 * (services/vb365/organizations.ts), render `RestOrganizationComposed`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { getOrganization, listOrganizations, organizationLicensingInformation, type OrganizationView } from '../../services/vb365/organizations.js';
import { formatInstant } from '../../time.js';
import { callerOf } from './caller.js';
import { vb365Refusals } from './errors.js';
import { ExtendedViewQuery, LicensingInformation, OrganizationList, OrganizationParams, Organization as OrganizationSchema } from './schemas.js';

function render({ organization: org, backups }: OrganizationView) {
  const base = {
    type: org.type,
    region: org.region,
    id: org.id,
    name: org.name,
    officeName: org.officeName ?? undefined,
    _links: { self: { href: `/v6/Organizations/${org.id}` } },
  };
  if (!backups) return base;
  return {
    ...base,
    isBackedup: backups.first !== null,
    firstBackuptime: backups.first === null ? null : formatInstant(backups.first),
    lastBackuptime: backups.last === null ? null : formatInstant(backups.last),
  };
}

export function organizationRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);

    app.get(
      '/Organizations',
      { onRequest: guard, schema: { querystring: ExtendedViewQuery, response: { 200: OrganizationList } } },
      async (request) => (await listOrganizations(ctx, callerOf(request), { extendedView: request.query.extendedView ?? true })).map(render),
    );

    app.get(
      '/Organizations/:organizationId',
      { onRequest: guard, schema: { params: OrganizationParams, querystring: ExtendedViewQuery, response: { 200: OrganizationSchema } } },
      async (request) =>
        render(await getOrganization(ctx, callerOf(request), { organizationId: request.params.organizationId, extendedView: request.query.extendedView ?? true })),
    );

    app.get(
      '/Organizations/:organizationId/LicensingInformation',
      { onRequest: guard, schema: { params: OrganizationParams, response: { 200: LicensingInformation } } },
      async (request) => organizationLicensingInformation(ctx, callerOf(request), { organizationId: request.params.organizationId }),
    );
  };
}
