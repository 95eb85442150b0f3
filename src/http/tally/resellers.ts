/** `/tally/v1/resellers`: list, read, create or rename, delete (Portal Administrators; services/admin/entities.ts). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers, NoContent, Reseller, ResellerBody, UidParams } from '../../schemas/admin.js';
import { EntityOperations } from '../../services/admin/entities.js';

export function resellerRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const entities = new EntityOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/resellers', { schema: { response: { 200: Type.Array(Reseller), ...errorAnswers() } } }, async (request) =>
      entities.listResellers(callerOf(request)));
    app.get('/resellers/:uid', { schema: { params: UidParams, response: { 200: Reseller, ...errorAnswers(400, 404) } } }, async (request) =>
      entities.getReseller(callerOf(request), request.params.uid));
    app.put('/resellers/:uid', { schema: { params: UidParams, body: ResellerBody, response: { 200: Reseller, ...errorAnswers(400) } } }, async (request) =>
      entities.putReseller(callerOf(request), request.params.uid, request.body));
    app.delete('/resellers/:uid', { schema: { params: UidParams, response: { 204: NoContent, ...errorAnswers(400, 404, 409) } } }, async (request, reply) => {
      await entities.deleteReseller(callerOf(request), request.params.uid);
      return reply.code(204).send();
    });
  };
}
