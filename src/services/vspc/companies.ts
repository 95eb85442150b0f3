/**
 * VSPC organizations (companies) and their Cloud Connect tenants as the caller may see them
 * (services/scope.ts); a foreign company is answered as a missing one. What Tally knows of a
 * company is its uid, name, reseller and tenant, and its Company Owner account.
 */
import { listAccounts } from '../../store/accounts.js';
import { getCompany, listCompanies, type Company } from '../../store/entities.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { NotFound } from '../errors.js';
import { companyVisibleTo } from '../scope.js';
import { scopeRefusal } from '../audit.js';

export type { Company };

export interface CompanyWithOwner {
  company: Company;
  /** The user name of the company's Company Owner account (the first by name); null when none. */
  owner: string | null;
}

/** The Company Owner account of each company (the first by user name when there are several). */
async function companyOwners(ctx: ServiceContext): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const account of await listAccounts(ctx.store.db)) {
    if (account.disabled || !account.scopeUid || !account.roles.includes('CompanyOwner')) continue;
    if (!owners.has(account.scopeUid)) owners.set(account.scopeUid, account.username);
  }
  return owners;
}

async function visibleCompany(ctx: ServiceContext, caller: Caller, uid: string): Promise<Company> {
  const company = await getCompany(ctx.store.db, uid.toLowerCase());
  const missing = new NotFound(`Company with UID ${uid} does not exist.`);
  if (!company) throw missing;
  if (!companyVisibleTo(caller.principal, company)) throw await scopeRefusal(ctx.store.db, caller, `company/${company.uid}`, missing);
  return company;
}

export async function listVisibleCompanies(ctx: ServiceContext, caller: Caller): Promise<CompanyWithOwner[]> {
  const [companies, owners] = await Promise.all([listCompanies(ctx.store.db), companyOwners(ctx)]);
  return companies.filter((c) => companyVisibleTo(caller.principal, c)).map((company) => ({ company, owner: owners.get(company.uid) ?? null }));
}

export async function getVisibleCompany(ctx: ServiceContext, caller: Caller, uid: string): Promise<CompanyWithOwner> {
  const company = await visibleCompany(ctx, caller, uid);
  return { company, owner: (await companyOwners(ctx)).get(company.uid) ?? null };
}

/** The company's Cloud Connect tenants (Tally maps at most one). */
export async function companyTenants(ctx: ServiceContext, caller: Caller, uid: string): Promise<{ tenantUid: string; companyUid: string }[]> {
  const company = await visibleCompany(ctx, caller, uid);
  return company.tenantUid ? [{ tenantUid: company.tenantUid, companyUid: company.uid }] : [];
}
