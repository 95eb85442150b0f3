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
import { AnswerCache } from '../../src/services/answerCache.js';
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
  // Mode switches move demand over the license and back under it with no agent arriving or leaving:
  // the Rental allowance's clock (one per license) starts, ends and restarts.
  fc.record({ kind: fc.constant('mode' as const), agent: fc.integer({ min: 0, max: 6 }), at: instant, mode: fc.constantFrom('server', 'workstation') }),
  // Clock moves mostly hop over a month start or a 31-day release with nothing else happening in between.
  fc.record({
    kind: fc.constant('clock' as const),
    at: fc.oneof(instant, fc.constantFrom(...[Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z')].flatMap((m) => [m - 3 * DAY, m - 1, m, m + 2 * DAY]))),
  }),
  fc.record({
    kind: fc.constant('license' as const),
    type: fc.constantFrom('Rental', 'Subscription'),
    total: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(100)),
    // Points of a Rental license not a multiple of the server weight, so that mode switches cross it.
    extra: fc.constantFrom(0, 0, 4, 9),
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
          } else if (s.kind === 'mode') {
            await app.ingest([{ id: `e${n++}`, type: 'vspc.agentModeChanged', at: new Date(s.at).toISOString(), agentUid: agentUid(run * 10 + s.agent), mode: s.mode }]);
          } else if (s.kind === 'clock') {
            await app.ctx.clock.set(s.at);
          } else {
            const sent = s.sent === undefined ? {} : { lastReportSentAt: new Date(s.sent).toISOString(), autoUpdate: true };
            await adminPut(app, '/tally/v1/licenses/vb365', { type: s.type, totalNumber: s.total, expirationDate: new Date(s.expires).toISOString(), ...sent });
            await adminPut(app, '/tally/v1/licenses/vspc', { type: s.type, units: s.total * 11 + s.extra, expirationDate: new Date(s.expires).toISOString(), ...sent });
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

test('the Rental allowance runs from when the license first went over: the cached pool ends 60 days later, when demand fits, and when it goes over again', async () => {
  // The held-out case: 20 points, a workstation and a server agent activated in July (15 points
  // from 1 August); the workstation switches to server on 28 October (22 points).
  const app = await startTestApp({ clock: '2026-10-20T00:00:00Z' });
  try {
    const [laptopCompany, serverCompany] = COMPANIES as [string, string];
    for (const company of COMPANIES) await adminPut(app, `/tally/v1/companies/${company}`, { name: company });
    await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 20, expirationDate: '2028-01-01T00:00:00Z' });
    const laptop = agentUid(900);
    const server = agentUid(901);
    const over = Date.parse('2026-10-28T00:00:00Z');
    const fits = Date.parse('2027-01-10T09:00:00Z');
    const again = Date.parse('2027-02-05T00:00:00Z');
    const res = await app.ingest([
      { id: 'h1', type: 'vspc.agentActivated', at: '2026-07-10T08:00:00Z', companyUid: laptopCompany, agent: { uid: laptop, name: 'laptop', mode: 'workstation' } },
      { id: 'h2', type: 'vspc.agentActivated', at: '2026-07-20T08:00:00Z', companyUid: serverCompany, agent: { uid: server, name: 'db', mode: 'server' } },
      { id: 'h3', type: 'vspc.agentModeChanged', at: new Date(over).toISOString(), agentUid: laptop, mode: 'server' },
      { id: 'h4', type: 'vspc.agentModeChanged', at: new Date(fits).toISOString(), agentUid: laptop, mode: 'workstation' },
      { id: 'h5', type: 'vspc.agentModeChanged', at: new Date(again).toISOString(), agentUid: laptop, mode: 'server' },
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    /** The server agent's company: server agents counted as used (Licensed or Licensed by exceed) at `at`. */
    const serverUsed = async (at: number) => {
      await app.ctx.clock.set(at);
      return (await app.ctx.licensing.companyCounters(serverCompany, at)).find((c) => c.type === 'VAC_Server_Agent')!.usedCount;
    };
    const expectations: [number, number, string][] = [
      [over - 1, 1, 'Licensed, within the license'],
      [over, 1, 'Licensed by exceed from the instant demand exceeds'],
      [over + 3.5 * DAY, 1, 'Licensed by exceed 3.5 days later'],
      [over + 60 * DAY - 1, 1, 'Licensed by exceed until the 60th day ends'],
      [over + 60 * DAY, 0, 'Unlicensed 60 days after the license first went over'],
      [Date.parse('2027-01-01T00:00:00Z'), 0, 'a month start does not restart the clock'],
      [fits - 1, 0, 'Unlicensed until demand fits'],
      [fits, 1, 'Licensed the instant demand fits'],
      [again, 1, 'Licensed by exceed: the clock restarts from zero'],
      [again + 60 * DAY - 1, 1, 'Licensed by exceed until the new 60 days end'],
      [again + 60 * DAY, 0, 'Unlicensed 60 days after the second excess'],
    ];
    // Asked in order and once more in order: cached answers held from earlier instants never leak.
    for (let pass = 0; pass < 2; pass++) {
      for (const [at, used, why] of expectations) assert.equal(await serverUsed(at), used, `${new Date(at).toISOString()}: ${why}`);
    }
    // The month-end report sweeps the same clock: December counts it (by exceed until the 27th).
    await app.ctx.clock.set(Date.parse('2027-04-10T00:00:00Z'));
    const headers = { authorization: `Bearer ${app.adminToken}` };
    const reported = async (month: string) => {
      const answer = await app.vspc.inject({ url: `/tally/v1/reports/vspc/${month}`, headers });
      assert.equal(answer.statusCode, 200, answer.body);
      const company = (answer.json().companies as { companyUid: string; counters: { type: string; reportedCount: number }[] }[]).find((c) => c.companyUid === serverCompany);
      return company?.counters.find((c) => c.type === 'VAC_Server_Agent')?.reportedCount ?? 0;
    };
    assert.equal(await reported('2026-12'), 1);
    assert.equal(await reported('2027-01'), 1);
  } finally {
    await app.close();
  }
});

for (const ingestionWorker of [false, true]) {
  test(`a batch of one product's events keeps the other product's cached answers and recomputes its own (${ingestionWorker ? 'worker' : 'in process'})`, async () => {
    const app = await startTestApp({ clock: '2026-11-20T12:00:00Z', ingestionWorker });
    try {
      const org = ORGS[0]!;
      const company = COMPANIES[0]!;
      await adminPut(app, `/tally/v1/organizations/${org}`, { name: org });
      await adminPut(app, `/tally/v1/companies/${company}`, { name: 'c' });
      // Which answers were computed (not served from the cache), by key.
      const computed: string[] = [];
      const cache = app.ctx.licensing.cache;
      const timed = cache.timed.bind(cache);
      cache.timed = ((key: string, at: Parameters<typeof timed>[1], compute: Parameters<typeof timed>[2]) => timed(key, at, () => (computed.push(key), compute()))) as typeof cache.timed;
      const uncached = new LicensingService(app.ctx.store.db, app.ctx.clock, 'UTC', app.ctx.store.dialect);
      const answers = async (service: LicensingService) => ({
        vb365: await service.organizationLicensingInformation(org),
        vspc: await service.companyCounters(company, await app.ctx.clock.now()),
      });
      const expectSame = async () => {
        uncached.cache.clear();
        assert.deepEqual(await answers(app.ctx.licensing), await answers(uncached));
      };
      const backup = (id: string) => ({ id, type: 'vb365.backup', at: '2026-11-19T00:00:00Z', organizationId: org, user: { id, name: id } });
      const agent = (id: string) => ({ id, type: 'vspc.agentActivated', at: '2026-11-19T00:00:00Z', companyUid: company, agent: { uid: agentUid(Number(id.slice(1))), name: id, mode: 'server' } });

      assert.equal((await app.ingest([backup('b1'), agent('a1')])).status, 200);
      await expectSame();
      computed.length = 0;
      assert.equal((await app.ingest([backup('b2')])).status, 200);
      await expectSame();
      assert.ok(computed.some((k) => k.startsWith('vb365:')), 'the VB365 answer is recomputed');
      assert.ok(!computed.some((k) => k.startsWith('vspc:')), 'the VSPC pool is kept');
      computed.length = 0;
      assert.equal((await app.ingest([agent('a2')])).status, 200);
      await expectSame();
      assert.ok(computed.some((k) => k.startsWith('vspc:')), 'the VSPC pool is recomputed');
      assert.ok(!computed.some((k) => k.startsWith('vb365:')), 'the VB365 answers are kept');
      // A duplicate batch moves nothing.
      computed.length = 0;
      assert.equal((await app.ingest([agent('a2')])).status, 200);
      await expectSame();
      assert.deepEqual(computed, []);
    } finally {
      await app.close();
    }
  });
}

test('requests that miss while an answer is being computed wait for that computation instead of starting their own', async () => {
  const cache = new AnswerCache();
  let computations = 0;
  let finish!: () => void;
  const compute = () => {
    computations++;
    return new Promise<{ value: number; until: number }>((resolve) => (finish = () => resolve({ value: 42, until: 2_000 })));
  };
  const at = { generation: 7, terms: 't', now: 1_000 };
  const first = cache.timed('k', at, compute);
  const second = cache.timed('k', { ...at, now: 1_500 }, compute);
  await new Promise((resolve) => setImmediate(resolve));
  finish();
  assert.deepEqual(await Promise.all([first, second]).then((answers) => answers.map((a) => a.value)), [42, 42]);
  assert.equal(computations, 1, 'one computation for both');
  // Another generation (a batch committed meanwhile), or an instant past the answer's validity, computes anew.
  const third = cache.timed('k', { ...at, generation: 8 }, compute);
  await new Promise((resolve) => setImmediate(resolve));
  finish();
  await third;
  const fourth = cache.timed('k', { ...at, now: 2_000 }, compute);
  await new Promise((resolve) => setImmediate(resolve));
  finish();
  await fourth;
  assert.equal(computations, 3);
});
