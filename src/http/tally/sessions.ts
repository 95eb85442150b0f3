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
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers, NoContent, UsernameParams } from '../../schemas/admin.js';
import { AccountOperations } from '../../services/admin/accounts.js';
import { ROLES } from '../../services/auth.js';

export function sessionRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const accounts = new AccountOperations(ctx);

    app.delete(
      '/users/:username/tokens',
      {
        onRequest: requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals),
        schema: { params: UsernameParams, response: { 204: NoContent, ...errorAnswers(400, 404) } },
      },
      async (request, reply) => {
        await accounts.revokeTokens(callerOf(request), request.params.username);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/session',
      { onRequest: requireRoles(ctx.auth, ROLES, tallyRefusals), schema: { response: { 204: NoContent, ...errorAnswers(409) } } },
      async (request, reply) => {
        await accounts.endSession(callerOf(request));
        return reply.code(204).send();
      },
    );
  };
}
