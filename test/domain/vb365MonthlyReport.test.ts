import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Vb365License } from '../../src/domain/licenses.js';
import { activityAt, holdsUnit, isNewUser } from '../../src/domain/vb365.js';
import {
  applyRemovals, autoApprovalAt, RemovalError, statusDuring, summarize, usageByOrganization, validateRemovals, type UserHistory,
} from '../../src/domain/vb365MonthlyReport.js';

const OCT = Date.UTC(2026, 9, 1);
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const H = 3_600_000;
const D = 24 * H;
const RENTAL: Vb365License = { type: 'Rental', totalNumber: 10, expirationDate: null, autoUpdate: false, lastReportSentAt: null };
const SUBSCRIPTION: Vb365License = { ...RENTAL, type: 'Subscription' };

function user(backups: number[], revocations: number[] = [], organizationId = 'o1', userId = 'u'): UserHistory {
  return { organizationId, userId, firstBackupAt: Math.min(...backups), backups, revocations };
}

const november = (history: UserHistory, license = RENTAL) => statusDuring(history, license, NOV, DEC, 'UTC');

describe('monthly usage (rule 11)', () => {
  test('backed up before and during the month: consumed, not new', () => {
    assert.deepEqual(november(user([OCT - 90 * D, NOV + 3 * D])), { inUse: true, consumed: true, wasNew: false });
  });

  test('no backup in the month but one within 31 days before it: it held a unit at the start, so it consumed', () => {
    assert.deepEqual(november(user([NOV - 20 * D])), { inUse: true, consumed: true, wasNew: false });
  });

  test('the last backup exactly 31 days before the month: released at the month start, not counted', () => {
    assert.deepEqual(november(user([NOV - 31 * D])), { inUse: false, consumed: false, wasNew: false });
    assert.equal(november(user([NOV - 31 * D + 1])).consumed, true);
  });

  test('first backed up in the month: new, consumes nothing (Rental)', () => {
    assert.deepEqual(november(user([NOV + 10 * D, NOV + 20 * D])), { inUse: true, consumed: false, wasNew: true });
    // Backed up once and removed again within the month still counts as new (rule 25).
    assert.equal(november(user([NOV + 2 * D], [NOV + 3 * D])).wasNew, true);
  });

  test('a user first backed up in the last instant before the month consumes in it', () => {
    assert.deepEqual(november(user([NOV - 1])), { inUse: true, consumed: true, wasNew: false });
  });

  test('under Subscription nobody is new', () => {
    assert.deepEqual(november(user([NOV + 10 * D]), SUBSCRIPTION), { inUse: true, consumed: true, wasNew: false });
  });

  test('revocations: before the month releases the unit; during the month the unit was held until then', () => {
    assert.equal(november(user([NOV - 10 * D], [NOV - 5 * D])).inUse, false);
    assert.equal(november(user([NOV - 10 * D], [NOV + 5 * D])).consumed, true);
    // Revoked before the month, backed up again in it: takes a unit again, and is not new again.
    assert.deepEqual(november(user([OCT - 10 * D, NOV - 10 * D, NOV + 8 * D], [NOV - 5 * D])), { inUse: true, consumed: true, wasNew: false });
  });

  test('backups after the month do not count for it', () => {
    assert.equal(november(user([DEC, DEC + D])).inUse, false);
  });

  test('across a month start: new in October, consuming in November from the 1st (License Overview)', () => {
    const status = statusDuring(user([OCT + 20 * D]), RENTAL, OCT + 15 * D, NOV + 5 * D, 'UTC');
    assert.deepEqual(status, { inUse: true, consumed: true, wasNew: true });
  });

  test('month boundaries follow the zone: 03:00Z on Nov 1 is still October in New York', () => {
    const zone = 'America/New_York';
    const nyNov = Date.UTC(2026, 10, 1, 4);
    const nyDec = Date.UTC(2026, 11, 1, 5);
    const late = user([Date.UTC(2026, 10, 1, 3)]);
    assert.deepEqual(statusDuring(late, RENTAL, nyNov, nyDec, zone), { inUse: true, consumed: true, wasNew: false });
    assert.equal(statusDuring(late, RENTAL, NOV, DEC, 'UTC').wasNew, true);
  });

  test('per organization: each user once, organizations without users left out', () => {
    const usage = usageByOrganization(
      [
        user([OCT, NOV + D], [], 'o2', 'a'),
        user([NOV + 2 * D], [], 'o2', 'b'),
        user([OCT - 40 * D], [], 'o3', 'gone'),
        user([NOV - 2 * D], [], 'o1', 'c'),
        user([NOV - 2 * D], [], 'o2', 'c'),
      ],
      RENTAL,
      NOV,
      DEC,
      'UTC',
    );
    assert.deepEqual(usage, [
      { organizationId: 'o1', consumedUsers: 1, newUsers: 0, usersInUse: 1 },
      { organizationId: 'o2', consumedUsers: 2, newUsers: 1, usersInUse: 3 },
    ]);
  });

  test('property: the examined instants give the same answer as looking at every hour of the interval', () => {
    // Backups, revocations and the interval on an hour grid: every change of state (backups,
    // revocations, 31 days later, month starts in UTC) then falls on the grid.
    const hour = fc.integer({ min: 0, max: 24 * 120 });
    const base = Date.UTC(2026, 7, 1);
    fc.assert(
      fc.property(fc.array(hour, { minLength: 1, maxLength: 6 }), fc.array(hour, { maxLength: 2 }), hour, fc.integer({ min: 1, max: 24 * 70 }), fc.boolean(), (bs, rs, s, length, rental) => {
        const backups = bs.map((h) => base + h * H);
        const revocations = rs.map((h) => base + h * H);
        const license = rental ? RENTAL : SUBSCRIPTION;
        const start = base + s * H;
        const end = start + length * H;
        const expected = { inUse: false, consumed: false, wasNew: false };
        for (let at = start; at < end; at += H) {
          const activity = activityAt('o', 'u', backups, at, revocations);
          if (!activity || !holdsUnit(activity, at)) continue;
          expected.inUse = true;
          if (isNewUser(activity, license, at, 'UTC')) expected.wasNew = true;
          else expected.consumed = true;
        }
        // The store gives every backup from 31 days before the interval on, and the first one ever.
        const history: UserHistory = {
          organizationId: 'o',
          userId: 'u',
          firstBackupAt: Math.min(...backups),
          backups: backups.filter((b) => b > start - 31 * D && b < end),
          revocations: revocations.filter((r) => r > start - 31 * D && r < end),
        };
        assert.deepEqual(statusDuring(history, license, start, end, 'UTC'), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('approval', () => {
  const lines = [
    { organizationId: 'aaaaaaaa-0000-4000-8000-000000000001', organizationName: 'a', initialUsersCount: 5, newUsersCount: 1 },
    { organizationId: 'bbbbbbbb-0000-4000-8000-000000000002', organizationName: 'b', initialUsersCount: 2, newUsersCount: 0 },
  ];

  test('removals: reported = initial − removed, in each line and the summary', () => {
    const removals = validateRemovals(lines, [{ organizationId: 'AAAAAAAA-0000-4000-8000-000000000001', removedUsersCount: 2, removalReason: 'test accounts' }]);
    assert.deepEqual(removals, [{ organizationId: 'aaaaaaaa-0000-4000-8000-000000000001', removedUsersCount: 2, removalReason: 'test accounts' }]);
    const reported = applyRemovals(lines, removals);
    assert.deepEqual(reported.map((l) => [l.initialUsersCount, l.removedUsersCount, l.reportedUsersCount, l.removalReason]), [[5, 2, 3, 'test accounts'], [2, 0, 2, '']]);
    assert.deepEqual(summarize(reported), { initialUsersCount: 7, reportedUsersCount: 5, newUsersCount: 1 });
  });

  test('refused: an organization not in the report, twice, more than it reports, a negative count', () => {
    const id = lines[1]!.organizationId;
    assert.throws(() => validateRemovals(lines, [{ organizationId: 'nope', removedUsersCount: 0, removalReason: '' }]), RemovalError);
    assert.throws(() => validateRemovals(lines, [{ organizationId: id, removedUsersCount: 1, removalReason: '' }, { organizationId: id, removedUsersCount: 1, removalReason: '' }]), /more than once/);
    assert.throws(() => validateRemovals(lines, [{ organizationId: id, removedUsersCount: 3, removalReason: '' }]), /more than the 2 users/);
    assert.throws(() => validateRemovals(lines, [{ organizationId: id, removedUsersCount: -1, removalReason: '' }]), RemovalError);
    assert.deepEqual(validateRemovals(lines, [{ organizationId: id, removedUsersCount: 2, removalReason: 'all' }])[0]!.removedUsersCount, 2);
  });

  test('automatic approval at the end of day 3 of the next month, in the zone', () => {
    assert.equal(autoApprovalAt(DEC, 'UTC'), Date.UTC(2026, 11, 4));
    assert.equal(autoApprovalAt(Date.UTC(2026, 11, 1, 5), 'America/New_York'), Date.UTC(2026, 11, 4, 5));
  });
});
