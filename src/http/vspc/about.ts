/**
 * `GET /api/v3/about` (`AboutInformation`: `serverVersion`, `installationId`), what clients read
 * to choose their API version (services/vspc/about.ts). Any authenticated account may read it.
 * `X-Client-Version` 3.0–3.6 (or none) is served; a newer or malformed one is refused as ASP.NET
 * API Versioning does (versions.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ROLES } from '../../services/auth.js';
import { about } from '../../services/vspc/about.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vspcRefusals } from './errors.js';
import { Envelope } from './schemas.js';
import { anyVersionRoute } from './versions.js';

/** `AboutInformation`, the parts Tally knows. */
export const AboutInformation = Type.Object({ serverVersion: Type.String(), installationId: Type.String({ format: 'uuid' }) });

export function aboutRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/about',
      { onRequest: [anyVersionRoute, requireRoles(ctx.auth, ROLES, vspcRefusals)], schema: { response: { 200: Envelope(AboutInformation) } } },
      async (request) => {
        const header = request.headers['x-client-version'];
        const version = Array.isArray(header) ? header[0] : header;
        return { data: await about(ctx, version?.trim() === '' ? undefined : version) };
      },
    );
  };
}
