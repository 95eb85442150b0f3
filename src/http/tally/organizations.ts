/**
 * `/tally/v1/organizations`: list, read, create or change, delete, and the VB365 users counted for
 * an organization at `now` (Portal Administrators; services/admin/entities.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers, IdParams, NoContent, Organization, OrganizationBody, OrganizationWorkloads } from '../../schemas/admin.js';
import { EntityOperations } from '../../services/admin/entities.js';

export function organizationRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const entities = new EntityOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/organizations', { schema: { response: { 200: Type.Array(Organization), ...errorAnswers() } } }, async (request) =>
      entities.listOrganizations(callerOf(request)));
    app.get('/organizations/:id', { schema: { params: IdParams, response: { 200: Organization, ...errorAnswers(400, 404) } } }, async (request) =>
      entities.getOrganization(callerOf(request), request.params.id));
    app.put('/organizations/:id', { schema: { params: IdParams, body: OrganizationBody, response: { 200: Organization, ...errorAnswers(400, 409) } } }, async (request) =>
      entities.putOrganization(callerOf(request), request.params.id, request.body));
    app.delete('/organizations/:id', { schema: { params: IdParams, response: { 204: NoContent, ...errorAnswers(400, 404, 409) } } }, async (request, reply) => {
      await entities.deleteOrganization(callerOf(request), request.params.id);
      return reply.code(204).send();
    });
    app.get('/organizations/:id/workloads', { schema: { params: IdParams, response: { 200: OrganizationWorkloads, ...errorAnswers(400, 404) } } }, async (request) =>
      entities.organizationWorkloads(callerOf(request), request.params.id));
  };
}
