/** The Veeam Service Provider Console REST API v3 face, mounted at /api/v3. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { aboutRoutes } from './about.js';
import { alarmRoutes } from './alarms.js';
import { consoleLicenseRoutes } from './consoleLicense.js';
import { consoleUsageRoutes } from './consoleUsage.js';
import { installVspcErrorHandling } from './errors.js';
import { installIdempotency } from './idempotency.js';
import { organizationRoutes } from './organizations.js';
import { companiesUsageRoutes } from './organizations/companiesUsage.js';
import { resellerRoutes } from './organizations/resellers.js';
import { vspcSerializerCompiler } from './serializer.js';
import { tokenRoute } from './token.js';
import { usageOrganizationsRoutes } from './usageOrganizations.js';
import { userRoutes } from './users.js';

export function vspcFace(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installVspcErrorHandling(app);
    app.setSerializerCompiler(vspcSerializerCompiler);
    // Before the routes: it hooks itself after each route's own preHandlers (X-Request-id).
    installIdempotency(app, ctx);
    await app.register(tokenRoute(ctx));
    await app.register(userRoutes(ctx));
    await app.register(aboutRoutes(ctx));
    await app.register(alarmRoutes(ctx));
    await app.register(consoleUsageRoutes(ctx));
    await app.register(consoleLicenseRoutes(ctx));
    await app.register(organizationRoutes(ctx));
    await app.register(companiesUsageRoutes(ctx));
    await app.register(resellerRoutes(ctx));
    await app.register(usageOrganizationsRoutes(ctx));
  };
}
