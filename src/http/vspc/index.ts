/** The Veeam Service Provider Console REST API v3 face, mounted at /api/v3. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { consoleLicenseRoutes } from './consoleLicense.js';
import { consoleUsageRoutes } from './consoleUsage.js';
import { installVspcErrorHandling } from './errors.js';
import { vspcSerializerCompiler } from './serializer.js';
import { tokenRoute } from './token.js';

export function vspcFace(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installVspcErrorHandling(app);
    app.setSerializerCompiler(vspcSerializerCompiler);
    await app.register(tokenRoute(ctx));
    await app.register(consoleUsageRoutes(ctx));
    await app.register(consoleLicenseRoutes(ctx));
  };
}
