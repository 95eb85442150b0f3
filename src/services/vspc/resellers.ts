/**
 * VSPC resellers from the ledger's resellers (`/tally/v1/resellers`): the list and one reseller,
 * as the caller may see them (services/scope.ts): Portal administrators and accounts without a
 * scope see every reseller; an account confined to a reseller sees that reseller only; an account
 * confined to a company sees none. A reseller outside the caller's
 * scope is answered like a missing one. The owner is the reseller's Service Provider Global
 * Administrator account in Tally (the first by user name), as VSPC's reseller owner.
 */
import type { Store } from '../../store/database.js';
import { listAccounts } from '../../store/accounts.js';
import { getReseller, listResellers, type Reseller } from '../../store/entities.js';
import type { Principal } from '../auth.js';
import { NotFound } from '../errors.js';
import { resellerVisibleTo as resellerOfScopeVisibleTo } from '../scope.js';
import { scopeRefusal } from '../audit.js';

export interface ResellerView {
  uid: string;
  name: string;
  /** The owner account's user name; null when the reseller has none in Tally. */
  owner: string | null;
}

/** The shared rule (services/scope.ts): the reseller an account is confined to, or every one for an unconfined account. */
export function resellerVisibleTo(principal: Principal, reseller: Pick<Reseller, 'uid'>): boolean {
  return resellerOfScopeVisibleTo(principal, reseller.uid);
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
  const missing = new NotFound(`Reseller with UID ${uid} does not exist.`);
  if (!reseller) throw missing;
  if (!resellerVisibleTo(principal, reseller)) throw await scopeRefusal(deps.store.db, { principal }, `reseller/${reseller.uid}`, missing);
  return { uid: reseller.uid, name: reseller.name, owner: (await owners(deps.store)).get(reseller.uid) ?? null };
}
