/**
 * `GetOrganizationsLicenseUsage` (REST v3.3+): the current license usage of each visible company,
 * selected by organization, type, provider and server (see the route's header for the choices).
 */
import { listCompanies } from '../../store/entities.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { organizationsLicenseUsage, type OrganizationCurrentLicenseUsage, type ORGANIZATION_TYPES, type SERVER_TYPES } from '../organizationUsage.js';
import { companyVisibleTo } from '../scope.js';

export interface UsageSelection {
  organizationUid?: string | undefined;
  organizationType?: (typeof ORGANIZATION_TYPES)[number] | undefined;
  providerUid?: string | undefined;
  serverUid?: string | undefined;
  serverType?: (typeof SERVER_TYPES)[number] | undefined;
}

export async function organizationsUsage(ctx: ServiceContext, caller: Caller, selection: UsageSelection): Promise<OrganizationCurrentLicenseUsage[]> {
  const organizationUid = selection.organizationUid?.toLowerCase();
  const providerUid = selection.providerUid?.toLowerCase();
  const serverUid = selection.serverUid?.toLowerCase();
  const companies = (await listCompanies(ctx.store.db))
    .filter((c) => companyVisibleTo(caller.principal, c))
    .filter((c) => organizationUid === undefined || c.uid === organizationUid)
    .filter((c) => providerUid === undefined || c.resellerUid === providerUid)
    .filter(() => selection.organizationType === undefined || selection.organizationType === 'Company');
  const usage = await organizationsLicenseUsage(ctx.store.db, ctx.licensing, companies, await ctx.clock.now());
  return usage.map((organization) => ({
    ...organization,
    servers: organization.servers.filter(
      (s) => (serverUid === undefined || s.serverUid === serverUid) && (selection.serverType === undefined || s.serverType === selection.serverType),
    ),
  }));
}
