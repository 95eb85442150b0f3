/** `POST /tally/v1/users/{username}/unlock`: lifts an account's login locks (services/unlock.ts). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { sendError, tallyRefusals } from './errors.js';
import { UsernameParams } from '../../schemas/admin.js';
import { unlockAccount } from '../../services/unlock.js';

const UnlockReply = Type.Object({ username: Type.String(), cleared: Type.Integer({ description: 'How many failure counters were cleared.' }) });

export function unlockRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/users/:username/unlock',
      { onRequest: requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals), schema: { params: UsernameParams, response: { 200: UnlockReply } } },
      async (request, reply) => {
        const outcome = await unlockAccount(ctx.store.db, ctx.throttle, request, request.params.username);
        if (!outcome.ok) return sendError(reply, 404, `User ${request.params.username} does not exist.`);
        return { username: outcome.username, cleared: outcome.cleared };
      },
    );
  };
}
