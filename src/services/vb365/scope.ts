/**
 * The VB365 face's view of scope (services/scope.ts holds the rules): which organizations the
 * caller may see. An account confined to a reseller or a company sees the organizations mapped to
 * its companies; an organization mapped to no company is seen only by unconfined accounts
 * (docs/security.md). A foreign organization, and everything of it (licensed users, report lines),
 * is answered exactly like a missing one.
 */
import type { Organization } from '../../store/entities.js';
import { organizationVisibleTo, unconfined } from '../scope.js';
import type { Caller, Vb365Services } from './context.js';

/** Whether the caller sees the whole installation (no filtering needed). */
export function seesEverything(caller: Caller): boolean {
  return unconfined(caller.principal);
}

/** A predicate on organization ids: those the caller may see. Reads nothing for an unconfined caller. */
export async function visibleOrganizationIds(services: Vb365Services, caller: Caller): Promise<(organizationId: string) => boolean> {
  if (seesEverything(caller)) return () => true;
  const installation = services.licensing.installation;
  const [organizations, companies] = await Promise.all([installation.organizations(caller.generations), installation.companies(caller.generations)]);
  const visible = new Set(
    organizations
      .filter((org) => organizationVisibleTo(caller.principal, org, org.companyUid === null ? undefined : companies.get(org.companyUid)))
      .map((org) => org.id),
  );
  return (organizationId) => visible.has(organizationId);
}

/** Whether the caller may see `organization`. */
export async function organizationVisible(services: Vb365Services, caller: Caller, organization: Organization): Promise<boolean> {
  if (seesEverything(caller)) return true;
  const companies = await services.licensing.installation.companies(caller.generations);
  return organizationVisibleTo(caller.principal, organization, organization.companyUid === null ? undefined : companies.get(organization.companyUid));
}
