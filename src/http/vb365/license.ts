/** `GET /v6/License` (`RESTLicense`): parse, call `licenseSummary` (services/vb365/licensedUsers.ts), render. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { licenseSummary } from '../../services/vb365/licensedUsers.js';
import { formatInstant } from '../../time.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vb365Refusals } from './errors.js';
import { callerOf } from './caller.js';
import { License } from './schemas.js';

export function licenseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);

    app.get('/License', { onRequest: guard, schema: { response: { 200: License } } }, async (request) => {
      const summary = await licenseSummary(ctx, callerOf(request));
      const { terms } = summary;
      return {
        licenseID: null,
        email: terms?.email ?? '',
        status: summary.status,
        expirationDate: summary.expirationDate === null ? null : formatInstant(summary.expirationDate),
        type: summary.license.type,
        licensedTo: terms?.licensedTo ?? '',
        contactPerson: terms?.contactPerson ?? '',
        totalNumber: summary.totalNumber,
        usedNumber: summary.usedNumber,
        newNumber: summary.newNumber,
        supportID: terms?.supportId ?? '',
        supportExpirationDate: summary.supportExpirationDate === null ? null : formatInstant(summary.supportExpirationDate),
      };
    });
  };
}
