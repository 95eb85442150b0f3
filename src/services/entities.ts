/** Admin API bodies → stored entities, shared by the admin routes and the demo loader. */
import type { CompanyBody, OrganizationBody } from '../schemas/admin.js';
import type { Company, Organization } from '../store/entities.js';

/** Identifiers are stored in lower case so that lookups do not depend on the caller's casing. */
export function companyFromBody(uid: string, body: CompanyBody): Company {
  return {
    uid: uid.toLowerCase(),
    name: body.name,
    resellerUid: body.resellerUid?.toLowerCase() ?? null,
    tenantUid: body.tenantUid?.toLowerCase() ?? null,
  };
}

export function organizationFromBody(id: string, body: OrganizationBody): Organization {
  return {
    id: id.toLowerCase(),
    name: body.name,
    officeName: body.officeName ?? null,
    type: body.type ?? 'Office365',
    region: body.region ?? 'Worldwide',
    companyUid: body.companyUid?.toLowerCase() ?? null,
  };
}
