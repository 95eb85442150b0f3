/**
 * `GET /api/v3/users/me`: the calling account as a VSPC `User` (services/vspc/currentUser.ts); any
 * authenticated account.
 *
 * `DELETE /api/v3/users/{userUid}/tokens[?userLoginId=]`: revokes every token of a user (VSPC's
 * logout); answers 200 `{"data":true}`. The user itself and Portal Administrators may call it. The
 * `userUid` is the account's stable uid (`GET /tally/v1/users/{username}` shows it). Tally has one
 * login identity per account, so `userLoginId` is accepted and every token is revoked. API keys are
 * not tokens: they stay until deleted.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import * as audit from '../../services/audit.js';
import { hasAnyRole, ROLES } from '../../services/auth.js';
import { deleteTokensOf, getAccountByUid } from '../../store/accounts.js';
import { currentUser } from '../../services/vspc/currentUser.js';
import { sendErrors, vspcRefusals } from './errors.js';
import { Envelope } from './schemas.js';

/** `User`, the parts Tally knows. */
const User = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  organizationUid: Type.String({ format: 'uuid' }),
  userName: Type.String(),
  role: Type.String(),
  status: Type.String(),
});

const UserParams = Type.Object({ userUid: Type.String({ format: 'uuid' }) });
const RevokeQuery = Type.Object({ userLoginId: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })) });

export function userRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const db = ctx.store.db;

    app.get('/users/me', { preHandler: requireRoles(ctx.auth, ROLES, vspcRefusals), schema: { response: { 200: Envelope(User) } } }, async (request) => ({
      data: await currentUser(ctx, request.principal!),
    }));

    app.delete(
      '/users/:userUid/tokens',
      {
        preHandler: requireRoles(ctx.auth, ROLES, vspcRefusals),
        schema: { params: UserParams, querystring: RevokeQuery, response: { 200: Envelope(Type.Boolean()) } },
      },
      async (request, reply) => {
        const principal = request.principal!;
        const uid = request.params.userUid.toLowerCase();
        // Decided before any lookup, so that the answer to a non-administrator says nothing about other uids.
        if (principal.uid !== uid && !hasAnyRole(principal, ['PortalAdministrator'])) return vspcRefusals.forbidden(reply);
        const revoked = await db.transaction().execute(async (trx) => {
          const account = await getAccountByUid(trx, uid);
          if (!account) return undefined;
          const count = await deleteTokensOf(trx, account.username);
          await audit.record(trx, request, {
            action: 'token.revoke',
            target: `account/${account.username}`,
            details: { uid, tokensRevoked: count, scope: 'all', ...(request.query.userLoginId !== undefined ? { userLoginId: request.query.userLoginId } : {}) },
          });
          return count;
        });
        if (revoked === undefined) return sendErrors(reply, 404, { message: `User with UID ${request.params.userUid} does not exist.`, type: 'logical' });
        return { data: true };
      },
    );
  };
}
