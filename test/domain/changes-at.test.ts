/**
 * The domain names, beside each rule, the next instant at which its answer can change; the
 * answer cache keeps answers until the earliest of them. These tests pin each instant, and a
 * property checks that the classification does not change strictly before the instant named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { vspcLicenseChangesAt, type Vb365License, type VspcLicense } from '../../src/domain/licenses.js';
import {
  activityAt, classifyUsers, newUsersConsumeAt, processingStopsAt, reportRecencyChangesAt, unitReleasedAt, vb365UsageChangesAt,
} from '../../src/domain/vb365.js';
import { reportWindowChangesAt, rentalExceedEndsAt, vspcPoolChangesAt } from '../../src/domain/vspc.js';

const DAY = 86_400_000;
const at = (text: string) => Date.parse(text);
const subscription: Vb365License = { type: 'Subscription', totalNumber: 100, expirationDate: at('2027-01-15T00:00:00Z'), autoUpdate: true, lastReportSentAt: null };

test('a VB365 answer changes at the next month start, the 31-day release, the end of the grace and when a report stops being recent', () => {
  const now = at('2026-11-10T12:00:00Z');
  assert.equal(newUsersConsumeAt(now, 'UTC'), at('2026-12-01T00:00:00Z'));
  assert.equal(unitReleasedAt(at('2026-11-01T02:00:00Z')), at('2026-12-02T02:00:00Z'));
  assert.equal(processingStopsAt(subscription, now, 'UTC'), at('2027-02-15T00:00:00Z') + 1);
  assert.equal(processingStopsAt({ ...subscription, expirationDate: null }, now, 'UTC'), null);
  assert.equal(reportRecencyChangesAt(at('2026-11-05T00:00:00Z'), now, 'UTC'), at('2026-12-05T00:00:00Z'));
  assert.equal(reportRecencyChangesAt(at('2026-11-20T00:00:00Z'), now, 'UTC'), at('2026-11-20T00:00:00Z'));
  assert.equal(reportRecencyChangesAt(at('2026-09-01T00:00:00Z'), now, 'UTC'), null);
  const input = { license: subscription, consuming: 5, now, zone: 'UTC', nextRelease: at('2026-11-20T00:00:00Z'), nextSending: null };
  assert.equal(vb365UsageChangesAt(input), at('2026-11-20T00:00:00Z'));
  assert.equal(vb365UsageChangesAt({ ...input, nextRelease: null }), at('2026-12-01T00:00:00Z'));
  // A Rental installation over its license answers for this instant only.
  assert.equal(vb365UsageChangesAt({ ...input, license: { ...subscription, type: 'Rental', totalNumber: 1 } }), now + 1);
});

test('the VSPC pool changes at the month start, the expiry and its grace, the report window and the end of the rental exceed allowance', () => {
  const now = at('2026-11-10T12:00:00Z');
  const license: VspcLicense = { type: 'Rental', edition: null, units: 10, expirationDate: at('2026-11-20T00:00:00Z'), weights: { server: 11, workstation: 4 } };
  assert.equal(vspcLicenseChangesAt(license, now), at('2026-11-20T00:00:00Z') + 1);
  assert.equal(vspcLicenseChangesAt(license, at('2026-12-01T00:00:00Z')), at('2026-11-20T00:00:00Z') + 60 * DAY + 1);
  assert.equal(reportWindowChangesAt(at('2026-11-01T00:00:00Z'), now), at('2026-12-01T00:00:00Z'));
  assert.equal(rentalExceedEndsAt(license, at('2026-10-01T00:00:00Z')), at('2026-11-30T00:00:00Z'));
  assert.equal(rentalExceedEndsAt({ ...license, type: 'Subscription' }, at('2026-10-01T00:00:00Z')), null);
  const input = { license: { ...license, expirationDate: null }, now, zone: 'UTC', exceedEndsAt: null, replayed: false };
  assert.equal(vspcPoolChangesAt(input), at('2026-12-01T00:00:00Z'));
  assert.equal(vspcPoolChangesAt({ ...input, exceedEndsAt: at('2026-11-15T00:00:00Z') }), at('2026-11-15T00:00:00Z'));
  assert.equal(vspcPoolChangesAt({ ...input, replayed: true }), now + 1);
});

test('no user changes state strictly before the instant the domain names', () => {
  const start = at('2026-10-01T00:00:00Z');
  const backups = fc.array(fc.record({ user: fc.integer({ min: 0, max: 5 }), at: fc.integer({ min: start, max: start + 90 * DAY }) }), { maxLength: 20 });
  fc.assert(
    fc.property(backups, fc.integer({ min: start, max: start + 90 * DAY }), fc.integer({ min: 0, max: 6 }), fc.constantFrom('Subscription', 'Rental'), fc.double({ min: 0, max: 1, noNaN: true }), (events, now, total, type, fraction) => {
      const license: Vb365License = { type: type as 'Subscription' | 'Rental', totalNumber: total, expirationDate: start + 60 * DAY, autoUpdate: false, lastReportSentAt: null };
      const activitiesAt = (t: number) =>
        [0, 1, 2, 3, 4, 5].map((u) => activityAt('org', `u${u}`, events.filter((e) => e.user === u && e.at <= now).map((e) => e.at), t)).filter((a) => a !== null);
      const states = (t: number) => classifyUsers(activitiesAt(t), license, t, 'UTC').map((u) => `${u.userId}:${u.state}`).sort();
      const past = events.filter((e) => e.at <= now).map((e) => e.at);
      const nextRelease = past.map(unitReleasedAt).filter((r) => r > now).reduce<number | null>((m, r) => (m === null || r < m ? r : m), null);
      const consuming = classifyUsers(activitiesAt(now), license, now, 'UTC').filter((u) => u.state !== 'New').length;
      const until = vb365UsageChangesAt({ license, consuming, now, zone: 'UTC', nextRelease, nextSending: null });
      const later = now + Math.floor((until - 1 - now) * fraction);
      assert.deepEqual(states(later), states(now));
    }),
    { numRuns: 300, seed: 20261208 },
  );
});
