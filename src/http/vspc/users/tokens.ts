/**
 * `DELETE /api/v3/users/{userUid}/tokens[?userLoginId=]`: revokes every token of a user (VSPC's
 * logout); answers 200 `{"data":true}`. The user itself and Portal Administrators may call it. The
 * `userUid` is the account's stable uid (`GET /tally/v1/users/{username}` shows it). Tally has one
 * login identity per account, so `userLoginId` is accepted and every token is revoked. API keys are
 * not tokens: they stay until deleted.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../../context.js';
import { callerOf, requireRoles } from '../../auth/guard.js';
import { AccountOperations } from '../../../services/admin/accounts.js';
import { ROLES } from '../../../services/auth.js';
import { vspcRefusals } from '../errors.js';
import { Envelope } from '../schemas.js';

const UserParams = Type.Object({ userUid: Type.String({ format: 'uuid' }) });
const RevokeQuery = Type.Object({ userLoginId: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })) });

export function userTokenRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const accounts = new AccountOperations(ctx);

    app.delete(
      '/users/:userUid/tokens',
      {
        onRequest: requireRoles(ctx.auth, ROLES, vspcRefusals),
        schema: { params: UserParams, querystring: RevokeQuery, response: { 200: Envelope(Type.Boolean()) } },
      },
      async (request) => {
        await accounts.revokeTokensByUid(callerOf(request), request.params.userUid, request.query.userLoginId);
        return { data: true };
      },
    );
  };
}
