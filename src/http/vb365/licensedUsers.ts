/**
 * `GET /v6/LicensedUsers` (`PageOfRESTLicensedUser`) and `DELETE /v6/LicensedUsers/{id}` (revoke a
 * user's license): parse, call one operation (services/vb365/licensedUsers.ts), render.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { licensedUserRestId } from '../../services/licensedUsers.js';
import { listLicensedUsers, revokeLicense } from '../../services/vb365/licensedUsers.js';
import { formatInstant } from '../../time.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vb365Refusals } from './errors.js';
import { callerOf } from './caller.js';
import { LicensedUserPage, LicensedUserParams, LicensedUsersQuery } from './schemas.js';

export function licensedUserRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);

    app.delete('/LicensedUsers/:licensedUserId', { onRequest: guard, schema: { params: LicensedUserParams } }, async (request, reply) => {
      await revokeLicense(ctx, callerOf(request), { licensedUserId: request.params.licensedUserId });
      return reply.code(204).send();
    });

    app.get('/LicensedUsers', { onRequest: guard, schema: { querystring: LicensedUsersQuery, response: { 200: LicensedUserPage } } }, async (request) => {
      const { offset = 0, limit = 30, organizationId, name } = request.query;
      const { users, totalCount } = await listLicensedUsers(ctx, callerOf(request), { offset, limit, organizationId, name });
      const href = (at: number) => {
        const query = new URLSearchParams({ offset: String(at), limit: String(limit) });
        if (organizationId) query.set('organizationId', organizationId);
        if (name) query.set('name', name);
        return { href: `/v6/LicensedUsers?${query.toString()}` };
      };
      return {
        offset,
        limit,
        results: users.map((user) => ({
          id: licensedUserRestId(user),
          name: user.name,
          isBackedUp: true,
          lastBackupDate: formatInstant(user.lastBackupAt),
          licenseState: user.state,
          organizationId: user.organizationId,
          backedUpOrganizationId: user.organizationId,
          organizationName: user.organizationName ?? '',
          _links: { organization: { href: `/v6/Organizations/${user.organizationId}` } },
        })),
        _links: {
          self: href(offset),
          ...(offset > 0 ? { prev: href(Math.max(0, offset - limit)) } : {}),
          ...(offset + limit < totalCount ? { next: href(offset + limit) } : {}),
        },
        totalCount,
      };
    });
  };
}
