/** Tally's own admin and ingestion API, mounted at /tally/v1 on every listener. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { apiKeyRoutes } from './apiKeys.js';
import { auditRoutes } from './audit.js';
import { clockRoutes } from './clock.js';
import { entityRoutes } from './entities.js';
import { installTallyErrorHandling } from './errors.js';
import { eventRoutes } from './events.js';
import { reportRoutes } from './reports.js';
import { sessionRoutes } from './sessions.js';
import { unlockRoutes } from './unlock.js';

export function tallyApi(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installTallyErrorHandling(app);
    await app.register(entityRoutes(ctx));
    await app.register(eventRoutes(ctx));
    await app.register(clockRoutes(ctx));
    await app.register(reportRoutes(ctx));
    await app.register(apiKeyRoutes(ctx));
    await app.register(sessionRoutes(ctx));
    await app.register(auditRoutes(ctx));
    await app.register(unlockRoutes(ctx));
  };
}
