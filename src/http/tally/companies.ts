/**
 * `/tally/v1/companies`: list, read, create or change, delete, and the workloads counted for a
 * company at `now` (Portal Administrators; services/admin/entities.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { Company, CompanyBody, CompanyWorkloads, errorAnswers, NoContent, UidParams } from '../../schemas/admin.js';
import { EntityOperations } from '../../services/admin/entities.js';

export function companyRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const entities = new EntityOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/companies', { schema: { response: { 200: Type.Array(Company), ...errorAnswers() } } }, async (request) =>
      entities.listCompanies(callerOf(request)));
    app.get('/companies/:uid', { schema: { params: UidParams, response: { 200: Company, ...errorAnswers(400, 404) } } }, async (request) =>
      entities.getCompany(callerOf(request), request.params.uid));
    app.put('/companies/:uid', { schema: { params: UidParams, body: CompanyBody, response: { 200: Company, ...errorAnswers(400, 409) } } }, async (request) =>
      entities.putCompany(callerOf(request), request.params.uid, request.body));
    app.delete('/companies/:uid', { schema: { params: UidParams, response: { 204: NoContent, ...errorAnswers(400, 404, 409) } } }, async (request, reply) => {
      await entities.deleteCompany(callerOf(request), request.params.uid);
      return reply.code(204).send();
    });
    app.get('/companies/:uid/workloads', { schema: { params: UidParams, response: { 200: CompanyWorkloads, ...errorAnswers(400, 404) } } }, async (request) =>
      entities.companyWorkloads(callerOf(request), request.params.uid));
  };
}
