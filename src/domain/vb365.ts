/**
 * VB365 licensing engine: which users hold, wait for or are new to a license unit at an instant,
 * and the per-organization LicensingInformation figures. Pure functions, no I/O.
 *
 * Decisions (contract §5, rules 1–9 of the licensing reference):
 * - a user holds a unit at `now` if it has a counting backup in (now − 31 days, now];
 * - its first backup is its earliest counting backup in that organization;
 * - Rental: a user whose first backup lies in the current month is New and consumes nothing;
 * - consuming users are ranked installation-wide by first backup (ties by user id, then
 *   organization id); the first `totalNumber` are Licensed, the next `allowance` are
 *   TemporarilyAssigned, the rest Exceeded.
 */
import { DAY_MS, oneMonthBefore, startOfMonth, type Instant } from '../time.js';
import { COMMUNITY_LICENSE, type Vb365License } from './licenses.js';

export const RETENTION_WINDOW_MS = 31 * DAY_MS;

export const USER_KINDS = [
  'user',
  'sharedMailbox',
  'resourceMailbox',
  'groupMailbox',
  'publicFolderMailbox',
  'teams',
  'site',
  'external',
] as const;
export type UserKind = (typeof USER_KINDS)[number];

const MAILBOX_KINDS: ReadonlySet<UserKind> = new Set([
  'sharedMailbox',
  'resourceMailbox',
  'groupMailbox',
  'publicFolderMailbox',
]);

/**
 * Rules 1–2: a personal account consumes; shared, resource, group and public-folder mailboxes
 * consume only with a Microsoft 365 license; Teams, non-personal sites and external users never.
 */
export function backupConsumesLicense(kind: UserKind, m365Licensed: boolean): boolean {
  if (kind === 'user') return true;
  if (MAILBOX_KINDS.has(kind)) return m365Licensed;
  return false;
}

/** A user's counting backups in one organization, reduced to what the rules need, at some `now`. */
export interface UserActivity {
  organizationId: string;
  userId: string;
  /** Earliest counting backup at or before now. */
  firstBackupAt: Instant;
  /** Latest counting backup at or before now. */
  lastBackupAt: Instant;
  /** Latest revocation of its license at or before now, if any (rule 4). */
  revokedAt?: Instant;
}

/**
 * Reduces a user's counting backup instants (and license revocations) to its activity at `now`;
 * null if no backup is at or before now.
 */
export function activityAt(
  organizationId: string,
  userId: string,
  backups: Iterable<Instant>,
  now: Instant,
  revocations: Iterable<Instant> = [],
): UserActivity | null {
  let first = Infinity;
  let last = -Infinity;
  for (const at of backups) {
    if (at > now) continue;
    if (at < first) first = at;
    if (at > last) last = at;
  }
  if (first === Infinity) return null;
  let revoked = -Infinity;
  for (const at of revocations) if (at <= now && at > revoked) revoked = at;
  const activity: UserActivity = { organizationId, userId, firstBackupAt: first, lastBackupAt: last };
  return revoked === -Infinity ? activity : { ...activity, revokedAt: revoked };
}

/**
 * Rules 3–4: the unit is held while a restore point is younger than 31 days, unless the license
 * was revoked at or after the last backup (a later backup takes a unit again).
 */
export function holdsUnit(activity: UserActivity, now: Instant): boolean {
  const revoked = activity.revokedAt !== undefined && activity.revokedAt >= activity.lastBackupAt;
  return !revoked && activity.lastBackupAt > now - RETENTION_WINDOW_MS && activity.lastBackupAt <= now;
}

/** Rule 5: under a rental license a user first backed up in the current month is New. */
export function isNewUser(activity: UserActivity, license: Vb365License, now: Instant, zone: string): boolean {
  return license.type === 'Rental' && activity.firstBackupAt >= startOfMonth(now, zone);
}

/**
 * Rule 9: how many users beyond `totalNumber` may be processed. Subscription max(10, 10 %),
 * Rental max(20, 20 %), both doubled when auto-update is on and a usage report was sent within
 * the last month; Evaluation, NFR and Community none. Percentages round down.
 */
export function exceedAllowance(license: Vb365License, now: Instant, zone: string): number {
  const base =
    license.type === 'Subscription' ? { users: 10, percent: 10 } :
    license.type === 'Rental' ? { users: 20, percent: 20 } :
    null;
  if (!base) return 0;
  const reportRecent =
    license.lastReportSentAt !== null &&
    license.lastReportSentAt <= now &&
    license.lastReportSentAt > oneMonthBefore(now, zone);
  const factor = license.autoUpdate && reportRecent ? 2 : 1;
  return Math.max(base.users * factor, Math.floor((license.totalNumber * base.percent * factor) / 100));
}

/** Units the license grants; Community never grants more than 10 users, whatever its stated size (rule 9). */
export function licensedUnits(license: Vb365License): number {
  return license.type === 'Community' ? Math.min(license.totalNumber, COMMUNITY_LICENSE.totalNumber) : license.totalNumber;
}

export type LicenseState = 'Licensed' | 'New' | 'TemporarilyAssigned' | 'Exceeded';

export interface ClassifiedUser extends UserActivity {
  state: LicenseState;
}

function compareByFirstBackup(a: UserActivity, b: UserActivity): number {
  return (
    a.firstBackupAt - b.firstBackupAt ||
    (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) ||
    (a.organizationId < b.organizationId ? -1 : a.organizationId > b.organizationId ? 1 : 0)
  );
}

/**
 * Classifies every user of the installation that holds or waits for a unit at `now`.
 * `activities` may contain users that no longer hold a unit; they are left out of the result.
 */
export function classifyUsers(
  activities: Iterable<UserActivity>,
  license: Vb365License | null,
  now: Instant,
  zone: string,
): ClassifiedUser[] {
  const terms = license ?? COMMUNITY_LICENSE;
  const consuming: UserActivity[] = [];
  const result: ClassifiedUser[] = [];
  for (const activity of activities) {
    if (!holdsUnit(activity, now)) continue;
    if (isNewUser(activity, terms, now, zone)) result.push({ ...activity, state: 'New' });
    else consuming.push(activity);
  }
  consuming.sort(compareByFirstBackup);
  const licensedLimit = licensedUnits(terms);
  const assignedLimit = licensedLimit + exceedAllowance(terms, now, zone);
  consuming.forEach((activity, rank) => {
    const state: LicenseState =
      rank < licensedLimit ? 'Licensed' : rank < assignedLimit ? 'TemporarilyAssigned' : 'Exceeded';
    result.push({ ...activity, state });
  });
  return result;
}

export interface OrganizationLicensingInformation {
  licensedUsers: number;
  newUsers: number;
}

/** `licensedUsers` = Licensed + TemporarilyAssigned users of the organization; `newUsers` = its New users. */
export function organizationLicensingInformation(
  classified: Iterable<ClassifiedUser>,
  organizationId: string,
): OrganizationLicensingInformation {
  let licensedUsers = 0;
  let newUsers = 0;
  for (const user of classified) {
    if (user.organizationId !== organizationId) continue;
    if (user.state === 'Licensed' || user.state === 'TemporarilyAssigned') licensedUsers++;
    else if (user.state === 'New') newUsers++;
  }
  return { licensedUsers, newUsers };
}
