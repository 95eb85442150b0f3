/**
 * "Get Services Usage": `GET /organizations/companies/usage` (every company the caller may see)
 * and `GET /organizations/companies/{companyUid}/usage` (one company), a collection of
 * `CompanyUsage` `{companyUid, date, counters: [{value, type}]}` per company and day, with the
 * VSPC collection query (`limit`, `offset`, `filter`, `sort`, `select`) and `fromDate`/`toDate`.
 * The literal `usage` is its own route, so the `{companyUid}` template never takes it for a uid.
 * Roles (VSPC help page): Portal Administrator, Service Provider Global Administrator, Service
 * Provider Administrator, Company Owner, Company Administrator; scoped accounts see their own.
 * What is counted: src/services/vspc/companiesUsage.ts; NotFound is answered by the face's
 * error handler (errors.ts), Invalid here, naming the query parameter.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Role } from '../../../services/auth.js';
import { Invalid } from '../../../services/errors.js';
import { companiesUsage, type CompanyUsage as CompanyUsageView } from '../../../services/vspc/companiesUsage.js';
import { requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { collectionPage } from '../collection.js';
import { sendErrors, vspcRefusals } from '../errors.js';
import { CollectionQuery, CompanyParams, Envelope } from '../schemas.js';

export const COMPANY_USAGE_ROLES: readonly Role[] = [
  'PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'CompanyOwner', 'CompanyAdministrator',
];

/** `CompanyUsageCounter`: `value` is written as an integer (Tally's counters are counts). */
export const CompanyUsageCounter = Type.Object({ value: Type.Integer(), type: Type.String() });

/** `CompanyUsage`. */
export const CompanyUsage = Type.Object({
  companyUid: Type.String({ format: 'uuid' }),
  date: Type.String({ format: 'date-time' }),
  counters: Type.Array(CompanyUsageCounter),
});

const FullDate = Type.String({ maxLength: 32 });
export const CompaniesUsageQuery = Type.Object({ ...CollectionQuery.properties, fromDate: Type.Optional(FullDate), toDate: Type.Optional(FullDate) });

/**
 * The operation's answer, or its Invalid as a 400 naming the query parameter (`parameterName`, as
 * VSPC names a bad query parameter; the face's error handler names body properties).
 */
async function usageOrBadParameter(reply: FastifyReply, run: () => Promise<CompanyUsageView[]>): Promise<CompanyUsageView[] | FastifyReply> {
  try {
    return await run();
  } catch (error) {
    const parameterName = error instanceof Invalid ? error.fields[0]?.field : undefined;
    if (parameterName) return sendErrors(reply, 400, { message: (error as Error).message, type: 'logical', parameterName });
    throw error;
  }
}

export function companiesUsageRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const readers = requireRoles(ctx.auth, COMPANY_USAGE_ROLES, vspcRefusals);
    const response = { 200: Envelope(Type.Array(CompanyUsage)) };

    app.get('/organizations/companies/usage', { onRequest: readers, schema: { querystring: CompaniesUsageQuery, response } }, async (request, reply) => {
      const { fromDate, toDate } = request.query;
      const usage = await usageOrBadParameter(reply, () => companiesUsage(ctx, request.principal!, { fromDate, toDate }));
      return Array.isArray(usage) ? collectionPage(usage, request.query, reply) : usage;
    });

    app.get(
      '/organizations/companies/:companyUid/usage',
      { onRequest: readers, schema: { params: CompanyParams, querystring: CompaniesUsageQuery, response } },
      async (request, reply) => {
        const { fromDate, toDate } = request.query;
        const usage = await usageOrBadParameter(reply, () => companiesUsage(ctx, request.principal!, { companyUid: request.params.companyUid, fromDate, toDate }));
        return Array.isArray(usage) ? collectionPage(usage, request.query, reply) : usage;
      },
    );
  };
}
