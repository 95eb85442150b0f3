/**
 * API keys of an account (the VSPC "simple key"): `POST /tally/v1/users/{username}/apikeys` makes
 * one and shows its secret once, `GET` lists them (never the secret), `DELETE …/{id}` removes one.
 * A key is sent as the bearer token itself; a read-only key may call GET routes only. Only the
 * key's SHA-256 is stored.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { sendError, tallyRefusals } from './errors.js';
import { UsernameParams } from '../../schemas/admin.js';
import { PRINTABLE } from '../../ingest/events.js';
import * as audit from '../../services/audit.js';
import { hashToken, newToken } from '../../services/auth.js';
import { deleteApiKey, getAccount, insertApiKey, listApiKeys, type ApiKey } from '../../store/accounts.js';
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
    const db = ctx.store.db;
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));
    const missing = (reply: Parameters<typeof sendError>[0], username: string) => sendError(reply, 404, `User ${username} does not exist.`);

    app.post(
      '/users/:username/apikeys',
      { schema: { params: UsernameParams, body: ApiKeyBody, response: { 201: CreatedApiKey } } },
      async (request, reply) => {
        const { username } = request.params;
        const secret = newToken();
        const created = await db.transaction().execute(async (trx) => {
          if (!(await getAccount(trx, username))) return undefined;
          const key = await insertApiKey(trx, {
            id: randomUUID(),
            username,
            name: request.body.name,
            key_hash: hashToken(secret),
            read_only: request.body.readOnly ? 1 : 0,
            created_at: Date.now(),
          });
          await audit.record(trx, request, {
            action: 'apikey.create',
            target: `account/${username}`,
            details: { keyId: key.id, name: key.name, readOnly: key.readOnly },
          });
          return key;
        });
        if (!created) return missing(reply, username);
        // RFC 6749 §5.1's rule for token answers: a credential must not be cached.
        reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
        return reply.code(201).send({ ...view(created), key: secret });
      },
    );

    app.get('/users/:username/apikeys', { schema: { params: UsernameParams, response: { 200: Type.Array(ApiKeyView) } } }, async (request, reply) => {
      if (!(await getAccount(db, request.params.username))) return missing(reply, request.params.username);
      return (await listApiKeys(db, request.params.username)).map(view);
    });

    app.delete('/users/:username/apikeys/:id', { schema: { params: KeyParams } }, async (request, reply) => {
      const { username, id } = request.params;
      const removed = await db.transaction().execute(async (trx) => {
        const key = await deleteApiKey(trx, username, id.toLowerCase());
        if (key) await audit.record(trx, request, { action: 'apikey.delete', target: `account/${username}`, details: { keyId: key.id, name: key.name } });
        return key;
      });
      return removed ? reply.code(204).send() : sendError(reply, 404, `User ${username} has no API key ${id}.`);
    });
  };
}
