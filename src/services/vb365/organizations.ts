/**
 * Operations on VB365 organizations: list, read one, and its licensing information. A caller
 * confined to a scope sees only its organizations; any other answers as missing.
 */
import type { OrganizationLicensingInformation } from '../../domain/vb365.js';
import { organizationBackupTimes, type Organization } from '../../store/entities.js';
import { NotFound } from '../errors.js';
import type { Caller, Vb365Services } from './context.js';
import { organizationVisible, visibleOrganizationIds } from './scope.js';
import { scopeRefusal } from '../audit.js';

export interface OrganizationView {
  organization: Organization;
  /** With the extended view: the organization's first and last backup at now (null when none). */
  backups?: { first: number | null; last: number | null };
}

function notFound(givenId: string): NotFound {
  return new NotFound(`Organization with ID ${givenId} was not found.`);
}

async function withBackups(services: Vb365Services, organization: Organization, extendedView: boolean, now: number): Promise<OrganizationView> {
  if (!extendedView) return { organization };
  return { organization, backups: await organizationBackupTimes(services.store.db, organization.id, now) };
}

/** `GET /v6/Organizations`: the organizations the caller may see. */
export async function listOrganizations(services: Vb365Services, caller: Caller, input: { extendedView: boolean }): Promise<OrganizationView[]> {
  const [all, visible, now] = await Promise.all([
    services.licensing.installation.organizations(caller.generations),
    visibleOrganizationIds(services, caller),
    services.clock.now(),
  ]);
  return Promise.all(all.filter((org) => visible(org.id)).map((org) => withBackups(services, org, input.extendedView, now)));
}

/** The organization `givenId` names, if the caller may see it; NotFound otherwise. */
async function visibleOrganization(services: Vb365Services, caller: Caller, givenId: string): Promise<Organization> {
  const organization = await services.licensing.organization(givenId.toLowerCase(), caller.generations);
  if (!organization) throw notFound(givenId);
  if (!(await organizationVisible(services, caller, organization))) throw await scopeRefusal(services.store.db, caller, `organization/${organization.id}`, notFound(givenId));
  return organization;
}

/** `GET /v6/Organizations/{id}`. */
export async function getOrganization(services: Vb365Services, caller: Caller, input: { organizationId: string; extendedView: boolean }): Promise<OrganizationView> {
  const organization = await visibleOrganization(services, caller, input.organizationId);
  return withBackups(services, organization, input.extendedView, await services.clock.now());
}

/**
 * `GET /v6/Organizations/{id}/LicensingInformation`: the seed endpoint integrations poll. The
 * organization, the clock, the license and the answer come from caches checked against the
 * counters the caller's request read (one read per request).
 */
export async function organizationLicensingInformation(
  services: Vb365Services,
  caller: Caller,
  input: { organizationId: string },
): Promise<OrganizationLicensingInformation> {
  const organization = await visibleOrganization(services, caller, input.organizationId);
  return services.licensing.organizationLicensingInformation(organization.id, caller.generations);
}
