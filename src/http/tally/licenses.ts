/** `/tally/v1/licenses/{vb365|vspc}`: read, install or replace, remove (Portal Administrators; services/admin/entities.ts). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers, NoContent, Vb365LicenseBody, VspcLicenseBody } from '../../schemas/admin.js';
import { EntityOperations } from '../../services/admin/entities.js';

export function licenseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const entities = new EntityOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    for (const product of ['vb365', 'vspc'] as const) {
      const body = product === 'vb365' ? Vb365LicenseBody : VspcLicenseBody;
      app.get(`/licenses/${product}`, { schema: { response: { 200: body, ...errorAnswers(404) } } }, async (request) =>
        entities.getLicense(callerOf(request), product));
      app.put(`/licenses/${product}`, { schema: { body, response: { 200: body, ...errorAnswers(400) } } }, async (request) =>
        entities.putLicense(callerOf(request), product, request.body));
      app.delete(`/licenses/${product}`, { schema: { response: { 204: NoContent, ...errorAnswers(404) } } }, async (request, reply) => {
        await entities.deleteLicense(callerOf(request), product);
        return reply.code(204).send();
      });
    }
  };
}
