/**
 * `GET /v6/License` (`RESTLicense`), `GET /v6/LicensedUsers` (`PageOfRESTLicensedUser`) and
 * `DELETE /v6/LicensedUsers/{id}` (revoke a user's license).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { COMMUNITY_LICENSE } from '../../domain/licenses.js';
import { licensedUnits } from '../../domain/vb365.js';
import type { Vb365LicenseBody } from '../../schemas/admin.js';
import { licensedUserRestId, licensedUsers, wildcardMatcher } from '../../services/licensedUsers.js';
import { getLicenseTerms } from '../../store/entities.js';
import { lastDataRemoval } from '../../store/readModels.js';
import { formatInstant, parseRfc3339 } from '../../time.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { sendMessage, vb365Refusals } from './errors.js';
import * as audit from '../../services/audit.js';
import { License, LicensedUserPage, LicensedUserParams, LicensedUsersQuery } from './schemas.js';

export function licenseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);
    const db = ctx.store.db;

    app.get('/License', { preHandler: guard, schema: { response: { 200: License } } }, async () => {
      const now = await ctx.clock.now();
      const terms = (await getLicenseTerms(db, 'vb365')) as Vb365LicenseBody | undefined;
      const license = await ctx.licensing.vb365License(now);
      const usage = await ctx.licensing.vb365LicenseUsage(now, license);
      const expires = terms ? parseRfc3339(terms.expirationDate) : null;
      const supportExpires = terms?.supportExpirationDate ? parseRfc3339(terms.supportExpirationDate) : null;
      return {
        licenseID: null,
        email: terms?.email ?? '',
        // Past its expiration date a license is Expired, grace period or not (rule 10).
        status: expires !== null && now > expires ? 'Expired' : 'Valid',
        expirationDate: expires === null ? null : formatInstant(expires),
        type: license?.type ?? COMMUNITY_LICENSE.type,
        licensedTo: terms?.licensedTo ?? '',
        contactPerson: terms?.contactPerson ?? '',
        totalNumber: licensedUnits(license ?? COMMUNITY_LICENSE),
        usedNumber: usage.usedNumber,
        newNumber: usage.newNumber,
        supportID: terms?.supportId ?? '',
        supportExpirationDate: supportExpires === null ? null : formatInstant(supportExpires),
      };
    });

    app.delete(
      '/LicensedUsers/:licensedUserId',
      { preHandler: guard, schema: { params: LicensedUserParams } },
      async (request, reply) => {
        const id = request.params.licensedUserId.toLowerCase();
        const now = await ctx.clock.now();
        const users = await licensedUsers(db, await ctx.licensing.vb365License(now), now, ctx.timeZone);
        const user = users.find((u) => licensedUserRestId(u).toLowerCase() === id);
        if (!user) return sendMessage(reply, 404, `Licensed user with ID ${request.params.licensedUserId} was not found.`);
        // Rule 4: a license cannot be revoked while a backup repository holds the user's data.
        const removedAt = await lastDataRemoval(db, user.organizationId, user.userId, now);
        if (removedAt === null || removedAt < user.lastBackupAt) {
          return sendMessage(
            reply,
            409,
            `Cannot revoke the license of ${user.name}: a backup repository still contains data of this user. Remove the user's data first.`,
          );
        }
        await ctx.ingestion.ingest([
          {
            id: `vb365.licenseRevoked:${user.organizationId}:${user.userId}:${now}`,
            type: 'vb365.licenseRevoked',
            at: formatInstant(now),
            organizationId: user.organizationId,
            userId: user.userId,
          },
        ]);
        await audit.recordCommitted(db, request, {
          action: 'vb365.license_revoke',
          target: `licensed-user/${licensedUserRestId(user)}`,
          details: { organizationId: user.organizationId, userId: user.userId, name: user.name },
        });
        return reply.code(204).send();
      },
    );

    app.get('/LicensedUsers', { preHandler: guard, schema: { querystring: LicensedUsersQuery, response: { 200: LicensedUserPage } } }, async (request) => {
      const { offset = 0, limit = 30, organizationId, name } = request.query;
      const now = await ctx.clock.now();
      let users = await licensedUsers(db, await ctx.licensing.vb365License(now), now, ctx.timeZone);
      if (organizationId) users = users.filter((u) => u.organizationId === organizationId.toLowerCase());
      if (name) {
        const matches = wildcardMatcher(name);
        users = users.filter((u) => matches(u.name));
      }
      const href = (at: number) => {
        const query = new URLSearchParams({ offset: String(at), limit: String(limit) });
        if (organizationId) query.set('organizationId', organizationId);
        if (name) query.set('name', name);
        return { href: `/v6/LicensedUsers?${query.toString()}` };
      };
      return {
        offset,
        limit,
        results: users.slice(offset, offset + limit).map((user) => ({
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
          ...(offset + limit < users.length ? { next: href(offset + limit) } : {}),
        },
        totalCount: users.length,
      };
    });
  };
}
