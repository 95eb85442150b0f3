/** `GET`/`PUT /tally/v1/clock`: read the instant answers are computed at; move it in time-travel mode. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { formatInstant, parseRfc3339 } from '../../time.js';
import { sendError, tallyRefusals } from './errors.js';
import { ClockBody, ClockReply } from '../../schemas/admin.js';
import * as audit from '../../services/audit.js';

export function clockRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));
    const current = async () => ({ now: formatInstant(await ctx.clock.now()), fixed: ctx.clock.fixed });

    app.get('/clock', { schema: { response: { 200: ClockReply } } }, async () => current());

    app.put('/clock', { schema: { body: ClockBody, response: { 200: ClockReply } } }, async (request, reply) => {
      if (!ctx.clock.fixed) {
        return sendError(reply, 409, 'The clock follows the system time; start the server with --clock to travel in time.');
      }
      const at = parseRfc3339(request.body.now);
      if (at === null) {
        return sendError(reply, 400, 'now must be an RFC 3339 date-time with an offset.', [{ field: 'now', message: 'must be an RFC 3339 date-time with an offset' }], 'validation_failed');
      }
      const before = await ctx.clock.now();
      await ctx.clock.set(at);
      await audit.recordCommitted(ctx.store.db, request, { action: 'clock.set', target: 'clock', details: { from: formatInstant(before), to: formatInstant(at) } });
      return current();
    });
  };
}
