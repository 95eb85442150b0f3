/**
 * `GET /v6/ServiceInstance`: the version and installation id (services/vb365/serviceInstance.ts).
 * Without a token it answers 401 in the VB365 dialect, as collectors expect when they probe which
 * versions a server has; any authenticated account may read it (it names no tenant's data).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ROLES } from '../../services/auth.js';
import { serviceInstance } from '../../services/vb365/serviceInstance.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vb365Refusals } from './errors.js';

/** `RESTServiceInstance`, in the document's order. */
export const ServiceInstance = Type.Object({ installationId: Type.String({ format: 'uuid' }), version: Type.String() });

export function serviceInstanceRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const anyAccount = requireRoles(ctx.auth, ROLES, vb365Refusals);
    app.get('/ServiceInstance', { onRequest: anyAccount, schema: { response: { 200: ServiceInstance } } }, async () => {
      const { installationId, version } = await serviceInstance(ctx);
      return { installationId, version };
    });
  };
}
