/**
 * VSPC resellers from the ledger's resellers (`/tally/v1/resellers`): the list and one reseller,
 * as the caller may see them. Portal administrators and accounts without a scope see every
 * reseller; an account confined to a reseller (a Service Provider role with `scopeUid`) sees that
 * reseller only; an account confined to a company sees none. A reseller outside the caller's
 * scope is answered like a missing one. The owner is the reseller's Service Provider Global
 * Administrator account in Tally (the first by user name), as VSPC's reseller owner.
 */
import type { Store } from '../../store/database.js';
import { listAccounts } from '../../store/accounts.js';
import { getReseller, listResellers, type Reseller } from '../../store/entities.js';
import { hasAnyRole, type Principal, type Role } from '../auth.js';
import { NotFound } from '../errors.js';

const RESELLER_ROLES: readonly Role[] = [
  'ServiceProviderGlobalAdministrator', 'ServiceProviderAdministrator', 'ServiceProviderOperator', 'ServiceProviderUser', 'ServiceProviderInvoiceAuditor',
];

export interface ResellerView {
  uid: string;
  name: string;
  /** The owner account's user name; null when the reseller has none in Tally. */
  owner: string | null;
}

export function resellerVisibleTo(principal: Principal, reseller: Pick<Reseller, 'uid'>): boolean {
  if (hasAnyRole(principal, ['PortalAdministrator']) || principal.scopeUid === null) return true;
  return hasAnyRole(principal, RESELLER_ROLES) && reseller.uid === principal.scopeUid;
}

async function owners(store: Store): Promise<Map<string, string>> {
  const byReseller = new Map<string, string>();
  for (const account of await listAccounts(store.db)) {
    if (account.disabled || !account.scopeUid || !account.roles.includes('ServiceProviderGlobalAdministrator')) continue;
    if (!byReseller.has(account.scopeUid)) byReseller.set(account.scopeUid, account.username);
  }
  return byReseller;
}

export async function resellersVisibleTo(deps: { store: Store }, principal: Principal): Promise<ResellerView[]> {
  const [resellers, owner] = await Promise.all([listResellers(deps.store.db), owners(deps.store)]);
  return resellers.filter((r) => resellerVisibleTo(principal, r)).map((r) => ({ uid: r.uid, name: r.name, owner: owner.get(r.uid) ?? null }));
}

/** One reseller; NotFound when it does not exist or lies outside the caller's scope. */
export async function resellerFor(deps: { store: Store }, principal: Principal, uid: string): Promise<ResellerView> {
  const reseller = await getReseller(deps.store.db, uid.toLowerCase());
  if (!reseller || !resellerVisibleTo(principal, reseller)) {
    throw new NotFound(`Reseller with UID ${uid} does not exist.`);
  }
  return { uid: reseller.uid, name: reseller.name, owner: (await owners(deps.store)).get(reseller.uid) ?? null };
}
