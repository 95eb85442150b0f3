/**
 * `GET /alarms/templates` (`AlarmTemplate[]`) and `GET /alarms/active` (`ActiveAlarm[]`): the
 * license alarms Tally can know, computed at `now` (services/vspc/alarms.ts); an empty list where
 * nothing applies. Both are VSPC collections (paging, filter, sort, select). Any VSPC account may
 * read them; active alarms concern the installation and are listed for provider-wide accounts only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ROLES } from '../../services/auth.js';
import { activeAlarms, alarmTemplates } from '../../services/vspc/alarms.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { collectionPage } from './collection.js';
import { vspcRefusals } from './errors.js';
import { CollectionQuery, Envelope } from './schemas.js';

/** `AlarmTemplate`, the parts Tally knows. */
export const AlarmTemplate = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  organizationUid: Type.String({ format: 'uuid' }),
  isPredefined: Type.Boolean(),
  isEnabled: Type.Boolean(),
});

/** `ActiveAlarm`, the parts Tally knows. */
export const ActiveAlarm = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  alarmTemplateUid: Type.String({ format: 'uuid' }),
  repeatCount: Type.Integer(),
  object: Type.Object({ organizationUid: Type.String({ format: 'uuid' }), objectUid: Type.String({ format: 'uuid' }), objectName: Type.String() }),
  lastActivation: Type.Object({
    instanceUid: Type.String({ format: 'uuid' }),
    time: Type.String({ format: 'date-time' }),
    status: Type.String(),
    message: Type.String(),
    remark: Type.String(),
  }),
});

export function alarmRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const anyAccount = requireRoles(ctx.auth, ROLES, vspcRefusals);
    app.get('/alarms/templates', { onRequest: anyAccount, schema: { querystring: CollectionQuery, response: { 200: Envelope(Type.Array(AlarmTemplate)) } } },
      async (request, reply) => collectionPage(await alarmTemplates(ctx), request.query, reply));
    app.get('/alarms/active', { onRequest: anyAccount, schema: { querystring: CollectionQuery, response: { 200: Envelope(Type.Array(ActiveAlarm)) } } },
      async (request, reply) => collectionPage(await activeAlarms(ctx, request.principal!), request.query, reply));
  };
}
