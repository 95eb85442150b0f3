/**
 * The counting fast path of LicensingInformation (SQL counts over the read model, with the
 * installation-wide rank found by position) agrees with the engine's classification of every
 * user, on random ledgers built to hit the hard cases: many ties in first backup, users over the
 * license limit, rental new users, the 31-day edge, license revocations.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { activityAt, classifyUsers, organizationLicensingInformation } from '../../src/domain/vb365.js';
import { toVb365License } from '../../src/services/licenses.js';
import { adminPut, startTestApp } from '../support/harness.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const DAY = 86_400_000;
const ORGS = ['0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000003'];
// Few distinct instants, so that first backups tie often; some are exactly on the 31-day edge,
// one is after `now` (which sends the answer down the exact path instead of the counting one).
// Backups 20 days apart from 120 days back make holds long enough for the rental exceed allowance to run out.
const INSTANTS = [NOW - 120 * DAY, NOW - 100 * DAY, NOW - 80 * DAY, NOW - 60 * DAY, NOW - 40 * DAY, NOW - 31 * DAY, NOW - 31 * DAY + 1, NOW - 20 * DAY, NOW - 14 * DAY, NOW - 3 * DAY, NOW - 1, NOW, NOW + DAY];
const USER_IDS = ['a', 'B', 'b', 'user-1', 'User-1', 'z9', '0', 'ü'];

const ledger = fc.record({
  license: fc.record({
    type: fc.constantFrom('Subscription' as const, 'Rental' as const, 'Evaluation' as const, 'NFR' as const, 'Community' as const),
    totalNumber: fc.integer({ min: 0, max: 6 }),
    // Valid, within its grace period, or past it (rule 10).
    expirationDate: fc.constantFrom('2027-01-01T00:00:00Z', '2026-10-20T00:00:00Z', '2026-09-10T00:00:00Z', '2026-08-01T00:00:00Z'),
  }),
  backups: fc.array(
    fc.record({ org: fc.integer({ min: 0, max: 2 }), user: fc.constantFrom(...USER_IDS), at: fc.constantFrom(...INSTANTS) }),
    { minLength: 1, maxLength: 40 },
  ),
  // Users backed up every 20 days from some point until 3 days ago: uninterrupted holds of up to 4 months.
  chains: fc.array(
    fc.record({ org: fc.integer({ min: 0, max: 2 }), user: fc.constantFrom(...USER_IDS), from: fc.constantFrom(120, 100, 80, 60, 40) }),
    { maxLength: 10 },
  ),
  // License revocations (rule 4) of backed-up users, just before, at or after one of their
  // backups (the boundary cases), some after `now`.
  revocations: fc.array(fc.record({ backup: fc.nat(), shift: fc.constantFrom(-1, 0, 1, 2 * DAY) }), { maxLength: 6 }),
});

test('fast path = engine classification on random ledgers (ties, over limit, rental, 31-day edge)', async () => {
  const app = await startTestApp({ clock: new Date(NOW).toISOString() });
  try {
    for (const org of ORGS) await adminPut(app, `/tally/v1/organizations/${org}`, { name: org });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ledger, async ({ license, backups: single, chains, revocations: picks }) => {
        const backups = [...single];
        for (const chain of chains) {
          for (let days = chain.from; days > 3; days -= 20) backups.push({ org: chain.org, user: chain.user, at: NOW - days * DAY });
          backups.push({ org: chain.org, user: chain.user, at: NOW - 3 * DAY });
        }
        const revocations = picks.map(({ backup, shift }) => {
          const of = backups[backup % backups.length]!;
          return { org: of.org, user: of.user, at: of.at + shift };
        });
        run++;
        // Each run gets its own user ids (a run suffix).
        const body = { ...license };
        await adminPut(app, '/tally/v1/licenses/vb365', body);
        const events = backups.map((b, i) => ({
          id: `r${run}-${i}`,
          type: 'vb365.backup',
          at: new Date(b.at).toISOString(),
          organizationId: ORGS[b.org],
          user: { id: `${b.user}-r${run}`, name: b.user },
        }));
        revocations.forEach((r, i) => {
          events.push({ id: `r${run}-revoke-${i}`, type: 'vb365.licenseRevoked', at: new Date(r.at).toISOString(), organizationId: ORGS[r.org], userId: `${r.user}-r${run}` } as never);
        });
        const res = await app.ingest(events);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const byUser = new Map<string, number[]>();
        for (const b of backups) {
          const key = `${ORGS[b.org]}|${b.user}-r${run}`;
          byUser.set(key, [...(byUser.get(key) ?? []), b.at]);
        }
        const revokedAt = new Map<string, number[]>();
        for (const r of revocations) {
          const key = `${ORGS[r.org]}|${r.user}-r${run}`;
          revokedAt.set(key, [...(revokedAt.get(key) ?? []), r.at]);
        }
        const activities = [...byUser].map(([key, ats]) => {
          const [org, user] = key.split('|') as [string, string];
          return activityAt(org, user, ats, NOW, revokedAt.get(key));
        }).filter((a) => a !== null);
        const classified = classifyUsers(activities, toVb365License(body), NOW, 'UTC');
        for (const org of ORGS) {
          const answer = await app.vb365.inject({ url: `/v6/Organizations/${org}/LicensingInformation`, headers: { authorization: `Bearer ${app.adminToken}` } });
          assert.deepEqual(answer.json(), organizationLicensingInformation(classified, org), `run ${run}, ${org}`);
        }
        const total = await app.vb365.inject({ url: '/v6/License', headers: { authorization: `Bearer ${app.adminToken}` } });
        const used = classified.filter((u) => u.state === 'Licensed' || u.state === 'TemporarilyAssigned').length;
        assert.equal(total.json().usedNumber, used, `run ${run}: usedNumber`);
        // Runs share one database; clearing the read model (not the ledger) keeps them independent.
        await app.ctx.store.db.deleteFrom('vb365_users').execute();
      }),
      { numRuns: 80, seed: 20261123 },
    );
  } finally {
    await app.close();
  }
});
