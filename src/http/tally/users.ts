/**
 * `/tally/v1/users`: accounts, their roles and scope (Portal Administrators;
 * services/admin/accounts.ts says which scopes each role takes).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { Account, errorAnswers, NoContent, UserBody, UsernameParams } from '../../schemas/admin.js';
import { AccountOperations } from '../../services/admin/accounts.js';

export function userRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const accounts = new AccountOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/users', { schema: { response: { 200: Type.Array(Account), ...errorAnswers() } } }, async (request) => accounts.list(callerOf(request)));
    app.get('/users/:username', { schema: { params: UsernameParams, response: { 200: Account, ...errorAnswers(400, 404) } } }, async (request) =>
      accounts.get(callerOf(request), request.params.username));
    app.put('/users/:username', { schema: { params: UsernameParams, body: UserBody, response: { 200: Account, ...errorAnswers(400, 409) } } }, async (request) =>
      accounts.put(callerOf(request), request.params.username, request.body));
    app.delete('/users/:username', { schema: { params: UsernameParams, response: { 204: NoContent, ...errorAnswers(400, 404, 409) } } }, async (request, reply) => {
      await accounts.remove(callerOf(request), request.params.username);
      return reply.code(204).send();
    });
  };
}
