/** `GET /tally/v1/audit?limit=&offset=&action=&actor=&since=`: the audit log, newest first (Portal Administrators). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../context.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import { tallyRefusals } from './errors.js';
import { errorAnswers } from '../../schemas/admin.js';
import { auditPage } from '../../services/admin/system.js';
import { parseRfc3339 } from '../../time.js';

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.]+\\*?$', description: 'an action, or a prefix ending in * (account.*)' })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  actorUid: Type.Union([Type.String(), Type.Null()]),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.String(),
  details: Type.Object({}, { additionalProperties: true }),
});
const AuditPage = Type.Object({
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  entries: Type.Array(AuditEntry),
});

export function auditRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/audit', { schema: { querystring: AuditQuery, response: { 200: AuditPage, ...errorAnswers(400) } } }, async (request) => {
      const { limit = 100, offset = 0, action, actor, since } = request.query;
      // The schema has checked the format; parseRfc3339 reads the same grammar.
      const page = await auditPage(ctx, callerOf(request), { limit, offset, action, actor, since: since === undefined ? undefined : parseRfc3339(since)! });
      return { total: page.total, limit, offset, entries: page.entries };
    });
  };
}
