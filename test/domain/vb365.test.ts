/**
 * The VB365 engine against contract §5 ("Time and the answers") and rules 1–9 of the licensing
 * reference: which backups count, the 31-day window, the rental month rollover (also in other time
 * zones and across DST), the exceed allowance and the installation-wide ranking.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMUNITY_LICENSE, type Vb365License, type Vb365LicenseType } from '../../src/domain/licenses.js';
import {
  activityAt,
  backupConsumesLicense,
  classifyUsers,
  exceedAllowance,
  holdsUnit,
  organizationLicensingInformation,
  RETENTION_WINDOW_MS,
  USER_KINDS,
  type ClassifiedUser,
  type LicenseState,
  type UserActivity,
  type UserKind,
  graceEndsAt,
  processingStopped,
  rentalAllowanceExpired,
} from '../../src/domain/vb365.js';
import { startOfMonth } from '../../src/time.js';

const MS = 1;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad test instant ${iso}`);
  return ms;
};

const ORG_A = '0a000000-0000-4000-8000-00000000000a';
const ORG_B = '0b000000-0000-4000-8000-00000000000b';
const ORG_C = '0c000000-0000-4000-8000-00000000000c';

const NOW = at('2026-11-15T12:00:00.000Z');

function license(type: Vb365LicenseType, totalNumber: number, extra: Partial<Vb365License> = {}): Vb365License {
  return { type, totalNumber, expirationDate: null, autoUpdate: false, lastReportSentAt: null, ...extra };
}

function activity(organizationId: string, userId: string, firstBackupAt: number, lastBackupAt = firstBackupAt): UserActivity {
  return { organizationId, userId, firstBackupAt, lastBackupAt };
}

/** Classifies users given as raw backup instants (the way the store feeds the engine). */
function classifyBackups(
  users: { org?: string; user: string; backups: number[] }[],
  lic: Vb365License | null,
  now: number,
  zone = 'UTC',
): ClassifiedUser[] {
  const activities: UserActivity[] = [];
  for (const u of users) {
    const a = activityAt(u.org ?? ORG_A, u.user, u.backups, now);
    if (a) activities.push(a);
  }
  return classifyUsers(activities, lic, now, zone);
}

function stateOf(classified: ClassifiedUser[], userId: string, org = ORG_A): LicenseState | undefined {
  const found = classified.filter((u) => u.userId === userId && u.organizationId === org);
  assert.ok(found.length <= 1, `user ${userId} classified more than once`);
  return found[0]?.state;
}

/** The state of a single user with the given backups; undefined when it holds no unit. */
function single(backups: number[], lic: Vb365License | null, now: number, zone = 'UTC'): LicenseState | undefined {
  return stateOf(classifyBackups([{ user: 'u1', backups }], lic, now, zone), 'u1');
}

const SUBSCRIPTION = license('Subscription', 100);
const RENTAL = license('Rental', 100);

describe('backupConsumesLicense (rules 1–2)', () => {
  test('the kinds are exactly the eight of contract §4', () => {
    assert.deepEqual(
      [...USER_KINDS].sort(),
      ['external', 'groupMailbox', 'publicFolderMailbox', 'resourceMailbox', 'sharedMailbox', 'site', 'teams', 'user'],
    );
  });

  test('a user account always consumes, with or without the m365Licensed flag', () => {
    assert.equal(backupConsumesLicense('user', false), true);
    assert.equal(backupConsumesLicense('user', true), true);
  });

  for (const kind of ['sharedMailbox', 'resourceMailbox', 'groupMailbox', 'publicFolderMailbox'] as const) {
    test(`a ${kind} consumes only with a Microsoft 365 license`, () => {
      assert.equal(backupConsumesLicense(kind, true), true);
      assert.equal(backupConsumesLicense(kind, false), false);
    });
  }

  for (const kind of ['teams', 'site', 'external'] as const) {
    test(`${kind} never consumes`, () => {
      assert.equal(backupConsumesLicense(kind, false), false);
      assert.equal(backupConsumesLicense(kind, true), false);
    });
  }

  test('every kind is decided (table over all kinds × flag)', () => {
    const expected: Record<UserKind, [boolean, boolean]> = {
      user: [true, true],
      sharedMailbox: [false, true],
      resourceMailbox: [false, true],
      groupMailbox: [false, true],
      publicFolderMailbox: [false, true],
      teams: [false, false],
      site: [false, false],
      external: [false, false],
    };
    for (const kind of USER_KINDS) {
      assert.deepEqual([backupConsumesLicense(kind, false), backupConsumesLicense(kind, true)], expected[kind], kind);
    }
  });
});

/** activityAt's answer for a user held without interruption since its first backup. */
function held(organizationId: string, userId: string, firstBackupAt: number, lastBackupAt = firstBackupAt): UserActivity {
  return { ...activity(organizationId, userId, firstBackupAt, lastBackupAt), holdSince: firstBackupAt };
}

describe('activityAt', () => {
  test('reduces backups to the earliest and the latest at or before now', () => {
    const a = activityAt(ORG_A, 'u1', [NOW - 3 * DAY, NOW - 10 * DAY, NOW - DAY, NOW - 5 * DAY], NOW);
    assert.deepEqual(a, held(ORG_A, 'u1', NOW - 10 * DAY, NOW - DAY));
  });

  test('the hold starts again after 31 days without a backup (exactly 31 days is a gap), or after a revocation', () => {
    assert.equal(activityAt(ORG_A, 'u1', [NOW - 90 * DAY, NOW - 59 * DAY, NOW - 28 * DAY, NOW - DAY], NOW)?.holdSince, NOW - 28 * DAY);
    assert.equal(activityAt(ORG_A, 'u1', [NOW - 90 * DAY, NOW - 59 * DAY - MS, NOW - 28 * DAY - 2 * MS, NOW - DAY], NOW)?.holdSince, NOW - 90 * DAY);
    // A revocation at or after a backup ends the hold; the next backup starts a new one.
    assert.equal(activityAt(ORG_A, 'u1', [NOW - 20 * DAY, NOW - 10 * DAY], NOW, [NOW - 20 * DAY])?.holdSince, NOW - 10 * DAY);
    assert.equal(activityAt(ORG_A, 'u1', [NOW - 20 * DAY, NOW - 10 * DAY], NOW, [NOW - 20 * DAY - MS])?.holdSince, NOW - 20 * DAY);
    assert.equal(activityAt(ORG_A, 'u1', [NOW - 20 * DAY, NOW - 10 * DAY], NOW, [NOW - 10 * DAY])?.holdSince, NOW - 20 * DAY);
  });

  test('no backups, or only backups after now → null', () => {
    assert.equal(activityAt(ORG_A, 'u1', [], NOW), null);
    assert.equal(activityAt(ORG_A, 'u1', [NOW + 1, NOW + DAY], NOW), null);
  });

  test('a backup exactly at now is included; one at now + 1 ms is not (neither as first nor as last)', () => {
    assert.deepEqual(activityAt(ORG_A, 'u1', [NOW], NOW), held(ORG_A, 'u1', NOW, NOW));
    assert.deepEqual(activityAt(ORG_A, 'u1', [NOW + 1, NOW - DAY], NOW), held(ORG_A, 'u1', NOW - DAY, NOW - DAY));
    assert.deepEqual(activityAt(ORG_A, 'u1', [NOW - 40 * DAY, NOW + 1], NOW), held(ORG_A, 'u1', NOW - 40 * DAY, NOW - 40 * DAY));
  });

  test('accepts any iterable (a Set, a generator)', () => {
    assert.deepEqual(activityAt(ORG_A, 'u1', new Set([NOW - 2 * DAY, NOW - DAY]), NOW), held(ORG_A, 'u1', NOW - 2 * DAY, NOW - DAY));
    function* gen() {
      yield NOW - DAY;
      yield NOW - 4 * DAY;
    }
    assert.deepEqual(activityAt(ORG_A, 'u1', gen(), NOW), held(ORG_A, 'u1', NOW - 4 * DAY, NOW - DAY));
  });
});

describe('the 31-day window (now − 31 days, now] (rule 3)', () => {
  test('the window is 31 days of milliseconds', () => {
    assert.equal(RETENTION_WINDOW_MS, 31 * DAY);
  });

  test('a last backup exactly at now − 31 days does NOT hold a unit', () => {
    assert.equal(holdsUnit(activity(ORG_A, 'u1', NOW - 31 * DAY), NOW), false);
    assert.equal(single([NOW - 31 * DAY], SUBSCRIPTION, NOW), undefined);
    assert.deepEqual(classifyBackups([{ user: 'u1', backups: [NOW - 31 * DAY] }], SUBSCRIPTION, NOW), []);
  });

  test('a last backup at now − 31 days + 1 ms holds a unit', () => {
    assert.equal(holdsUnit(activity(ORG_A, 'u1', NOW - 31 * DAY + MS), NOW), true);
    assert.equal(single([NOW - 31 * DAY + MS], SUBSCRIPTION, NOW), 'Licensed');
  });

  test('a backup exactly at now holds a unit', () => {
    assert.equal(holdsUnit(activity(ORG_A, 'u1', NOW), NOW), true);
    assert.equal(single([NOW], SUBSCRIPTION, NOW), 'Licensed');
  });

  test('a backup at now + 1 ms has no effect yet', () => {
    assert.equal(single([NOW + MS], SUBSCRIPTION, NOW), undefined);
    // It neither refreshes an expired user…
    assert.equal(single([NOW - 31 * DAY, NOW + MS], SUBSCRIPTION, NOW), undefined);
    // …nor becomes the first backup of a user that is new under a rental license.
    assert.equal(single([NOW + MS], RENTAL, NOW), undefined);
    // …and it counts once the clock reaches it.
    assert.equal(single([NOW + MS], SUBSCRIPTION, NOW + MS), 'Licensed');
  });

  test('holdsUnit itself refuses an activity whose last backup lies after now', () => {
    assert.equal(holdsUnit(activity(ORG_A, 'u1', NOW - DAY, NOW + MS), NOW), false);
  });

  test('only the LAST backup decides: an old first backup with a recent one holds', () => {
    assert.equal(single([NOW - 200 * DAY, NOW - 30 * DAY], SUBSCRIPTION, NOW), 'Licensed');
  });

  test('the unit is released exactly 31 days after the last backup, as the clock moves', () => {
    const last = at('2026-11-02T08:30:00.000Z');
    assert.equal(single([last], SUBSCRIPTION, last + 31 * DAY - MS), 'Licensed');
    assert.equal(single([last], SUBSCRIPTION, last + 31 * DAY), undefined);
    assert.equal(single([last], SUBSCRIPTION, last + 31 * DAY + MS), undefined);
  });

  test('a user that holds no unit is left out of the result and of the figures', () => {
    const classified = classifyBackups(
      [
        { user: 'held', backups: [NOW - DAY] },
        { user: 'released', backups: [NOW - 40 * DAY] },
      ],
      SUBSCRIPTION,
      NOW,
    );
    assert.deepEqual(classified.map((u) => u.userId), ['held']);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 1, newUsers: 0 });
  });

  test('classifyUsers drops stale activities passed to it directly', () => {
    const classified = classifyUsers(
      [activity(ORG_A, 'old', NOW - 60 * DAY, NOW - 31 * DAY), activity(ORG_A, 'fresh', NOW - 60 * DAY, NOW - 31 * DAY + 1)],
      SUBSCRIPTION,
      NOW,
      'UTC',
    );
    assert.deepEqual(classified.map((u) => [u.userId, u.state]), [['fresh', 'Licensed']]);
  });
});

describe('Rental: New in the month of the first backup (rule 5), month boundaries in UTC', () => {
  test('first backup at 2026-11-01T00:00:00.000Z is New on 2026-11-15', () => {
    assert.equal(single([at('2026-11-01T00:00:00.000Z')], RENTAL, NOW), 'New');
    const classified = classifyBackups([{ user: 'u1', backups: [at('2026-11-01T00:00:00.000Z')] }], RENTAL, NOW);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 0, newUsers: 1 });
  });

  test('first backup at 2026-10-31T23:59:59.999Z is from October → consuming (Licensed) in November', () => {
    assert.equal(single([at('2026-10-31T23:59:59.999Z')], RENTAL, NOW), 'Licensed');
    const classified = classifyBackups([{ user: 'u1', backups: [at('2026-10-31T23:59:59.999Z')] }], RENTAL, NOW);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 1, newUsers: 0 });
  });

  test('a November user becomes Licensed at 2026-12-01T00:00:00.000Z, and is New 1 ms before', () => {
    const backups = [at('2026-11-20T10:00:00.000Z')];
    assert.equal(single(backups, RENTAL, at('2026-11-30T23:59:59.999Z')), 'New');
    assert.equal(single(backups, RENTAL, at('2026-12-01T00:00:00.000Z')), 'Licensed');
  });

  test('after the rollover the consumed unit is still subject to the 31-day window', () => {
    const backups = [at('2026-11-20T10:00:00.000Z')];
    assert.equal(single(backups, RENTAL, at('2026-12-21T09:59:59.999Z')), 'Licensed');
    assert.equal(single(backups, RENTAL, at('2026-12-21T10:00:00.000Z')), undefined);
  });

  test('a user first backed up this month is New even when backed up again later this month', () => {
    assert.equal(single([at('2026-11-02T00:00:00Z'), at('2026-11-14T00:00:00Z')], RENTAL, NOW), 'New');
  });

  test('a user first backed up last month and again this month consumes', () => {
    assert.equal(single([at('2026-10-20T00:00:00Z'), at('2026-11-14T00:00:00Z')], RENTAL, NOW), 'Licensed');
  });

  test('a New user is not in licensedUsers and a consuming one is not in newUsers', () => {
    const classified = classifyBackups(
      [
        { user: 'old', backups: [at('2026-10-20T00:00:00Z')] },
        { user: 'new1', backups: [at('2026-11-03T00:00:00Z')] },
        { user: 'new2', backups: [at('2026-11-15T12:00:00Z')] },
      ],
      RENTAL,
      NOW,
    );
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 1, newUsers: 2 });
  });

  test('a re-protected user (unit released > 31 days ago, backed up again) is not New again', () => {
    const backups = [at('2026-08-01T00:00:00Z'), at('2026-09-01T00:00:00Z'), at('2026-11-10T00:00:00Z')];
    // Released on 2026-10-15 (no backup in the window)…
    assert.equal(single(backups, RENTAL, at('2026-10-15T00:00:00Z')), undefined);
    // …backed up again on 2026-11-10: its first backup is still 2026-08-01, so it consumes.
    const a = activityAt(ORG_A, 'u1', backups, NOW);
    assert.equal(a?.firstBackupAt, at('2026-08-01T00:00:00Z'));
    assert.equal(single(backups, RENTAL, NOW), 'Licensed');
    const classified = classifyBackups([{ user: 'u1', backups }], RENTAL, NOW);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 1, newUsers: 0 });
  });

  test('first backups are per organization: the same user id new in another organization is New there', () => {
    const classified = classifyBackups(
      [
        { org: ORG_A, user: 'u1', backups: [at('2026-09-20T00:00:00Z'), at('2026-11-10T00:00:00Z')] },
        { org: ORG_B, user: 'u1', backups: [at('2026-11-10T00:00:00Z')] },
      ],
      RENTAL,
      NOW,
    );
    assert.equal(stateOf(classified, 'u1', ORG_A), 'Licensed');
    assert.equal(stateOf(classified, 'u1', ORG_B), 'New');
  });
});

describe('Rental month boundaries in a configured time zone (rule 23)', () => {
  const BERLIN = 'Europe/Berlin';
  const NEW_YORK = 'America/New_York';

  test('Europe/Berlin: November starts at 2026-10-31T23:00:00Z (CET = UTC+1)', () => {
    assert.equal(startOfMonth(NOW, BERLIN), at('2026-10-31T23:00:00.000Z'));
    assert.equal(single([at('2026-10-31T23:00:00.000Z')], RENTAL, NOW, BERLIN), 'New');
    assert.equal(single([at('2026-10-31T22:59:59.999Z')], RENTAL, NOW, BERLIN), 'Licensed');
    // The same instant is October in Berlin but… 2026-10-31T23:30Z is still October in UTC.
    assert.equal(single([at('2026-10-31T23:30:00.000Z')], RENTAL, NOW, BERLIN), 'New');
    assert.equal(single([at('2026-10-31T23:30:00.000Z')], RENTAL, NOW, 'UTC'), 'Licensed');
  });

  test('Europe/Berlin: a November user becomes Licensed at 2026-11-30T23:00:00Z (1 December 00:00 CET)', () => {
    const backups = [at('2026-11-20T10:00:00Z')];
    assert.equal(single(backups, RENTAL, at('2026-11-30T22:59:59.999Z'), BERLIN), 'New');
    assert.equal(single(backups, RENTAL, at('2026-11-30T23:00:00.000Z'), BERLIN), 'Licensed');
    // In UTC it is still November then.
    assert.equal(single(backups, RENTAL, at('2026-11-30T23:00:00.000Z'), 'UTC'), 'New');
  });

  test('America/New_York across DST: March starts 05:00Z (EST), April starts 04:00Z (EDT)', () => {
    const march = at('2026-03-15T12:00:00Z');
    const april = at('2026-04-15T12:00:00Z');
    assert.equal(startOfMonth(march, NEW_YORK), at('2026-03-01T05:00:00.000Z'));
    assert.equal(startOfMonth(april, NEW_YORK), at('2026-04-01T04:00:00.000Z'));

    assert.equal(single([at('2026-03-01T05:00:00.000Z')], RENTAL, march, NEW_YORK), 'New');
    assert.equal(single([at('2026-03-01T04:59:59.999Z')], RENTAL, march, NEW_YORK), 'Licensed');
    assert.equal(single([at('2026-04-01T04:00:00.000Z')], RENTAL, april, NEW_YORK), 'New');
    assert.equal(single([at('2026-04-01T03:59:59.999Z')], RENTAL, april, NEW_YORK), 'Licensed');
  });

  test('America/New_York: a March user (DST began 8 March) becomes Licensed at 2026-04-01T04:00:00Z', () => {
    const backups = [at('2026-03-20T15:00:00Z')];
    assert.equal(single(backups, RENTAL, at('2026-04-01T03:59:59.999Z'), NEW_YORK), 'New');
    assert.equal(single(backups, RENTAL, at('2026-04-01T04:00:00.000Z'), NEW_YORK), 'Licensed');
    // In UTC April began four hours earlier.
    assert.equal(single(backups, RENTAL, at('2026-04-01T00:00:00.000Z'), 'UTC'), 'Licensed');
    assert.equal(single(backups, RENTAL, at('2026-04-01T00:00:00.000Z'), NEW_YORK), 'New');
  });
});

describe('license types without New users (rule 6)', () => {
  const thisMonth = [at('2026-11-10T00:00:00Z')];
  for (const type of ['Subscription', 'Evaluation', 'NFR', 'Community'] as const) {
    test(`${type}: a user first backed up this month consumes and newUsers is 0`, () => {
      const classified = classifyBackups([{ user: 'u1', backups: thisMonth }, { user: 'u2', backups: [NOW] }], license(type, 10), NOW);
      assert.deepEqual(classified.map((u) => u.state), ['Licensed', 'Licensed']);
      assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 2, newUsers: 0 });
    });
  }

  test('no license (null) behaves as Community: no New users', () => {
    const classified = classifyBackups([{ user: 'u1', backups: thisMonth }], null, NOW);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 1, newUsers: 0 });
  });
});

describe('exceedAllowance (rule 9)', () => {
  test('Subscription: max(10, floor 10 %)', () => {
    const cases: [number, number][] = [[0, 10], [1, 10], [50, 10], [100, 10], [105, 10], [109, 10], [110, 11], [155, 15], [1000, 100], [1009, 100]];
    for (const [total, allowance] of cases) {
      assert.equal(exceedAllowance(license('Subscription', total), NOW, 'UTC'), allowance, `totalNumber ${total}`);
    }
  });

  test('Rental: max(20, floor 20 %)', () => {
    const cases: [number, number][] = [[0, 20], [100, 20], [104, 20], [105, 21], [155, 31], [1000, 200], [1004, 200]];
    for (const [total, allowance] of cases) {
      assert.equal(exceedAllowance(license('Rental', total), NOW, 'UTC'), allowance, `totalNumber ${total}`);
    }
  });

  const recent = { autoUpdate: true, lastReportSentAt: NOW - DAY };

  test('doubled with auto-update and a report within the last month: Subscription max(20, floor 20 %)', () => {
    const cases: [number, number][] = [[0, 20], [100, 20], [104, 20], [105, 21], [155, 31], [1000, 200]];
    for (const [total, allowance] of cases) {
      assert.equal(exceedAllowance(license('Subscription', total, recent), NOW, 'UTC'), allowance, `totalNumber ${total}`);
    }
  });

  test('doubled with auto-update and a report within the last month: Rental max(40, floor 40 %)', () => {
    const cases: [number, number][] = [[0, 40], [100, 40], [102, 40], [103, 41], [155, 62], [1000, 400]];
    for (const [total, allowance] of cases) {
      assert.equal(exceedAllowance(license('Rental', total, recent), NOW, 'UTC'), allowance, `totalNumber ${total}`);
    }
  });

  test('not doubled without auto-update, even with a recent report', () => {
    assert.equal(exceedAllowance(license('Subscription', 155, { autoUpdate: false, lastReportSentAt: NOW - DAY }), NOW, 'UTC'), 15);
    assert.equal(exceedAllowance(license('Rental', 155, { autoUpdate: false, lastReportSentAt: NOW - DAY }), NOW, 'UTC'), 31);
  });

  test('not doubled with auto-update but no report, or a report older than a month', () => {
    assert.equal(exceedAllowance(license('Subscription', 155, { autoUpdate: true, lastReportSentAt: null }), NOW, 'UTC'), 15);
    assert.equal(exceedAllowance(license('Rental', 155, { autoUpdate: true, lastReportSentAt: null }), NOW, 'UTC'), 31);
    assert.equal(exceedAllowance(license('Subscription', 155, { autoUpdate: true, lastReportSentAt: NOW - 40 * DAY }), NOW, 'UTC'), 15);
    assert.equal(exceedAllowance(license('Rental', 155, { autoUpdate: true, lastReportSentAt: NOW - 40 * DAY }), NOW, 'UTC'), 31);
  });

  test('a report dated after now has not been sent yet', () => {
    assert.equal(exceedAllowance(license('Subscription', 155, { autoUpdate: true, lastReportSentAt: NOW + MS }), NOW, 'UTC'), 15);
    assert.equal(exceedAllowance(license('Subscription', 155, { autoUpdate: true, lastReportSentAt: NOW }), NOW, 'UTC'), 31);
  });

  test('boundary: a report exactly one calendar month before now is not within the last month; 1 ms later it is', () => {
    const monthBefore = at('2026-10-15T12:00:00.000Z');
    const sentAt = (lastReportSentAt: number) => exceedAllowance(license('Subscription', 155, { autoUpdate: true, lastReportSentAt }), NOW, 'UTC');
    assert.equal(sentAt(monthBefore), 15);
    assert.equal(sentAt(monthBefore + MS), 31);
    assert.equal(sentAt(monthBefore - MS), 15);
  });

  test('boundary: "one month before" 31 March is 28 February (clamped calendar month)', () => {
    const now = at('2026-03-31T12:00:00.000Z');
    const sentAt = (lastReportSentAt: number) => exceedAllowance(license('Rental', 0, { autoUpdate: true, lastReportSentAt }), now, 'UTC');
    assert.equal(sentAt(at('2026-02-28T12:00:00.000Z')), 20);
    assert.equal(sentAt(at('2026-02-28T12:00:00.001Z')), 40);
    assert.equal(sentAt(at('2026-03-01T00:00:00.000Z')), 40);
  });

  test('boundary in Europe/Berlin: one month before 2026-11-15T13:00 CET is 2026-10-15T13:00 CEST = 11:00Z', () => {
    const sentAt = (lastReportSentAt: number, zone: string) =>
      exceedAllowance(license('Subscription', 0, { autoUpdate: true, lastReportSentAt }), NOW, zone);
    assert.equal(sentAt(at('2026-10-15T11:00:00.000Z'), 'Europe/Berlin'), 10);
    assert.equal(sentAt(at('2026-10-15T11:00:00.001Z'), 'Europe/Berlin'), 20);
    // In UTC the same report is older than a month until 12:00Z.
    assert.equal(sentAt(at('2026-10-15T11:30:00.000Z'), 'UTC'), 10);
    assert.equal(sentAt(at('2026-10-15T11:30:00.000Z'), 'Europe/Berlin'), 20);
  });

  for (const type of ['Evaluation', 'NFR', 'Community'] as const) {
    test(`${type}: no allowance, even with auto-update and a recent report`, () => {
      assert.equal(exceedAllowance(license(type, 0), NOW, 'UTC'), 0);
      assert.equal(exceedAllowance(license(type, 1000), NOW, 'UTC'), 0);
      assert.equal(exceedAllowance(license(type, 1000, recent), NOW, 'UTC'), 0);
    });
  }

  test('the Community license of an installation without license: 10 users, no allowance', () => {
    assert.equal(COMMUNITY_LICENSE.type, 'Community');
    assert.equal(COMMUNITY_LICENSE.totalNumber, 10);
    assert.equal(exceedAllowance(COMMUNITY_LICENSE, NOW, 'UTC'), 0);
  });
});

/** Deterministic shuffle (so tests do not depend on the input order they happen to use). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('installation-wide ranking (rule 9)', () => {
  const ORGS = [ORG_A, ORG_B, ORG_C];
  // 25 consuming users, user i first backed up at base + i hours, in organization i mod 3.
  const base = at('2026-10-20T00:00:00Z');
  const users = Array.from({ length: 25 }, (_, i) =>
    activity(ORGS[i % 3]!, `user-${String(i).padStart(2, '0')}`, base + i * HOUR, NOW - DAY + i * HOUR),
  );

  test('Subscription 10 (allowance 10), 25 users in 3 organizations: 10 Licensed, 10 TemporarilyAssigned, 5 Exceeded', () => {
    const lic = license('Subscription', 10);
    assert.equal(exceedAllowance(lic, NOW, 'UTC'), 10);
    for (const seed of [1, 2, 3, 42]) {
      const classified = classifyUsers(shuffled(users, seed), lic, NOW, 'UTC');
      assert.equal(classified.length, 25);
      for (let i = 0; i < 25; i++) {
        const expected: LicenseState = i < 10 ? 'Licensed' : i < 20 ? 'TemporarilyAssigned' : 'Exceeded';
        assert.equal(stateOf(classified, `user-${String(i).padStart(2, '0')}`, ORGS[i % 3]), expected, `user ${i}`);
      }
      // Ranks 0–19 are counted: A has 0,3,…,18 (7), B 1,4,…,19 (7), C 2,5,…,17 (6).
      assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 7, newUsers: 0 });
      assert.deepEqual(organizationLicensingInformation(classified, ORG_B), { licensedUsers: 7, newUsers: 0 });
      assert.deepEqual(organizationLicensingInformation(classified, ORG_C), { licensedUsers: 6, newUsers: 0 });
    }
  });

  test('ranking is by FIRST backup, not by the latest one', () => {
    const classified = classifyUsers(
      [activity(ORG_A, 'late-starter', NOW - 5 * DAY, NOW - 5 * DAY), activity(ORG_B, 'early-starter', NOW - 90 * DAY, NOW)],
      license('Evaluation', 1),
      NOW,
      'UTC',
    );
    assert.equal(stateOf(classified, 'early-starter', ORG_B), 'Licensed');
    assert.equal(stateOf(classified, 'late-starter', ORG_A), 'Exceeded');
  });

  test('ties on first backup are broken by user id, then organization id', () => {
    const t = NOW - 2 * DAY;
    const tied = [
      activity(ORG_A, 'u-b', t),
      activity(ORG_C, 'u-a', t),
      activity(ORG_B, 'u-a', t),
      activity(ORG_A, 'u-c', t),
    ];
    for (const seed of [1, 7, 99]) {
      const classified = classifyUsers(shuffled(tied, seed), license('NFR', 2), NOW, 'UTC');
      // Order: (u-a, B), (u-a, C), (u-b, A), (u-c, A).
      assert.equal(stateOf(classified, 'u-a', ORG_B), 'Licensed');
      assert.equal(stateOf(classified, 'u-a', ORG_C), 'Licensed');
      assert.equal(stateOf(classified, 'u-b', ORG_A), 'Exceeded');
      assert.equal(stateOf(classified, 'u-c', ORG_A), 'Exceeded');
    }
    const one = classifyUsers(shuffled(tied, 5), license('NFR', 1), NOW, 'UTC');
    assert.equal(stateOf(one, 'u-a', ORG_B), 'Licensed');
    assert.equal(stateOf(one, 'u-a', ORG_C), 'Exceeded');
  });

  test('an earlier first backup wins over a smaller user id', () => {
    const classified = classifyUsers(
      [activity(ORG_A, 'a', NOW - DAY), activity(ORG_A, 'z', NOW - DAY - MS)],
      license('Evaluation', 1),
      NOW,
      'UTC',
    );
    assert.equal(stateOf(classified, 'z'), 'Licensed');
    assert.equal(stateOf(classified, 'a'), 'Exceeded');
  });

  test('Evaluation/NFR: no allowance, beyond totalNumber is Exceeded', () => {
    for (const type of ['Evaluation', 'NFR'] as const) {
      const classified = classifyUsers(users.slice(0, 5), license(type, 3), NOW, 'UTC');
      assert.deepEqual(classified.map((u) => u.state), ['Licensed', 'Licensed', 'Licensed', 'Exceeded', 'Exceeded'], type);
    }
  });

  test('totalNumber 0: everyone beyond the allowance is Exceeded', () => {
    const classified = classifyUsers(users.slice(0, 12), license('Subscription', 0), NOW, 'UTC');
    assert.equal(classified.filter((u) => u.state === 'Licensed').length, 0);
    assert.equal(classified.filter((u) => u.state === 'TemporarilyAssigned').length, 10);
    assert.equal(classified.filter((u) => u.state === 'Exceeded').length, 2);
  });

  test('doubled allowance with auto-update and a recent report widens TemporarilyAssigned', () => {
    const lic = license('Subscription', 2, { autoUpdate: true, lastReportSentAt: NOW - DAY });
    const classified = classifyUsers(users, lic, NOW, 'UTC');
    assert.equal(classified.filter((u) => u.state === 'Licensed').length, 2);
    assert.equal(classified.filter((u) => u.state === 'TemporarilyAssigned').length, 20);
    assert.equal(classified.filter((u) => u.state === 'Exceeded').length, 3);
  });

  test('no license (null) → Community: 10 Licensed, no allowance, the rest Exceeded', () => {
    const classified = classifyUsers(shuffled(users.slice(0, 12), 3), null, NOW, 'UTC');
    const states = users.slice(0, 12).map((u) => stateOf(classified, u.userId, u.organizationId));
    assert.deepEqual(states, [...Array<LicenseState>(10).fill('Licensed'), 'Exceeded', 'Exceeded']);
    assert.deepEqual(classifyUsers(users.slice(0, 12), null, NOW, 'UTC'), classifyUsers(users.slice(0, 12), COMMUNITY_LICENSE, NOW, 'UTC'));
    // user-10 is in B and user-11 in C: they are Exceeded and not counted.
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 4, newUsers: 0 });
    assert.deepEqual(organizationLicensingInformation(classified, ORG_B), { licensedUsers: 3, newUsers: 0 });
    assert.deepEqual(organizationLicensingInformation(classified, ORG_C), { licensedUsers: 3, newUsers: 0 });
  });

  test('an installed Community license is a hard limit of 10 users, whatever its totalNumber (rule 9; contract §5 "Community: 10 units")', () => {
    // The admin API accepts {type: 'Community', totalNumber: 50}; rule 9 (CONFIRMED) says Community
    // is a hard limit of 10 users, and contract §5 gives Community 10 units and no allowance.
    const classified = classifyUsers(users.slice(0, 12), license('Community', 50), NOW, 'UTC');
    assert.equal(classified.filter((u) => u.state === 'Licensed').length, 10);
    assert.equal(classified.filter((u) => u.state === 'Exceeded').length, 2);
  });

  test('an installed Community license with fewer than 10 units: totalNumber applies, no allowance', () => {
    const classified = classifyUsers(users.slice(0, 12), license('Community', 5), NOW, 'UTC');
    assert.equal(classified.filter((u) => u.state === 'Licensed').length, 5);
    assert.equal(classified.filter((u) => u.state === 'Exceeded').length, 7);
  });

  test('Rental: New users take no place in the ranking', () => {
    // 22 users from October, 5 new in November; Rental 1 + allowance 20.
    const old = Array.from({ length: 22 }, (_, i) => activity(ORGS[i % 3]!, `old-${String(i).padStart(2, '0')}`, base + i * HOUR, NOW - DAY));
    const fresh = Array.from({ length: 5 }, (_, i) => activity(ORG_A, `new-${i}`, at('2026-11-02T00:00:00Z') + i * HOUR, NOW - HOUR));
    const classified = classifyUsers([...fresh, ...old], license('Rental', 1), NOW, 'UTC');
    const count = (s: LicenseState) => classified.filter((u) => u.state === s).length;
    assert.deepEqual([count('Licensed'), count('TemporarilyAssigned'), count('Exceeded'), count('New')], [1, 20, 1, 5]);
    assert.equal(stateOf(classified, 'old-00', ORG_A), 'Licensed');
    assert.equal(stateOf(classified, 'old-21', ORG_A), 'Exceeded');
    // A: old 0,3,…,18 counted (7), old-21 Exceeded; 5 new.
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 7, newUsers: 5 });
  });

  test('users that no longer hold a unit free their place for later ones', () => {
    const classified = classifyUsers(
      [
        activity(ORG_A, 'gone', NOW - 100 * DAY, NOW - 31 * DAY),
        activity(ORG_A, 'second', NOW - 90 * DAY, NOW - DAY),
        activity(ORG_B, 'third', NOW - 80 * DAY, NOW - DAY),
      ],
      license('Evaluation', 2),
      NOW,
      'UTC',
    );
    assert.deepEqual(classified.map((u) => [u.userId, u.state]), [['second', 'Licensed'], ['third', 'Licensed']]);
  });

  test('organizationLicensingInformation counts Licensed + TemporarilyAssigned, not Exceeded; unknown organization → zeros', () => {
    const classified: ClassifiedUser[] = [
      { ...activity(ORG_A, 'l', NOW), state: 'Licensed' },
      { ...activity(ORG_A, 't', NOW), state: 'TemporarilyAssigned' },
      { ...activity(ORG_A, 'e', NOW), state: 'Exceeded' },
      { ...activity(ORG_A, 'n', NOW), state: 'New' },
      { ...activity(ORG_B, 'l', NOW), state: 'Licensed' },
    ];
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 2, newUsers: 1 });
    assert.deepEqual(organizationLicensingInformation(classified, ORG_B), { licensedUsers: 1, newUsers: 0 });
    assert.deepEqual(organizationLicensingInformation(classified, ORG_C), { licensedUsers: 0, newUsers: 0 });
    assert.deepEqual(organizationLicensingInformation([], ORG_A), { licensedUsers: 0, newUsers: 0 });
  });

  test('classifyUsers does not modify the activities it is given', () => {
    const input = shuffled(users, 11);
    const copy = structuredClone(input);
    classifyUsers(input, license('Subscription', 3), NOW, 'UTC');
    assert.deepEqual(input, copy);
  });
});

describe('revocation (rule 4)', () => {
  const NOW_R = Date.UTC(2026, 10, 15, 12);
  const D = 86_400_000;
  test('a revocation at or after the last backup releases the unit; a later backup takes it again', () => {
    const revokedAfter = activityAt('o', 'u', [NOW_R - 10 * D, NOW_R - 2 * D], NOW_R, [NOW_R - D]);
    assert.equal(revokedAfter?.revokedAt, NOW_R - D);
    assert.equal(holdsUnit(revokedAfter!, NOW_R), false);
    const sameInstant = activityAt('o', 'u', [NOW_R - 2 * D], NOW_R, [NOW_R - 2 * D]);
    assert.equal(holdsUnit(sameInstant!, NOW_R), false);
    const backedUpAgain = activityAt('o', 'u', [NOW_R - 10 * D, NOW_R - 2 * D], NOW_R, [NOW_R - 5 * D]);
    assert.equal(holdsUnit(backedUpAgain!, NOW_R), true);
    assert.equal(backedUpAgain?.firstBackupAt, NOW_R - 10 * D);
    const revokedLater = activityAt('o', 'u', [NOW_R - 2 * D], NOW_R, [NOW_R + D]);
    assert.equal(revokedLater?.revokedAt, undefined, 'a revocation after now has no effect yet');
    assert.equal(holdsUnit(revokedLater!, NOW_R), true);
  });
});

describe('expiry and the grace period (rule 10)', () => {
  const EXPIRES = at('2026-09-30T00:00:00.000Z');
  const users = [{ user: 'u1', backups: [NOW - DAY] }, { user: 'u2', backups: [NOW - 2 * DAY] }];
  const states = (lic: Vb365License, now: number) => classifyBackups(users.map((u) => ({ ...u, backups: u.backups.map((b) => b - NOW + now) })), lic, now).map((u) => u.state);

  test('Subscription: processed for 1 month after expiry; from the next millisecond every consuming user is Exceeded', () => {
    const lic = license('Subscription', 100, { expirationDate: EXPIRES });
    assert.equal(graceEndsAt(lic, 'UTC'), at('2026-10-30T00:00:00.000Z'));
    assert.deepEqual(states(lic, at('2026-10-30T00:00:00.000Z')), ['Licensed', 'Licensed']);
    assert.deepEqual(states(lic, at('2026-10-30T00:00:00.001Z')), ['Exceeded', 'Exceeded']);
  });

  test('Rental: 2 months of grace; Evaluation and NFR none; a license without an expiration date never stops', () => {
    assert.equal(graceEndsAt(license('Rental', 100, { expirationDate: EXPIRES }), 'UTC'), at('2026-11-30T00:00:00.000Z'));
    assert.equal(processingStopped(license('Rental', 100, { expirationDate: EXPIRES }), at('2026-11-30T00:00:00.000Z'), 'UTC'), false);
    assert.equal(processingStopped(license('Rental', 100, { expirationDate: EXPIRES }), at('2026-11-30T00:00:00.001Z'), 'UTC'), true);
    assert.equal(processingStopped(license('Evaluation', 100, { expirationDate: EXPIRES }), EXPIRES, 'UTC'), false);
    assert.equal(processingStopped(license('NFR', 100, { expirationDate: EXPIRES }), EXPIRES + MS, 'UTC'), true);
    assert.equal(processingStopped(license('Subscription', 100), at('2040-01-01T00:00:00.000Z'), 'UTC'), false);
  });

  test('the grace period is counted in calendar months of the configured zone', () => {
    const lic = license('Subscription', 100, { expirationDate: at('2026-01-31T12:00:00.000Z') });
    // One month after 31 January is the last day of February.
    assert.equal(graceEndsAt(lic, 'UTC'), at('2026-02-28T12:00:00.000Z'));
  });

  test('past the grace period the organization answers licensedUsers 0; New users stay New', () => {
    const lic = license('Rental', 100, { expirationDate: at('2026-08-31T00:00:00.000Z') });
    const classified = classifyBackups([{ user: 'u1', backups: [NOW - 20 * DAY] }, { user: 'u2', backups: [NOW - DAY] }], lic, NOW);
    assert.deepEqual(organizationLicensingInformation(classified, ORG_A), { licensedUsers: 0, newUsers: 1 });
  });
});

describe('the rental exceed allowance lasts 2 months (rule 9)', () => {
  // License of 1 unit, allowance 20: u1 and u2 are backed up every 20 days since July; u2 is beyond the license.
  const lic = license('Rental', 1);
  const every20Days = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / (20 * DAY)) + 1 }, (_, i) => from + i * 20 * DAY);
  const FROM = at('2026-07-10T00:00:00.000Z');
  const users = (now: number) => [
    { user: 'u1', backups: every20Days(FROM, now) },
    { user: 'u2', backups: every20Days(FROM + DAY, now) },
  ];

  test('over the limit since August 1 (the month after the first backups): TemporarilyAssigned until October 1, Exceeded from then', () => {
    const before = at('2026-09-30T23:59:59.999Z');
    const after = at('2026-10-01T00:00:00.000Z');
    assert.equal(stateOf(classifyBackups(users(before), lic, before), 'u2'), 'TemporarilyAssigned');
    assert.equal(stateOf(classifyBackups(users(after), lic, after), 'u2'), 'Exceeded');
    assert.equal(stateOf(classifyBackups(users(after), lic, after), 'u1'), 'Licensed');
  });

  test('a gap of 31 days ends the hold: the over-limit period starts again with the next backup', () => {
    const now = at('2026-10-15T00:00:00.000Z');
    const gap = [{ user: 'u1', backups: every20Days(FROM, now) }, { user: 'u2', backups: [FROM + DAY, at('2026-09-01T00:00:00.000Z'), at('2026-09-25T00:00:00.000Z'), at('2026-10-14T00:00:00.000Z')] }];
    // u2: 10 July + 1 day, then nothing for 52 days: its hold restarts on 1 September.
    assert.equal(stateOf(classifyBackups(gap, lic, now), 'u2'), 'TemporarilyAssigned');
    assert.equal(rentalAllowanceExpired(lic, [FROM, at('2026-09-01T00:00:00.000Z')], at('2026-11-01T00:00:00.000Z'), 'UTC'), true);
    assert.equal(rentalAllowanceExpired(lic, [FROM, at('2026-09-01T00:00:00.000Z')], at('2026-10-31T23:59:59.999Z'), 'UTC'), false);
  });

  test('Subscription keeps its allowance for the whole term', () => {
    const now = at('2027-03-01T00:00:00.000Z');
    assert.equal(stateOf(classifyBackups(users(now), license('Subscription', 1), now), 'u2'), 'TemporarilyAssigned');
  });

  test('only users consuming now count: under the license again, the period ends', () => {
    assert.equal(rentalAllowanceExpired(lic, [FROM], at('2027-01-01T00:00:00.000Z'), 'UTC'), false);
  });
});
