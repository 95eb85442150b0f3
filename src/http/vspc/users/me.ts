/**
 * `GET /api/v3/users/me`: the calling account as a VSPC `User` (services/vspc/currentUser.ts); any
 * authenticated account.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ROLES } from '../../../services/auth.js';
import { currentUser } from '../../../services/vspc/currentUser.js';
import { requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { vspcRefusals } from '../errors.js';
import { Envelope } from '../schemas.js';

/** `User`, the parts Tally knows. */
export const User = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  organizationUid: Type.String({ format: 'uuid' }),
  userName: Type.String(),
  role: Type.String(),
  status: Type.String(),
});

export function currentUserRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/users/me', { onRequest: requireRoles(ctx.auth, ROLES, vspcRefusals), schema: { response: { 200: Envelope(User) } } }, async (request) => ({
      data: await currentUser(ctx, request.principal!),
    }));
  };
}
