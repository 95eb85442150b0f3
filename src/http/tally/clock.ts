/** `GET`/`PUT /tally/v1/clock`: read the instant answers are computed at; move it in time-travel mode. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { parseRfc3339 } from '../../time.js';
import { tallyRefusals } from './errors.js';
import { ClockBody, ClockReply, errorAnswers } from '../../schemas/admin.js';
import { Invalid } from '../../services/errors.js';
import { readClock, setClock } from '../../services/admin/system.js';

export function clockRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/clock', { schema: { response: { 200: ClockReply, ...errorAnswers() } } }, async () => readClock(ctx));

    app.put('/clock', { schema: { body: ClockBody, response: { 200: ClockReply, ...errorAnswers(400, 409) } } }, async (request) => {
      const at = parseRfc3339(request.body.now);
      if (at === null) {
        throw new Invalid('now must be an RFC 3339 date-time with an offset.', [{ field: 'now', message: 'must be an RFC 3339 date-time with an offset' }]);
      }
      return setClock(ctx, callerOf(request), at);
    });
  };
}
