/** The Veeam Service Provider Console REST API v3 face, mounted at /api/v3. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { consoleLicenseRoutes } from './licensing/consoleLicense.js';
import { consoleUsageRoutes } from './licensing/consoleUsage.js';
import { usageOrganizationsRoutes } from './licensing/usageOrganizations.js';
import { aboutRoutes } from './about.js';
import { alarmRoutes } from './alarms.js';
import { installVspcErrorHandling } from './errors.js';
import { installIdempotency } from './idempotency.js';
import { companyRoutes } from './organizations/companies.js';
import { companiesUsageRoutes } from './organizations/companiesUsage.js';
import { resellerRoutes } from './organizations/resellers.js';
import { vspcSerializerCompiler } from './serializer.js';
import { tokenRoute } from './token.js';
import { currentUserRoutes } from './users/me.js';
import { userTokenRoutes } from './users/tokens.js';

export function vspcFace(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installVspcErrorHandling(app);
    app.setSerializerCompiler(vspcSerializerCompiler);
    // Before the routes: it hooks itself after each route's own preHandlers (X-Request-id).
    installIdempotency(app, ctx);
    await app.register(tokenRoute(ctx));
    await app.register(userTokenRoutes(ctx));
    await app.register(currentUserRoutes(ctx));
    await app.register(aboutRoutes(ctx));
    await app.register(alarmRoutes(ctx));
    await app.register(consoleUsageRoutes(ctx));
    await app.register(consoleLicenseRoutes(ctx));
    await app.register(companyRoutes(ctx));
    await app.register(companiesUsageRoutes(ctx));
    await app.register(resellerRoutes(ctx));
    await app.register(usageOrganizationsRoutes(ctx));
  };
}
