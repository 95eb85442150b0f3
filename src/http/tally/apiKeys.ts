/**
 * API keys of an account (the VSPC "simple key"): `POST /tally/v1/users/{username}/apikeys` makes
 * one and shows its secret once, `GET` lists them (never the secret), `DELETE …/{id}` removes one.
 * A key is sent as the bearer token itself; a read-only key may call GET routes only. Only the
 * key's SHA-256 is stored (services/admin/accounts.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers, NoContent, UsernameParams } from '../../schemas/admin.js';
import { PRINTABLE } from '../../ingest/events.js';
import { AccountOperations, type ApiKey } from '../../services/admin/accounts.js';
import { formatInstant } from '../../time.js';

const ApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: PRINTABLE }),
    readOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const ApiKeyView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  readOnly: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
const CreatedApiKey = Type.Object({
  ...ApiKeyView.properties,
  key: Type.String({ description: 'The secret; shown only in this answer.' }),
});
const KeyParams = Type.Object({ ...UsernameParams.properties, id: Type.String({ format: 'uuid' }) });

const view = (key: ApiKey) => ({ id: key.id, name: key.name, readOnly: key.readOnly, createdAt: formatInstant(key.createdAt) });

export function apiKeyRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const accounts = new AccountOperations(ctx);
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.post(
      '/users/:username/apikeys',
      { schema: { params: UsernameParams, body: ApiKeyBody, response: { 201: CreatedApiKey, ...errorAnswers(400, 404) } } },
      async (request, reply) => {
        const created = await accounts.createApiKey(callerOf(request), request.params.username, request.body);
        // RFC 6749 §5.1's rule for token answers: a credential must not be cached.
        reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
        return reply.code(201).send({ ...view(created), key: created.key });
      },
    );

    app.get('/users/:username/apikeys', { schema: { params: UsernameParams, response: { 200: Type.Array(ApiKeyView), ...errorAnswers(400, 404) } } }, async (request) =>
      (await accounts.listApiKeys(callerOf(request), request.params.username)).map(view));

    app.delete('/users/:username/apikeys/:id', { schema: { params: KeyParams, response: { 204: NoContent, ...errorAnswers(400, 404) } } }, async (request, reply) => {
      await accounts.deleteApiKey(callerOf(request), request.params.username, request.params.id);
      return reply.code(204).send();
    });
  };
}
