/**
 * The console license and the rest of the legacy console-usage family (v3.0–3.2):
 * `GET /licensing/console`, `/licensing/console/settings` (Portal Administrator only),
 * `/licensing/console/usage`, `/licensing/console/usage/companies` (paged) and
 * `/licensing/console/usage/companies/{companyUid}`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { countersFromBuckets, emptyBuckets, sumBuckets, type ConsoleLicenseCounter } from '../../domain/vspc.js';
import type { VspcLicenseBody } from '../../schemas/admin.js';
import { hasAnyRole } from '../../services/auth.js';
import { toVspcLicense } from '../../services/licenses.js';
import { companyVisibleTo } from '../../services/scope.js';
import { getCompany, getLicenseTerms, listCompanies, type Company } from '../../store/entities.js';
import { formatInstant, parseRfc3339 } from '../../time.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { CONSOLE_USAGE_ROLES } from './consoleUsage.js';
import { renderEnum } from './enums.js';
import { collectionPage } from './collection.js';
import { legacyRoute } from './versions.js';
import { sendErrors, vspcRefusals } from './errors.js';
import {
  CollectionQuery, CompanyConsoleLicenseUsage, CompanyParams, ConsoleLicense, ConsoleLicenseUsage, Envelope, LicenseSettings,
} from './schemas.js';

export function consoleLicenseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const portalOnly = requireRoles(ctx.auth, ['PortalAdministrator'], vspcRefusals);
    const usageRoles = requireRoles(ctx.auth, CONSOLE_USAGE_ROLES, vspcRefusals);
    const db = ctx.store.db;
    const style = ctx.vspcEnumStyle;
    const iso = (text: string | undefined) => {
      const at = text ? parseRfc3339(text) : null;
      return at === null ? null : formatInstant(at);
    };
    const render = (counters: ConsoleLicenseCounter[]) =>
      counters.map((c) => ({ ...c, type: renderEnum(c.type, style), unitType: renderEnum(c.unitType, style) }));
    const terms = async () => (await getLicenseTerms(db, 'vspc')) as VspcLicenseBody | undefined;

    app.get('/licensing/console', { preHandler: portalOnly, schema: { response: { 200: Envelope(ConsoleLicense) } } }, async () => {
      const body = await terms();
      const now = await ctx.clock.now();
      const { status, statusMessage } = await ctx.licensing.vspcLicenseStatus(now, body ? toVspcLicense(body) : null);
      return {
        data: {
          licenseId: body?.licenseId ?? '',
          edition: body?.edition ?? '',
          package: body?.package ?? 'None',
          licenseeCompany: body?.licenseeCompany ?? '',
          licenseeEmail: body?.licenseeEmail ?? '',
          licenseeAdministratorEmail: body?.licenseeAdministratorEmail ?? '',
          contactPerson: body?.contactPerson ?? '',
          expirationDate: iso(body?.expirationDate),
          supportExpirationDate: iso(body?.supportExpirationDate),
          supportId: body?.supportId ?? '',
          status,
          statusMessage: statusMessage ?? '',
          cloudConnect: body?.cloudConnect ?? 'No',
          instances: body?.units ?? 0,
          type: body?.type ?? 'NotInstalled',
          lastUpdateDate: null,
          lastUpdateMessage: '',
          lastUpdateStatus: 'Unknown',
        },
      };
    });

    app.get('/licensing/console/settings', { preHandler: portalOnly, schema: { response: { 200: Envelope(LicenseSettings) } } }, async () => ({
      data: { isAutoUpdateEnabled: (await terms())?.autoUpdate ?? false },
    }));

    app.get('/licensing/console/usage', { onRequest: legacyRoute, preHandler: usageRoles, schema: { response: { 200: Envelope(ConsoleLicenseUsage) } } }, async (request) => {
      const now = await ctx.clock.now();
      const body = await terms();
      const license = body ? toVspcLicense(body) : null;
      const [companies, pool] = await Promise.all([listCompanies(db), ctx.licensing.agentPool(now, license)]);
      const byCompany = pool.byCompany;
      // Portal administrators see every agent (also of companies not registered); others their companies'.
      const principal = request.principal!;
      const all = hasAnyRole(principal, ['PortalAdministrator']);
      const visible = companies.filter((c) => companyVisibleTo(principal, c)).map((c) => byCompany.get(c.uid) ?? emptyBuckets());
      const total = sumBuckets(all ? byCompany.values() : visible);
      const counters = countersFromBuckets(total, license);
      const sum = (pick: (c: ConsoleLicenseCounter) => number) => counters.reduce((n, c) => n + pick(c), 0);
      return {
        data: {
          unitType: renderEnum(counters[0]!.unitType, style),
          usedUnits: sum((c) => c.usedUnits),
          usedCount: sum((c) => c.usedCount),
          newUnits: sum((c) => c.newUnits),
          newCount: sum((c) => c.newCount),
          // What the license makes available: nothing once its expiry grace is over.
          licensedUnits: pool.lapsed ? 0 : (body?.units ?? 0),
          counters: render(counters),
        },
      };
    });

    const companyUsage = (company: Company, counters: ConsoleLicenseCounter[]) => ({
      companyUid: company.uid,
      tenantUid: company.tenantUid,
      counters: render(counters),
    });

    app.get(
      '/licensing/console/usage/companies',
      { onRequest: legacyRoute, preHandler: usageRoles, schema: { querystring: CollectionQuery, response: { 200: Envelope(Type.Array(CompanyConsoleLicenseUsage)) } } },
      async (request, reply) => {
        const now = await ctx.clock.now();
        const license = await ctx.licensing.vspcLicense();
        const [all, pool] = await Promise.all([listCompanies(db), ctx.licensing.agentPool(now, license)]);
        const usage = all
          .filter((c) => companyVisibleTo(request.principal!, c))
          .map((company) => companyUsage(company, countersFromBuckets(pool.byCompany.get(company.uid) ?? emptyBuckets(), license)));
        return collectionPage(usage, request.query, reply);
      },
    );

    app.get(
      '/licensing/console/usage/companies/:companyUid',
      { onRequest: legacyRoute, preHandler: usageRoles, schema: { params: CompanyParams, response: { 200: Envelope(CompanyConsoleLicenseUsage) } } },
      async (request, reply) => {
        const company = await getCompany(db, request.params.companyUid.toLowerCase());
        if (!company || !companyVisibleTo(request.principal!, company)) {
          return sendErrors(reply, 404, { message: `Company with UID ${request.params.companyUid} does not exist.`, type: 'logical' });
        }
        return { data: companyUsage(company, await ctx.licensing.companyCounters(company.uid, await ctx.clock.now())) };
      },
    );
  };
}
