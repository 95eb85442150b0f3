/**
 * `GET /api/v3/users/me`: the calling account as a VSPC `User`. Tally's roles carry the VSPC
 * display names of the documentation; the `User.role` enum of 3.6.1 names them differently
 * (reference §8): a Service Provider Global Administrator is a `ResellerOwner`, a Read-only User a
 * `PortalReadonlyOperator`, and so on; Tally's own roles (`Vb365Administrator`, `Ingest`) have no
 * VSPC role and read `Unknown`. An account holding several roles reads as the first VSPC one in
 * the order below (broadest first). `organizationUid` is the company or reseller the account is
 * confined to, or for provider-wide accounts the provider organization of this installation
 * (services/installationIds.ts): Tally has no provider entity, so its uid is the installation's.
 */
import type { Store } from '../../store/database.js';
import type { Principal, Role } from '../auth.js';
import { installationId } from '../installationIds.js';

const VSPC_ROLE: readonly [Role, string][] = [
  ['PortalAdministrator', 'PortalAdministrator'],
  ['ServiceProviderGlobalAdministrator', 'ResellerOwner'],
  ['ServiceProviderAdministrator', 'ResellerAdministrator'],
  ['ServiceProviderOperator', 'ResellerOperator'],
  ['ServiceProviderUser', 'ResellerUser'],
  ['ServiceProviderInvoiceAuditor', 'ResellerInvoiceAuditor'],
  ['CompanyOwner', 'CompanyOwner'],
  ['CompanyAdministrator', 'CompanyAdministrator'],
  ['CompanyInvoiceAuditor', 'CompanyInvoiceAuditor'],
  ['ReadOnlyUser', 'PortalReadonlyOperator'],
];

export interface CurrentUser {
  instanceUid: string;
  organizationUid: string;
  userName: string;
  role: string;
  status: 'Enabled';
}

export async function currentUser(deps: { store: Store }, principal: Principal): Promise<CurrentUser> {
  const role = VSPC_ROLE.find(([tally]) => principal.roles.includes(tally))?.[1] ?? 'Unknown';
  return {
    instanceUid: principal.uid,
    organizationUid: principal.scopeUid ?? (await installationId(deps.store, 'vspc.installationId')),
    userName: principal.username,
    role,
    // A disabled account cannot authenticate: whoever asks is enabled.
    status: 'Enabled',
  };
}
