/**
 * `POST /v6/Reports/GenerateLicenseOverview` (a CSV or PDF file): parse, call
 * `generateLicenseOverview` (services/vb365/reports.ts), send the file.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { generateLicenseOverview } from '../../services/vb365/reports.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vb365Refusals } from './errors.js';
import { callerOf } from './caller.js';
import { LicenseOverviewOptions } from './schemas.js';

export function reportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);

    app.post('/Reports/GenerateLicenseOverview', { onRequest: guard, schema: { body: LicenseOverviewOptions } }, async (request, reply) => {
      const file = await generateLicenseOverview(ctx, callerOf(request), request.body);
      return reply.type('application/octet-stream').header('Content-Disposition', `attachment; filename="${file.fileName}"`).send(file.content);
    });
  };
}
