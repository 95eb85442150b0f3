/**
 * The answer cache never serves a stale answer: after random steps (event batches, clock moves
 * forwards and backwards across month starts, 31-day releases, grace periods and report
 * windows, license changes), every cached answer equals what a service without a cache computes
 * on the same database at the same instant.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LicensingService } from '../../src/services/licensing.js';
import { adminPut, startTestApp } from '../support/harness.js';

const DAY = 86_400_000;
const START = Date.parse('2026-10-20T12:00:00Z');
const ORGS = ['0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002'];
const COMPANIES = ['0c000000-0000-4000-8000-000000000001', '0c000000-0000-4000-8000-000000000002'];
const agentUid = (i: number) => `0e000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Instants near the edges that matter: month starts, 31 days after a backup, and anywhere. */
const instant = fc.oneof(
  fc.integer({ min: START - 70 * DAY, max: START + 70 * DAY }),
  fc.constantFrom(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-01T00:00:00Z') - 1, Date.parse('2026-12-01T00:00:00Z'), START + 31 * DAY, START + 31 * DAY - 1, START),
);

const step = fc.oneof(
  fc.record({ kind: fc.constant('backup' as const), org: fc.integer({ min: 0, max: 1 }), user: fc.integer({ min: 0, max: 6 }), at: instant }),
  fc.record({ kind: fc.constant('agent' as const), company: fc.integer({ min: 0, max: 1 }), agent: fc.integer({ min: 0, max: 6 }), at: instant, mode: fc.constantFrom('server', 'workstation'), off: fc.boolean() }),
  // Clock moves mostly hop over a month start or a 31-day release with nothing else happening in between.
  fc.record({
    kind: fc.constant('clock' as const),
    at: fc.oneof(instant, fc.constantFrom(...[Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z')].flatMap((m) => [m - 3 * DAY, m - 1, m, m + 2 * DAY]))),
  }),
  fc.record({
    kind: fc.constant('license' as const),
    type: fc.constantFrom('Rental', 'Subscription'),
    total: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(100)),
    expires: instant,
    sent: fc.option(instant, { nil: undefined }),
  }),
);

test('cached answers = uncached answers after any sequence of batches, clock moves and license changes', async () => {
  const app = await startTestApp({ clock: new Date(START).toISOString() });
  try {
    for (const org of ORGS) await adminPut(app, `/tally/v1/organizations/${org}`, { name: org });
    for (const company of COMPANIES) await adminPut(app, `/tally/v1/companies/${company}`, { name: company });
    const cached = app.ctx.licensing;
    let run = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run++;
        for (const s of steps) {
          if (s.kind === 'backup') {
            await app.ingest([{ id: `e${n++}`, type: 'vb365.backup', at: new Date(s.at).toISOString(), organizationId: ORGS[s.org], user: { id: `r${run}u${s.user}`, name: `u${s.user}` } }]);
          } else if (s.kind === 'agent') {
            const uid = agentUid(run * 10 + s.agent);
            const events: unknown[] = [{ id: `e${n++}`, type: 'vspc.agentActivated', at: new Date(s.at).toISOString(), companyUid: COMPANIES[s.company], agent: { uid, name: 'a', mode: s.mode } }];
            if (s.off) events.push({ id: `e${n++}`, type: 'vspc.agentDeactivated', at: new Date(s.at + 5 * DAY).toISOString(), agentUid: uid });
            await app.ingest(events);
          } else if (s.kind === 'clock') {
            await app.ctx.clock.set(s.at);
          } else {
            const sent = s.sent === undefined ? {} : { lastReportSentAt: new Date(s.sent).toISOString(), autoUpdate: true };
            await adminPut(app, '/tally/v1/licenses/vb365', { type: s.type, totalNumber: s.total, expirationDate: new Date(s.expires).toISOString(), ...sent });
            await adminPut(app, '/tally/v1/licenses/vspc', { type: s.type, units: s.total * 11, expirationDate: new Date(s.expires).toISOString(), ...sent });
          }
          // Ask the cached service at every step so that it holds answers from earlier states.
          const fresh = new LicensingService(app.ctx.store.db, app.ctx.clock, app.ctx.timeZone, app.ctx.store.dialect);
          const now = await app.ctx.clock.now();
          for (const org of ORGS) {
            assert.deepEqual(await cached.organizationLicensingInformation(org), await fresh.organizationLicensingInformation(org), `run ${run} ${org}`);
          }
          assert.deepEqual(await cached.vb365LicenseUsage(now, await cached.vb365License(now)), await fresh.vb365LicenseUsage(now, await fresh.vb365License(now)));
          for (const company of COMPANIES) {
            assert.deepEqual(await cached.companyCounters(company, now), await fresh.companyCounters(company, now), `run ${run} ${company}`);
          }
        }
      }),
      { numRuns: 80, seed: 20261124 },
    );
  } finally {
    await app.close();
  }
});

test('a cached answer ends at the month start, at a 31-day release and with a new batch', async () => {
  const app = await startTestApp({ clock: '2026-10-28T12:00:00Z' });
  try {
    const org = ORGS[0]!;
    await adminPut(app, `/tally/v1/organizations/${org}`, { name: org });
    await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 100, expirationDate: '2027-12-31T00:00:00Z' });
    const info = () => app.ctx.licensing.organizationLicensingInformation(org);
    await app.ingest([{ id: 'b1', type: 'vb365.backup', at: '2026-10-25T02:00:00Z', organizationId: org, user: { id: 'u1', name: 'u1' } }]);
    assert.deepEqual(await info(), { licensedUsers: 0, newUsers: 1 });
    await app.ctx.clock.set(Date.parse('2026-10-31T23:59:59.999Z'));
    assert.deepEqual(await info(), { licensedUsers: 0, newUsers: 1 });
    await app.ctx.clock.set(Date.parse('2026-11-01T00:00:00.000Z'));
    assert.deepEqual(await info(), { licensedUsers: 1, newUsers: 0 });
    // Released 31 days after its last backup, with no event in between.
    await app.ctx.clock.set(Date.parse('2026-11-25T01:59:59.999Z'));
    assert.deepEqual(await info(), { licensedUsers: 1, newUsers: 0 });
    await app.ctx.clock.set(Date.parse('2026-11-25T02:00:00.000Z'));
    assert.deepEqual(await info(), { licensedUsers: 0, newUsers: 0 });
    await app.ingest([{ id: 'b2', type: 'vb365.backup', at: '2026-11-25T01:00:00Z', organizationId: org, user: { id: 'u1', name: 'u1' } }]);
    assert.deepEqual(await info(), { licensedUsers: 1, newUsers: 0 });
  } finally {
    await app.close();
  }
});
