/**
 * Ending sessions through the admin API. `DELETE /tally/v1/users/{username}/tokens` revokes every
 * token of an account (Portal Administrators); `DELETE /tally/v1/session` is a logout: it revokes
 * the token family of the access token it is called with (every authenticated account). The VB365
 * v6 API has no logout operation (v7 added `POST /v7/token/logout`), so this is the logout of VB365
 * clients; VSPC clients have `DELETE /api/v3/users/{userUid}/tokens`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { sendError, tallyRefusals } from './errors.js';
import { UsernameParams } from '../../schemas/admin.js';
import * as audit from '../../services/audit.js';
import { ROLES } from '../../services/auth.js';
import { deleteTokenFamily, deleteTokensOf, getAccount } from '../../store/accounts.js';

export function sessionRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const db = ctx.store.db;

    app.delete(
      '/users/:username/tokens',
      { preHandler: requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals), schema: { params: UsernameParams } },
      async (request, reply) => {
        const { username } = request.params;
        const found = await db.transaction().execute(async (trx) => {
          const account = await getAccount(trx, username);
          if (!account) return false;
          const revoked = await deleteTokensOf(trx, username);
          await audit.record(trx, request, { action: 'token.revoke', target: `account/${username}`, details: { uid: account.uid, tokensRevoked: revoked, scope: 'all' } });
          return true;
        });
        return found ? reply.code(204).send() : sendError(reply, 404, `User ${username} does not exist.`);
      },
    );

    app.delete('/session', { preHandler: requireRoles(ctx.auth, ROLES, tallyRefusals) }, async (request, reply) => {
      const principal = request.principal!;
      if (principal.credential.kind !== 'token' || principal.credential.familyId === null) {
        return sendError(reply, 409, principal.credential.kind === 'apiKey'
          ? 'An API key is not a session; delete the key through /tally/v1/users/{username}/apikeys/{id}.'
          : 'This token was issued before sessions were tracked; revoke the account\'s tokens instead.');
      }
      const familyId = principal.credential.familyId;
      await db.transaction().execute(async (trx) => {
        const revoked = await deleteTokenFamily(trx, familyId);
        await audit.record(trx, request, { action: 'token.revoke', target: `account/${principal.username}`, details: { uid: principal.uid, tokensRevoked: revoked, scope: 'session' } });
      });
      return reply.code(204).send();
    });
  };
}
