/**
 * `GET /v6/Organizations` (a plain JSON array in v6), `GET /v6/Organizations/{id}` and
 * `GET /v6/Organizations/{id}/LicensingInformation`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { getOrganization, listOrganizations, organizationBackupTimes, type Organization } from '../../store/entities.js';
import { formatInstant } from '../../time.js';
import { sendMessage, vb365Refusals } from './errors.js';
import { ExtendedViewQuery, LicensingInformation, OrganizationList, OrganizationParams, Organization as OrganizationSchema } from './schemas.js';

export function organizationRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);
    const db = ctx.store.db;

    async function render(org: Organization, extendedView: boolean, now: number) {
      const base = {
        type: org.type,
        region: org.region,
        id: org.id,
        name: org.name,
        officeName: org.officeName ?? undefined,
        _links: { self: { href: `/v6/Organizations/${org.id}` } },
      };
      if (!extendedView) return base;
      const { first, last } = await organizationBackupTimes(db, org.id, now);
      return {
        ...base,
        isBackedup: first !== null,
        firstBackuptime: first === null ? null : formatInstant(first),
        lastBackuptime: last === null ? null : formatInstant(last),
      };
    }

    app.get(
      '/Organizations',
      { preHandler: guard, schema: { querystring: ExtendedViewQuery, response: { 200: OrganizationList } } },
      async (request) => {
        const [orgs, now] = await Promise.all([listOrganizations(db), ctx.clock.now()]);
        return Promise.all(orgs.map((org) => render(org, request.query.extendedView ?? true, now)));
      },
    );

    app.get(
      '/Organizations/:organizationId',
      { preHandler: guard, schema: { params: OrganizationParams, querystring: ExtendedViewQuery, response: { 200: OrganizationSchema } } },
      async (request, reply) => {
        const org = await getOrganization(db, request.params.organizationId.toLowerCase());
        if (!org) return sendMessage(reply, 404, `Organization with ID ${request.params.organizationId} was not found.`);
        return render(org, request.query.extendedView ?? true, await ctx.clock.now());
      },
    );

    app.get(
      '/Organizations/:organizationId/LicensingInformation',
      { preHandler: guard, schema: { params: OrganizationParams, response: { 200: LicensingInformation } } },
      async (request, reply) => {
        // The seed endpoint integrations poll: the organization, the clock, the license and the
        // answer come from caches checked against the counters the guard read (one read per request).
        const org = await ctx.licensing.organization(request.params.organizationId.toLowerCase(), request.generations);
        if (!org) return sendMessage(reply, 404, `Organization with ID ${request.params.organizationId} was not found.`);
        return ctx.licensing.organizationLicensingInformation(org.id, request.generations);
      },
    );
  };
}
