/** The Veeam Backup for Microsoft 365 REST API v6 face, mounted at /v6. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { installVb365ErrorHandling } from './errors.js';
import { licenseRoutes } from './license.js';
import { licensedUserRoutes } from './licensedUsers.js';
import { licensingReportRoutes } from './licensingReports.js';
import { organizationRoutes } from './organizations.js';
import { reportRoutes } from './reports.js';
import { serviceInstanceRoutes } from './serviceInstance.js';
import { tokenRoute } from './token.js';

export function vb365Face(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    installVb365ErrorHandling(app);
    await app.register(tokenRoute(ctx));
    await app.register(organizationRoutes(ctx));
    await app.register(licenseRoutes(ctx));
    await app.register(licensedUserRoutes(ctx));
    await app.register(licensingReportRoutes(ctx));
    await app.register(reportRoutes(ctx));
    await app.register(serviceInstanceRoutes(ctx));
  };
}
