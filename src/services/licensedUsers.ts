/**
 * The installation's VB365 licensed users (`GET /v6/LicensedUsers`) and license totals
 * (`GET /v6/License`): every user that holds or waits for a unit at `now`, with its state from
 * the engine's installation-wide classification.
 */
import type { Kysely } from 'kysely';
import { classifyUsers, licensedUnits, RETENTION_WINDOW_MS, type LicenseState } from '../domain/vb365.js';
import { COMMUNITY_LICENSE, type Vb365License } from '../domain/licenses.js';
import { vb365ActivitiesInWindow, withHoldStarts } from '../store/readModels.js';
import type { Database } from '../store/schema.js';

export interface LicensedUser {
  organizationId: string;
  organizationName: string | null;
  organizationType: string | null;
  userId: string;
  name: string;
  lastBackupAt: number;
  state: LicenseState;
}

/**
 * All users holding or waiting for a unit, sorted by name (then organization and user id) so that
 * pages are stable. This reads every active user of the installation: the states depend on the
 * installation-wide FIFO ranking.
 */
export async function licensedUsers(
  db: Kysely<Database>,
  license: Vb365License | null,
  now: number,
  timeZone: string,
): Promise<LicensedUser[]> {
  const activities = await vb365ActivitiesInWindow(db, now);
  const terms = license ?? COMMUNITY_LICENSE;
  const withStarts = terms.type === 'Rental' && activities.length > licensedUnits(terms) ? await withHoldStarts(db, activities, now) : activities;
  const classified = classifyUsers(withStarts, license, now, timeZone);
  if (classified.length === 0) return [];
  const [names, organizations] = await Promise.all([
    db.selectFrom('vb365_users').select(['organization_id', 'user_id', 'name']).where('last_backup_at', '>', now - RETENTION_WINDOW_MS).execute(),
    db.selectFrom('organizations').select(['id', 'name', 'type']).execute(),
  ]);
  const nameOf = new Map(names.map((row) => [`${row.organization_id}\u0000${row.user_id}`, row.name]));
  const orgOf = new Map(organizations.map((row) => [row.id, row]));
  return classified
    .map((user) => ({
      organizationId: user.organizationId,
      organizationName: orgOf.get(user.organizationId)?.name ?? null,
      organizationType: orgOf.get(user.organizationId)?.type ?? null,
      userId: user.userId,
      name: nameOf.get(`${user.organizationId}\u0000${user.userId}`) ?? user.userId,
      lastBackupAt: user.lastBackupAt,
      state: user.state,
    }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.organizationId, b.organizationId) || compare(a.userId, b.userId));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The name filter: a linear wildcard matcher, never a regular expression (see domain/wildcard.ts). */
export { wildcardMatcher } from '../domain/wildcard.js';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * A licensed user's REST id, `<officeId>:<onPremisesId>` as VB365 forms it: the Microsoft 365 id
 * first for cloud and hybrid organizations, the on-premises id second for on-premises ones.
 */
export function licensedUserRestId(user: Pick<LicensedUser, 'userId' | 'organizationType'>): string {
  return user.organizationType === 'OnPremises' ? `${ZERO_GUID}:${user.userId}` : `${user.userId}:${ZERO_GUID}`;
}
