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
 *   TemporarilyAssigned, the rest Exceeded;
 * - Rental: the allowance lasts 2 months of continuous over-limit use, then the excess is Exceeded;
 * - past the grace period after expiry (Subscription 1 month, Rental 2, others none) nothing is
 *   processed: every consuming user is Exceeded.
 */
import { DAY_MS, firstInstantWhen, oneMonthBefore, plusMonths, startOfMonth, startOfNextMonth, type Instant } from '../time.js';
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
  /**
   * Start of the current uninterrupted hold: the first backup after the last gap of 31 days or
   * more, or after the last revocation. Needed only to time the rental exceed allowance; when it
   * is absent the first backup stands in for it.
   */
  holdSince?: Instant;
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
  const past = [...backups].filter((at) => at <= now).sort((a, b) => a - b);
  if (past.length === 0) return null;
  const revokedAll = [...revocations].filter((at) => at <= now).sort((a, b) => a - b);
  const first = past[0]!;
  const last = past[past.length - 1]!;
  let holdSince = first;
  let r = 0;
  for (let i = 1; i < past.length; i++) {
    const previous = past[i - 1]!;
    const at = past[i]!;
    // A revocation at or after the previous backup released the unit, as did 31 days without one.
    while (r < revokedAll.length && revokedAll[r]! < previous) r++;
    const revokedBetween = r < revokedAll.length && revokedAll[r]! < at;
    if (revokedBetween || at - previous >= RETENTION_WINDOW_MS) holdSince = at;
  }
  const activity: UserActivity = { organizationId, userId, firstBackupAt: first, lastBackupAt: last, holdSince };
  const revoked = revokedAll.length > 0 ? revokedAll[revokedAll.length - 1]! : undefined;
  return revoked === undefined ? activity : { ...activity, revokedAt: revoked };
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

/**
 * Rule 10: the end of the grace period after the license expires (Subscription 1 month, Rental
 * 2 months, Evaluation and NFR none); null for a license that does not expire.
 */
export function graceEndsAt(license: Vb365License, zone: string): Instant | null {
  if (license.expirationDate === null) return null;
  const months = license.type === 'Subscription' ? 1 : license.type === 'Rental' ? 2 : 0;
  return plusMonths(license.expirationDate, months, zone);
}

/** Rule 10: past the grace period the product stops processing every user account. */
export function processingStopped(license: Vb365License, now: Instant, zone: string): boolean {
  const end = graceEndsAt(license, zone);
  return end !== null && now > end;
}

/** How long a Rental installation may stay above its license with the allowance (rule 9). */
export const RENTAL_EXCEED_MONTHS = 2;

/** When a consuming user began to consume in its current hold: Rental users only from the month after their first backup. */
export function consumptionStart(activity: UserActivity, license: Vb365License, zone: string): Instant {
  const hold = activity.holdSince ?? activity.firstBackupAt;
  return license.type === 'Rental' ? Math.max(hold, startOfNextMonth(activity.firstBackupAt, zone)) : hold;
}

/**
 * Rule 9, Rental: the allowance lasts 2 months, after which users beyond the license are no
 * longer processed. The over-limit period is taken to have begun when the (units + 1)-th of the
 * users consuming now began its current hold: from then on at least that many users consumed
 * without interruption, so the installation has been over its license at least that long. The
 * answer needs no state beyond the ledger, does not depend on arrival order, and a backup at
 * `now` never makes the period longer (it starts no hold before `now`).
 * `starts` are the consumption starts of the users consuming at `now`.
 */
export function rentalAllowanceExpired(
  license: Vb365License,
  starts: readonly Instant[],
  now: Instant,
  zone: string,
): boolean {
  const units = licensedUnits(license);
  if (license.type !== 'Rental' || starts.length <= units) return false;
  const sorted = [...starts].sort((a, b) => a - b);
  return plusMonths(sorted[units]!, RENTAL_EXCEED_MONTHS, zone) <= now;
}

/**
 * Users processed at `now`: `licensed` get Licensed, the next `allowance` TemporarilyAssigned,
 * the rest Exceeded. `starts` (consumption starts of the consuming users) are read only for a
 * Rental license over its limit.
 */
export function processingLimits(
  license: Vb365License,
  consumingCount: number,
  starts: () => readonly Instant[],
  now: Instant,
  zone: string,
): { licensed: number; allowance: number } {
  if (processingStopped(license, now, zone)) return { licensed: 0, allowance: 0 };
  const licensed = licensedUnits(license);
  let allowance = exceedAllowance(license, now, zone);
  if (allowance > 0 && consumingCount > licensed && rentalAllowanceExpired(license, starts(), now, zone)) allowance = 0;
  return { licensed, allowance };
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
  const limits = processingLimits(terms, consuming.length, () => consuming.map((a) => consumptionStart(a, terms, zone)), now, zone);
  const licensedLimit = limits.licensed;
  const assignedLimit = licensedLimit + limits.allowance;
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

// ---------------------------------------------------------------------------------------------
// When an answer can change with no new event. Each rule above says, beside it, the next instant
// at which its outcome can differ; the answer cache keeps an answer until the earliest of them
// (src/services/answerCache.ts), so the cache holds no copy of the rules. Earlier is always safe.

/** Rule 3: a unit held by a user last backed up at `lastBackupAt` is released 31 days later. */
export function unitReleasedAt(lastBackupAt: Instant): Instant {
  return lastBackupAt + RETENTION_WINDOW_MS;
}

/** Rule 5: New users (Rental) start to consume at the next month start. */
export function newUsersConsumeAt(now: Instant, zone: string): Instant {
  return startOfNextMonth(now, zone);
}

/** Rule 10: the first instant at which the product stops processing (just past the grace); null if it never does or already did. */
export function processingStopsAt(license: Vb365License, now: Instant, zone: string): Instant | null {
  const end = graceEndsAt(license, zone);
  return end !== null && end + 1 > now ? end + 1 : null;
}

/**
 * Rule 9: the next instant at which a usage report sent at `sentAt` becomes recent (it is dated
 * in the future) or stops being recent (one month after it), which doubles or halves the allowance.
 */
export function reportRecencyChangesAt(sentAt: Instant | null, now: Instant, zone: string): Instant | null {
  if (sentAt === null) return null;
  if (sentAt > now) return sentAt;
  if (sentAt <= oneMonthBefore(now, zone)) return null;
  // A report is recent while it is later than one month before now: find the first instant it is not.
  return firstInstantWhen((t) => sentAt <= oneMonthBefore(t, zone), now, sentAt + 32 * DAY_MS);
}

/**
 * Until when (exclusive) the VB365 usage at `now` holds if no event arrives: the earliest of the
 * next 31-day release (`nextRelease`, the oldest backup still counted + 31 days), the next month
 * start, the end of the grace period, the instants at which a usage report becomes or stops being
 * recent (the license's own, and `nextSending`, the next stored report sending). A Rental
 * installation over its license answers for this instant only: its allowance may run out at any
 * user's hold anniversary (rule 9), which the counts do not tell.
 */
export function vb365UsageChangesAt(input: {
  license: Vb365License;
  consuming: number;
  now: Instant;
  zone: string;
  nextRelease: Instant | null;
  nextSending: Instant | null;
}): Instant {
  const { license, consuming, now, zone } = input;
  if (license.type === 'Rental' && consuming > licensedUnits(license)) return now + 1;
  const candidates = [
    newUsersConsumeAt(now, zone),
    input.nextRelease,
    processingStopsAt(license, now, zone),
    license.autoUpdate ? input.nextSending : null,
    license.autoUpdate ? reportRecencyChangesAt(license.lastReportSentAt, now, zone) : null,
  ];
  return Math.min(...candidates.filter((at): at is Instant => at !== null && at > now));
}
