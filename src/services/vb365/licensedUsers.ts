/**
 * Operations on the VB365 license and its licensed users: the license with its usage
 * (`GET /v6/License`), the licensed users (`GET /v6/LicensedUsers`) and revoking one
 * (`DELETE /v6/LicensedUsers/{id}`).
 *
 * Scope: a confined caller sees the licensed users of its organizations only, and the license's
 * `usedNumber`/`newNumber` count those users only (their states still come from the
 * installation-wide ranking); everything else of the license is the installation's.
 */
import { COMMUNITY_LICENSE, type Vb365License } from '../../domain/licenses.js';
import { licensedUnits } from '../../domain/vb365.js';
import { wildcardMatcher } from '../../domain/wildcard.js';
import type { Vb365LicenseBody } from '../../schemas/admin.js';
import { getLicenseTerms } from '../../store/entities.js';
import { lastDataRemoval } from '../../store/readModels.js';
import { formatInstant, parseRfc3339 } from '../../time.js';
import * as audit from '../audit.js';
import { Conflict, NotFound } from '../errors.js';
import { licensedUserRestId, licensedUsers, type LicensedUser } from '../licensedUsers.js';
import type { Caller, Vb365Services } from './context.js';
import { seesEverything, visibleOrganizationIds } from './scope.js';

export interface LicenseSummary {
  now: number;
  /** The stored terms (contact fields), when a license is installed. */
  terms: Vb365LicenseBody | undefined;
  license: Vb365License;
  status: 'Valid' | 'Expired';
  expirationDate: number | null;
  supportExpirationDate: number | null;
  totalNumber: number;
  usedNumber: number;
  newNumber: number;
}

/** The licensed users the caller may see, at `now`, sorted by name. */
async function visibleLicensedUsers(services: Vb365Services, caller: Caller, now: number): Promise<LicensedUser[]> {
  const [users, visible] = await Promise.all([
    licensedUsers(services.store.db, await services.licensing.vb365License(now), now, services.timeZone),
    visibleOrganizationIds(services, caller),
  ]);
  return seesEverything(caller) ? users : users.filter((user) => visible(user.organizationId));
}

/** `GET /v6/License`. */
export async function licenseSummary(services: Vb365Services, caller: Caller): Promise<LicenseSummary> {
  const now = await services.clock.now();
  const terms = (await getLicenseTerms(services.store.db, 'vb365')) as Vb365LicenseBody | undefined;
  const license = await services.licensing.vb365License(now);
  let usage: { usedNumber: number; newNumber: number };
  if (seesEverything(caller)) {
    usage = await services.licensing.vb365LicenseUsage(now, license);
  } else {
    const users = await visibleLicensedUsers(services, caller, now);
    usage = {
      usedNumber: users.filter((u) => u.state === 'Licensed' || u.state === 'TemporarilyAssigned').length,
      newNumber: users.filter((u) => u.state === 'New').length,
    };
  }
  const expirationDate = terms ? parseRfc3339(terms.expirationDate) : null;
  return {
    now,
    terms,
    license: license ?? COMMUNITY_LICENSE,
    // Past its expiration date a license is Expired, grace period or not (rule 10).
    status: expirationDate !== null && now > expirationDate ? 'Expired' : 'Valid',
    expirationDate,
    supportExpirationDate: terms?.supportExpirationDate ? parseRfc3339(terms.supportExpirationDate) : null,
    totalNumber: licensedUnits(license ?? COMMUNITY_LICENSE),
    ...usage,
  };
}

export interface LicensedUsersQuery {
  offset: number;
  limit: number;
  organizationId?: string | undefined;
  /** The product's name filter: `*` any run, `?` one character (domain/wildcard.ts, linear). */
  name?: string | undefined;
}

/** `GET /v6/LicensedUsers`: one page of the users the caller may see, and how many match. */
export async function listLicensedUsers(services: Vb365Services, caller: Caller, query: LicensedUsersQuery): Promise<{ users: LicensedUser[]; totalCount: number }> {
  let users = await visibleLicensedUsers(services, caller, await services.clock.now());
  if (query.organizationId) {
    const organizationId = query.organizationId.toLowerCase();
    users = users.filter((u) => u.organizationId === organizationId);
  }
  if (query.name) {
    const matches = wildcardMatcher(query.name);
    users = users.filter((u) => matches(u.name));
  }
  return { users: users.slice(query.offset, query.offset + query.limit), totalCount: users.length };
}

/**
 * `DELETE /v6/LicensedUsers/{id}`: revokes the license of a user the caller may see (rule 4:
 * not while a backup repository holds its data), as a `vb365.licenseRevoked` event, audited.
 */
export async function revokeLicense(services: Vb365Services, caller: Caller, input: { licensedUserId: string }): Promise<void> {
  const id = input.licensedUserId.toLowerCase();
  const now = await services.clock.now();
  const user = (await visibleLicensedUsers(services, caller, now)).find((u) => licensedUserRestId(u).toLowerCase() === id);
  if (!user) throw new NotFound(`Licensed user with ID ${input.licensedUserId} was not found.`);
  const db = services.store.db;
  const removedAt = await lastDataRemoval(db, user.organizationId, user.userId, now);
  if (removedAt === null || removedAt < user.lastBackupAt) {
    throw new Conflict(`Cannot revoke the license of ${user.name}: a backup repository still contains data of this user. Remove the user's data first.`);
  }
  await services.ingestion.ingest([
    {
      id: `vb365.licenseRevoked:${user.organizationId}:${user.userId}:${now}`,
      type: 'vb365.licenseRevoked',
      at: formatInstant(now),
      organizationId: user.organizationId,
      userId: user.userId,
    },
  ]);
  await audit.recordCommitted(db, caller, {
    action: 'vb365.license_revoke',
    target: `licensed-user/${licensedUserRestId(user)}`,
    details: { organizationId: user.organizationId, userId: user.userId, name: user.name },
  });
}
