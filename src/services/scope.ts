/**
 * Scope: which resellers, companies and organizations an account may see and change. Scope is a
 * property of the principal and is enforced in the services, never in a face.
 *
 * - Portal Administrators, and accounts not confined to a scope, see every company.
 * - An account confined (`scopeUid`) with a reseller role (Service Provider …) sees the companies
 *   of that reseller; with a company role (Company …) the company it is confined to; with any
 *   other role (ReadOnlyUser, Vb365Administrator, Ingest) the reseller's companies or the company
 *   its scope names.
 * - An organization is visible with the company it is mapped to; an organization mapped to no
 *   company only to unconfined accounts.
 * - An object outside the scope is answered exactly like a missing one, so that no answer reveals
 *   that it exists.
 *
 * Which scopes an account may be given (`scopeProblem`): reseller roles need a scope naming a
 * reseller, company roles one naming a company; the other roles may have either or none; a
 * Portal Administrator cannot be confined (its role sees everything) and refuses a scope.
 */
import type { Company, Organization } from '../store/entities.js';
import { hasAnyRole, type Principal, type Role } from './auth.js';

const PROVIDER_WIDE: readonly Role[] = ['PortalAdministrator'];
export const RESELLER_ROLES: readonly Role[] = [
  'ServiceProviderGlobalAdministrator',
  'ServiceProviderAdministrator',
  'ServiceProviderOperator',
  'ServiceProviderUser',
  'ServiceProviderInvoiceAuditor',
];
export const COMPANY_ROLES: readonly Role[] = ['CompanyOwner', 'CompanyAdministrator', 'CompanyInvoiceAuditor'];

/** Whether the principal sees the whole installation. */
export function unconfined(principal: Principal): boolean {
  return hasAnyRole(principal, PROVIDER_WIDE) || principal.scopeUid === null;
}

export function companyVisibleTo(principal: Principal, company: Company): boolean {
  if (unconfined(principal)) return true;
  if (hasAnyRole(principal, RESELLER_ROLES)) return company.resellerUid === principal.scopeUid;
  if (hasAnyRole(principal, COMPANY_ROLES)) return company.uid === principal.scopeUid;
  return company.uid === principal.scopeUid || company.resellerUid === principal.scopeUid;
}

/** `company`: the company the organization is mapped to (undefined when none or missing). */
export function organizationVisibleTo(principal: Principal, _organization: Organization, company: Company | undefined): boolean {
  if (unconfined(principal)) return true;
  return company !== undefined && companyVisibleTo(principal, company);
}

/** What a scope uid names. */
export type ScopeTarget = 'reseller' | 'company' | 'nothing';

/**
 * Why `roles` cannot be given `scopeUid` (which names `target`), or null when they can. `kind`
 * says how a face should answer: `invalid` for a body that breaks the rules whatever the data,
 * `conflict` for a scope that does not name what the roles need.
 */
export function scopeProblem(
  roles: readonly Role[],
  scopeUid: string | null,
  target: ScopeTarget,
): { kind: 'invalid' | 'conflict'; message: string } | null {
  const reseller = roles.filter((r) => RESELLER_ROLES.includes(r));
  const company = roles.filter((r) => COMPANY_ROLES.includes(r));
  if (scopeUid !== null && roles.includes('PortalAdministrator')) {
    return { kind: 'invalid', message: 'PortalAdministrator sees the whole installation and cannot be confined to a scope: remove scopeUid or the role.' };
  }
  if (reseller.length > 0 && company.length > 0) {
    return { kind: 'invalid', message: `One account cannot hold reseller roles (${reseller.join(', ')}) and company roles (${company.join(', ')}): a scope names one reseller or one company.` };
  }
  if (scopeUid === null) {
    if (reseller.length > 0) return { kind: 'invalid', message: `${reseller.join(', ')} needs a scopeUid naming the reseller the account works for.` };
    if (company.length > 0) return { kind: 'invalid', message: `${company.join(', ')} needs a scopeUid naming the company the account works for.` };
    return null;
  }
  if (target === 'nothing') return { kind: 'conflict', message: `Scope ${scopeUid} names no reseller and no company.` };
  if (reseller.length > 0 && target !== 'reseller') return { kind: 'conflict', message: `Scope ${scopeUid} is a company; ${reseller.join(', ')} needs a reseller.` };
  if (company.length > 0 && target !== 'company') return { kind: 'conflict', message: `Scope ${scopeUid} is a reseller; ${company.join(', ')} needs a company.` };
  return null;
}
