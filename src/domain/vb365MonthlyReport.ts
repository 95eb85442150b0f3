/**
 * VB365 usage over an interval: the rental monthly usage report (rule 11) and the License
 * Overview report. Pure functions over each user's backup history; the per-instant rules are the
 * engine's (`holdsUnit`, `isNewUser` in vb365.ts).
 *
 * Decisions:
 * - A user "consumed the license" during [start, end) when at some instant of it the user held a
 *   unit (rules 3–4) and was not New (rule 5). Within one month the New status does not change,
 *   so for a monthly report this is: held a unit at some instant of the month and was first backed
 *   up before it. It is the v6 `initialUsersCount` ("number of users that consume the license
 *   within the time period covered by the report"); `reportedUsersCount` is that minus the users
 *   the provider removed when approving.
 * - A user is "new" in the interval when it had the New status (Rental, first backup in the
 *   current month, holding a unit) at some instant of it; for a monthly report: first backed up in
 *   that month.
 * - "In use" (License Overview) is held a unit at some instant, New or not: the product's overview
 *   counts new users as in use.
 * - Whether a user holds a unit only changes at its backups, its revocations, 31 days after a
 *   backup and (New → consuming) at month starts; a unit held at some instant is therefore held
 *   at `start`, at one of the user's backups in the interval, or from a month start in it. Those
 *   are the only instants examined.
 */
import { DateTime } from 'luxon';
import type { Instant } from '../time.js';
import type { Vb365License } from './licenses.js';
import { holdsUnit, isNewUser, type UserActivity } from './vb365.js';

/** One user's counting backups and license revocations in one organization. */
export interface UserHistory {
  organizationId: string;
  userId: string;
  /** Earliest counting backup ever (may be earlier than every entry of `backups`). */
  firstBackupAt: Instant;
  /** Counting backups; at least every one in (start − 31 days, end) of the interval examined. */
  backups: readonly Instant[];
  /** Revocations; at least every one in (start − 31 days, end). */
  revocations: readonly Instant[];
}

/** The user's activity as the engine sees it at `at`; null before its first backup. */
export function activityOfHistoryAt(history: UserHistory, at: Instant): UserActivity | null {
  if (history.firstBackupAt > at) return null;
  let last = history.firstBackupAt;
  for (const backup of history.backups) if (backup <= at && backup > last) last = backup;
  let revoked = -Infinity;
  for (const revocation of history.revocations) if (revocation <= at && revocation > revoked) revoked = revocation;
  const activity: UserActivity = { organizationId: history.organizationId, userId: history.userId, firstBackupAt: history.firstBackupAt, lastBackupAt: last };
  return revoked === -Infinity ? activity : { ...activity, revokedAt: revoked };
}

/** Every month start (in `zone`) strictly inside (start, end). */
function monthStartsWithin(start: Instant, end: Instant, zone: string): Instant[] {
  const starts: Instant[] = [];
  let next = DateTime.fromMillis(start, { zone }).startOf('month').plus({ months: 1 });
  while (next.toMillis() < end) {
    starts.push(next.toMillis());
    next = next.plus({ months: 1 });
  }
  return starts;
}

/** The instants of [start, end) at which the user's state may begin (see the module comment). */
function examinedInstants(history: UserHistory, start: Instant, end: Instant, zone: string): Instant[] {
  const instants = [start, ...monthStartsWithin(start, end, zone)];
  for (const backup of history.backups) if (backup >= start && backup < end) instants.push(backup);
  return instants;
}

export interface IntervalStatus {
  /** Held a unit at some instant, New or not. */
  inUse: boolean;
  /** Held a unit and was not New at some instant. */
  consumed: boolean;
  /** Had the New status at some instant (Rental only). */
  wasNew: boolean;
}

/** What the user did with a license unit during [start, end); `zone` sets month boundaries (rule 23). */
export function statusDuring(history: UserHistory, license: Vb365License, start: Instant, end: Instant, zone: string): IntervalStatus {
  const status: IntervalStatus = { inUse: false, consumed: false, wasNew: false };
  if (end <= start) return status;
  // One sweep over the instants and the user's events in time order (activityOfHistoryAt at each
  // instant, without reading every event again at every instant: linear, not quadratic, in the
  // backups of the interval), stopping once nothing more can be learnt.
  const instants = examinedInstants(history, start, end, zone).sort((a, b) => a - b);
  const backups = [...history.backups].sort((a, b) => a - b);
  const revocations = [...history.revocations].sort((a, b) => a - b);
  let b = 0;
  let r = 0;
  let last = history.firstBackupAt;
  let revoked = -Infinity;
  for (const at of instants) {
    while (b < backups.length && backups[b]! <= at) last = Math.max(last, backups[b++]!);
    while (r < revocations.length && revocations[r]! <= at) revoked = Math.max(revoked, revocations[r++]!);
    if (history.firstBackupAt > at) continue;
    const activity: UserActivity = { organizationId: history.organizationId, userId: history.userId, firstBackupAt: history.firstBackupAt, lastBackupAt: last };
    if (revoked !== -Infinity) activity.revokedAt = revoked;
    if (!holdsUnit(activity, at)) continue;
    status.inUse = true;
    if (isNewUser(activity, license, at, zone)) status.wasNew = true;
    else status.consumed = true;
    if (status.consumed && (status.wasNew || license.type !== 'Rental')) break;
  }
  return status;
}

export interface OrganizationUsage {
  organizationId: string;
  /** Users that consumed the license (held a unit while not New). */
  consumedUsers: number;
  /** Users with the New status at some instant (Rental). */
  newUsers: number;
  /** Users that held a unit, New or not. */
  usersInUse: number;
}

/** Per organization, sorted by organization id; organizations without any such user are left out. */
export function usageByOrganization(
  histories: Iterable<UserHistory>,
  license: Vb365License,
  start: Instant,
  end: Instant,
  zone: string,
): OrganizationUsage[] {
  const byOrganization = new Map<string, OrganizationUsage>();
  for (const history of histories) {
    const status = statusDuring(history, license, start, end, zone);
    if (!status.inUse) continue;
    const usage = byOrganization.get(history.organizationId) ?? { organizationId: history.organizationId, consumedUsers: 0, newUsers: 0, usersInUse: 0 };
    usage.usersInUse++;
    if (status.consumed) usage.consumedUsers++;
    if (status.wasNew) usage.newUsers++;
    byOrganization.set(history.organizationId, usage);
  }
  return [...byOrganization.values()].sort((a, b) => (a.organizationId < b.organizationId ? -1 : a.organizationId > b.organizationId ? 1 : 0));
}

/** A removal the provider asks for when approving: users left out of the report, with a reason. */
export interface ReportRemoval {
  organizationId: string;
  removedUsersCount: number;
  removalReason: string;
}

/** An organization's line in the monthly report. */
export interface MonthlyReportLine {
  organizationId: string;
  organizationName: string;
  initialUsersCount: number;
  newUsersCount: number;
}

export class RemovalError extends Error {}

/**
 * Checks the removals against the report's lines: every organization in the report, at most once,
 * and 0 ≤ removed ≤ its initial count. Organization ids are matched case-insensitively; the
 * result names them as the report does. Throws RemovalError with a message for the client.
 */
export function validateRemovals(lines: readonly MonthlyReportLine[], removals: readonly ReportRemoval[]): ReportRemoval[] {
  const byId = new Map(lines.map((line) => [line.organizationId.toLowerCase(), line]));
  const seen = new Set<string>();
  return removals.map((removal) => {
    const line = byId.get(removal.organizationId.toLowerCase());
    if (!line) throw new RemovalError(`Organization ${removal.organizationId} is not in the report.`);
    if (seen.has(line.organizationId)) throw new RemovalError(`Organization ${removal.organizationId} is listed more than once.`);
    seen.add(line.organizationId);
    if (!Number.isInteger(removal.removedUsersCount) || removal.removedUsersCount < 0) {
      throw new RemovalError(`removedUsersCount of organization ${removal.organizationId} must be a whole number, 0 or more.`);
    }
    if (removal.removedUsersCount > line.initialUsersCount) {
      throw new RemovalError(
        `removedUsersCount of organization ${removal.organizationId} is ${removal.removedUsersCount}, more than the ${line.initialUsersCount} users it reports.`,
      );
    }
    return { organizationId: line.organizationId, removedUsersCount: removal.removedUsersCount, removalReason: removal.removalReason };
  });
}

export interface ReportedLine extends MonthlyReportLine {
  removedUsersCount: number;
  removalReason: string;
  reportedUsersCount: number;
}

/** Lines with their removals applied: reported = initial − removed. */
export function applyRemovals(lines: readonly MonthlyReportLine[], removals: readonly ReportRemoval[]): ReportedLine[] {
  const byId = new Map(removals.map((r) => [r.organizationId, r]));
  return lines.map((line) => {
    const removal = byId.get(line.organizationId);
    const removed = removal?.removedUsersCount ?? 0;
    return { ...line, removedUsersCount: removed, removalReason: removal?.removalReason ?? '', reportedUsersCount: line.initialUsersCount - removed };
  });
}

export interface ReportSummary {
  initialUsersCount: number;
  reportedUsersCount: number;
  newUsersCount: number;
}

export function summarize(lines: readonly ReportedLine[]): ReportSummary {
  return lines.reduce(
    (sum, line) => ({
      initialUsersCount: sum.initialUsersCount + line.initialUsersCount,
      reportedUsersCount: sum.reportedUsersCount + line.reportedUsersCount,
      newUsersCount: sum.newUsersCount + line.newUsersCount,
    }),
    { initialUsersCount: 0, reportedUsersCount: 0, newUsersCount: 0 },
  );
}

/** Days of the new month during which the provider may review and approve; afterwards the report is sent automatically. */
export const REVIEW_DAYS = 3;

/** When the report of the month that ends at `monthEnd` is approved automatically: the end of day 3 of the next month. */
export function autoApprovalAt(monthEnd: Instant, zone: string): Instant {
  return DateTime.fromMillis(monthEnd, { zone }).plus({ days: REVIEW_DAYS }).toMillis();
}
