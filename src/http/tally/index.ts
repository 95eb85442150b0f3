/** Tally's own admin and ingestion API, mounted at /tally/v1 on every listener. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { apiKeyRoutes } from './apiKeys.js';
import { auditRoutes } from './audit.js';
import { clockRoutes } from './clock.js';
import { companyRoutes } from './companies.js';
import { installTallyErrorHandling } from './errors.js';
import { eventRoutes } from './events.js';
import { licenseRoutes } from './licenses.js';
import { organizationRoutes } from './organizations.js';
import { reportRoutes } from './reports.js';
import { resellerRoutes } from './resellers.js';
import { sessionRoutes } from './sessions.js';
import { userRoutes } from './users.js';
import { unlockRoutes } from './unlock.js';

export function tallyApi(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installTallyErrorHandling(app);
    await app.register(resellerRoutes(ctx));
    await app.register(companyRoutes(ctx));
    await app.register(organizationRoutes(ctx));
    await app.register(licenseRoutes(ctx));
    await app.register(userRoutes(ctx));
    await app.register(eventRoutes(ctx));
    await app.register(clockRoutes(ctx));
    await app.register(reportRoutes(ctx));
    await app.register(apiKeyRoutes(ctx));
    await app.register(sessionRoutes(ctx));
    await app.register(auditRoutes(ctx));
    await app.register(unlockRoutes(ctx));
  };
}
