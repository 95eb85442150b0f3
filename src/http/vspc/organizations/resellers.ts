/**
 * `GET /organizations/resellers` (paged, filter/sort/select, `expand=Organization`) and
 * `GET /organizations/resellers/{resellerUid}` (`select`): the ledger's resellers in VSPC's
 * `Reseller` schema, the parts Tally knows (services/vspc/resellers.ts says who sees which):
 * `instanceUid`, `name`, `ownerCredentials` (`userName` the reseller's owner account, `""`
 * without one; `password` null as in answers) and `_embedded` (`organization` with
 * `expand=Organization`, `{}` otherwise). Readers: Portal Administrator, the Service Provider
 * roles (their own reseller) and Read-only User.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Role } from '../../../services/auth.js';
import { resellerFor, resellersVisibleTo, type ResellerView } from '../../../services/vspc/resellers.js';
import { requireRoles } from '../../auth/guard.js';
import type { AppContext } from '../../context.js';
import { collectionPage } from '../collection.js';
import { sendErrors, vspcRefusals } from '../errors.js';
import { parseExpand } from './companies.js';
import { parseSelect, QueryError, selectFields } from '../query.js';
import { CompaniesQuery, Envelope, Organization, OwnerCredentials, SingleResourceQuery } from '../schemas.js';

export const RESELLER_READERS: readonly Role[] = [
  'PortalAdministrator', 'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator', 'ServiceProviderUser', 'ReadOnlyUser',
];

/** `Reseller`, the parts Tally knows. */
export const Reseller = Type.Object({
  instanceUid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  ownerCredentials: OwnerCredentials,
  _embedded: Type.Object({ organization: Type.Optional(Organization) }),
});

const ResellerParams = Type.Object({ resellerUid: Type.String({ format: 'uuid' }) });

function resellerResource(reseller: ResellerView, embedOrganization: boolean) {
  return {
    instanceUid: reseller.uid,
    name: reseller.name,
    ownerCredentials: { userName: reseller.owner ?? '', password: null },
    _embedded: embedOrganization ? { organization: { instanceUid: reseller.uid, name: reseller.name, type: 'Reseller' } } : {},
  };
}

export function resellerRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const readers = requireRoles(ctx.auth, RESELLER_READERS, vspcRefusals);

    app.get(
      '/organizations/resellers',
      { onRequest: readers, schema: { querystring: CompaniesQuery, response: { 200: Envelope(Type.Array(Reseller)) } } },
      async (request, reply) => {
        const expand = parseExpand(request.query.expand);
        if (!expand) {
          return sendErrors(reply, 400, {
            message: `The value '${request.query.expand}' is not valid for expand: the values are Organization.`,
            type: 'logical',
            parameterName: 'expand',
          });
        }
        const resellers = await resellersVisibleTo(ctx, request.principal!);
        return collectionPage(resellers.map((r) => resellerResource(r, expand.has('Organization'))), request.query, reply);
      },
    );

    app.get(
      '/organizations/resellers/:resellerUid',
      { onRequest: readers, schema: { params: ResellerParams, querystring: SingleResourceQuery, response: { 200: Envelope(Reseller) } } },
      async (request, reply) => {
        const resource = resellerResource(await resellerFor(ctx, request.principal!, request.params.resellerUid), false);
        if (request.query.select === undefined) return { data: resource };
        try {
          const paths = parseSelect(request.query.select);
          return { data: paths.length > 0 ? (selectFields(resource, paths) as typeof resource) : resource };
        } catch (error) {
          if (error instanceof QueryError) return sendErrors(reply, 400, { message: error.message, type: 'logical', parameterName: error.parameterName });
          throw error;
        }
      },
    );
  };
}
