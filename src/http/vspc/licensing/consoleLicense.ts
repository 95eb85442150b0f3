/**
 * The console license: `GET /licensing/console` and `/licensing/console/settings` (Portal
 * Administrator only), in every v3 version. The operations are services/vspc/console.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { consoleLicense, consoleSettings } from '../../../services/vspc/console.js';
import { callerOf, requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { vspcRefusals } from '../errors.js';
import { ConsoleLicense, Envelope, LicenseSettings } from '../schemas.js';

export function consoleLicenseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const portalOnly = requireRoles(ctx.auth, ['PortalAdministrator'], vspcRefusals);

    app.get('/licensing/console', { onRequest: portalOnly, schema: { response: { 200: Envelope(ConsoleLicense) } } }, async (request) => ({
      data: await consoleLicense(ctx, callerOf(request)),
    }));

    app.get('/licensing/console/settings', { onRequest: portalOnly, schema: { response: { 200: Envelope(LicenseSettings) } } }, async (request) => ({
      data: await consoleSettings(ctx, callerOf(request)),
    }));
  };
}
