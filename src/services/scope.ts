/**
 * Which tenants an account may see. Portal administrators, and accounts not confined to a scope,
 * see every company; an account confined (`scopeUid`) with a reseller role (Service Provider …)
 * only the companies of that reseller; any other confined account only the company it is
 * confined to. A company outside the scope is answered exactly like a missing one, so that no
 * answer reveals that it exists.
 */
import type { Company } from '../store/entities.js';
import { hasAnyRole, type Principal, type Role } from './auth.js';

const PROVIDER_WIDE: readonly Role[] = ['PortalAdministrator'];
const RESELLER_ROLES: readonly Role[] = [
  'ServiceProviderGlobalAdministrator',
  'ServiceProviderAdministrator',
  'ServiceProviderOperator',
  'ServiceProviderUser',
  'ServiceProviderInvoiceAuditor',
];

export function companyVisibleTo(principal: Principal, company: Company): boolean {
  if (hasAnyRole(principal, PROVIDER_WIDE) || principal.scopeUid === null) return true;
  if (hasAnyRole(principal, RESELLER_ROLES)) return company.resellerUid === principal.scopeUid;
  return company.uid === principal.scopeUid;
}
